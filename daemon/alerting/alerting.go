package alerting

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/marketsync/marketsync/config"
	"github.com/marketsync/marketsync/daemon/alerting/notify"
	"github.com/marketsync/marketsync/daemon/store"
	"github.com/oklog/ulid/v2"
)

// Options configure a Manager.
type Options struct {
	Config config.Alerting
	Store  *store.DB
	// Providers answer the alert functions; see Provider.
	Providers []Provider
	// Notifiers replace the notifier built from a receiver block, by
	// receiver name; tests use it to count what is sent.
	Notifiers map[string]notify.Notifier
	// ExternalURL is where messages link to; Config.ExternalURL wins.
	ExternalURL string
	// Node names this agent in the notification log.
	Node string
	// Retry is how a failed notification is retried.
	Retry  Retry
	Logger *slog.Logger
}

// Retry sends a notification up to Attempts times, waiting Base, then
// twice as long each time up to Max, or what the platform asked.
type Retry struct {
	Attempts  int
	Base, Max time.Duration
}

// Manager evaluates the rules and dispatches the notifications.
type Manager struct {
	opts     Options
	log      *slog.Logger
	db       db
	eval     *evaluator
	counters counters

	// mu guards rules, alerts and silences, which the API reads.
	mu       sync.Mutex
	rules    []*ruleState
	silences map[string]*Silence

	// receivers and routes are fixed; groups belong to the loop.
	receivers map[string]*receiver
	groups    map[string]*group
	wake      chan struct{}
	// delivered carries the outcome of each message from the receivers'
	// senders back to the loop.
	delivered chan delivery
	// inFlight counts the messages handed to the senders and not yet
	// delivered back to the loop.
	inFlight atomic.Int64
}

type ruleState struct {
	rule   config.AlertRule
	alerts map[string]*Alert
}

// New loads the alerts, silences and notification log kept in the store
// and builds the receivers. It does not evaluate anything until Run.
func New(opts Options) (*Manager, error) {
	opts.Retry.Attempts = cmp.Or(opts.Retry.Attempts, 4)
	opts.Retry.Base = cmp.Or(opts.Retry.Base, 2*time.Second)
	opts.Retry.Max = cmp.Or(opts.Retry.Max, 30*time.Second)
	opts.ExternalURL = cmp.Or(opts.Config.ExternalURL, opts.ExternalURL)
	m := &Manager{
		opts: opts, log: cmp.Or(opts.Logger, slog.Default()).With("component", "alerting"), db: db{opts.Store},
		silences:  map[string]*Silence{},
		receivers: map[string]*receiver{}, groups: map[string]*group{}, wake: make(chan struct{}, 1),
		delivered: make(chan delivery),
	}
	m.eval = newEvaluator(append(slices.Clone(opts.Providers), m))
	for _, rc := range opts.Config.Receivers {
		r, err := m.newReceiver(rc)
		if err != nil {
			return nil, fmt.Errorf("receiver %q: %w", rc.Name, err)
		}
		m.receivers[rc.Name] = r
	}
	byRule := map[string]*ruleState{}
	for _, r := range opts.Config.Rules {
		rs := &ruleState{rule: r, alerts: map[string]*Alert{}}
		m.rules = append(m.rules, rs)
		byRule[r.Name] = rs
	}
	stored, err := m.db.loadAlerts()
	if err != nil {
		return nil, fmt.Errorf("load alerts: %w", err)
	}
	var gone []string
	for _, a := range stored {
		if rs := byRule[a.Rule]; rs != nil {
			rs.alerts[a.Fingerprint] = a
		} else {
			gone = append(gone, a.Fingerprint) // its rule was removed
		}
	}
	if err := m.db.saveAlerts(nil, gone, nil); err != nil {
		return nil, err
	}
	sil, err := m.db.silences()
	if err != nil {
		return nil, fmt.Errorf("load silences: %w", err)
	}
	for _, s := range sil {
		if err := s.compile(); err != nil {
			m.log.Error("stored silence does not parse; it is ignored", "silence", s.ID, "error", err)
			continue
		}
		m.silences[s.ID] = &s
	}
	return m, nil
}

// Run evaluates the rules every evaluation interval and sends what is due
// until ctx ends. Each receiver sends from its own goroutine, so that a
// receiver waiting out a platform's limit or retrying holds up neither
// the rules' evaluation nor the other receivers.
func (m *Manager) Run(ctx context.Context) {
	var senders sync.WaitGroup
	for _, r := range m.receivers {
		senders.Go(func() { m.sender(ctx, r) })
	}
	// A message the platform took as ctx ended is still written to the
	// notification log, so that a restart does not send it again.
	defer func() {
		go func() { senders.Wait(); close(m.delivered) }()
		for d := range m.delivered {
			m.settleDelivery(d)
		}
	}()
	tick := time.NewTicker(m.opts.Config.EvaluationInterval)
	defer tick.Stop()
	timer := time.NewTimer(0)
	defer timer.Stop()
	m.evaluate(ctx)
	for {
		m.dispatch()
		timer.Reset(m.nextDue())
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			m.evaluate(ctx)
		case <-timer.C:
		case <-m.wake:
		case d := <-m.delivered:
			m.settleDelivery(d)
		}
	}
}

// evaluate runs every rule once.
func (m *Manager) evaluate(ctx context.Context) {
	now := time.Now()
	var changed []*Alert
	var dropped []string
	var events []Transition
	for _, rs := range m.rules {
		samples, err := m.eval.eval(ctx, rs.rule.Expr)
		if err != nil {
			// The rule's alerts keep their state: a failed query says
			// nothing about whether the condition holds.
			m.counters.add(familyEvalFailures, rs.rule.Name, "", 1)
			m.log.Warn("alert rule evaluation failed", "rule", rs.rule.Name, "error", err)
			continue
		}
		m.mu.Lock()
		before := map[string]Alert{}
		for fp, a := range rs.alerts {
			before[fp] = *a
		}
		ev := step(rs.rule, rs.alerts, samples, now)
		for fp, a := range rs.alerts {
			if b, ok := before[fp]; !ok || b.State != a.State || b.Value != a.Value {
				c := *a
				changed = append(changed, &c)
			}
		}
		for fp := range before {
			if _, ok := rs.alerts[fp]; !ok {
				dropped = append(dropped, fp)
			}
		}
		m.mu.Unlock()
		events = append(events, ev...)
		for _, e := range ev {
			m.log.Info("alert state changed", "rule", e.Rule, "labels", e.Labels, "from", e.From, "to", e.To, "value", e.Value)
		}
	}
	if err := m.db.saveAlerts(changed, dropped, events); err != nil {
		m.log.Error("alert state not saved; a restart may notify again", "error", err)
	}
	if err := m.db.pruneHistory(now); err != nil {
		m.log.Warn("alert history not pruned", "error", err)
	}
	m.pruneSilences(now)
	m.counters.add(familyEvaluations, "", "", 1)
}

// pruneSilences forgets the silences that expired silenceKept ago.
func (m *Manager) pruneSilences(now time.Time) {
	m.mu.Lock()
	var old []string
	for id, s := range m.silences {
		if now.Sub(s.EndsAt) > silenceKept {
			old = append(old, id)
		}
	}
	m.mu.Unlock()
	for _, id := range old {
		if err := m.db.deleteSilence(id); err != nil {
			m.log.Warn("expired silence not deleted", "silence", id, "error", err)
			continue
		}
		m.mu.Lock()
		delete(m.silences, id)
		m.mu.Unlock()
	}
}

// Alerts returns the alerts that are pending, firing or lately resolved,
// with whether each is silenced or inhibited, firing first.
func (m *Manager) Alerts() []AlertStatus {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	var out []AlertStatus
	firing := m.firingLocked()
	for _, rs := range m.rules {
		for _, a := range rs.alerts {
			st := AlertStatus{Alert: *a}
			st.SilencedBy = m.silencedByLocked(a.Labels, now)
			st.Inhibited = a.State == StateFiring && m.inhibitedLocked(a, firing)
			out = append(out, st)
		}
	}
	order := map[string]int{StateFiring: 0, StatePending: 1, StateResolved: 2}
	slices.SortFunc(out, func(a, b AlertStatus) int {
		return cmp.Or(cmp.Compare(order[a.State], order[b.State]), cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Fingerprint, b.Fingerprint))
	})
	return out
}

// AlertStatus is an Alert with what mutes it.
type AlertStatus struct {
	Alert
	SilencedBy []string
	Inhibited  bool
}

// History returns up to limit state changes, newest first.
func (m *Manager) History(limit int) ([]Transition, error) { return m.db.history(limit) }

// Silences lists the silences, newest first.
func (m *Manager) Silences() []Silence {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Silence, 0, len(m.silences))
	for _, s := range m.silences {
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b Silence) int { return cmp.Compare(b.ID, a.ID) })
	return out
}

// AddSilence checks and stores s, giving it an id and a start (now) when
// it has none, and returns it.
func (m *Manager) AddSilence(s Silence) (Silence, error) {
	now := time.Now()
	if s.StartsAt.IsZero() {
		s.StartsAt = now
	}
	s.CreatedAt = now
	s.ID = ulid.MustNew(ulid.Timestamp(now), ulid.DefaultEntropy()).String()
	if err := s.compile(); err != nil {
		return Silence{}, err
	}
	if err := m.db.putSilence(s); err != nil {
		return Silence{}, err
	}
	m.mu.Lock()
	m.silences[s.ID] = &s
	m.mu.Unlock()
	m.log.Info("silence added", "id", s.ID, "matchers", s.Matchers, "author", s.Author, "ends_at", s.EndsAt)
	m.poke()
	return s, nil
}

// ExpireSilence ends a silence now.
func (m *Manager) ExpireSilence(id string) (Silence, error) {
	m.mu.Lock()
	s, ok := m.silences[id]
	if !ok {
		m.mu.Unlock()
		return Silence{}, fmt.Errorf("%w: %s", ErrSilenceNotFound, id)
	}
	now := time.Now()
	c := *s
	if c.Active(now) || now.Before(c.StartsAt) {
		c.EndsAt = now
		if c.StartsAt.After(now) {
			c.StartsAt = now
		}
	}
	m.mu.Unlock()
	if err := m.db.putSilence(c); err != nil {
		return Silence{}, err
	}
	m.mu.Lock()
	m.silences[id] = &c
	m.mu.Unlock()
	m.log.Info("silence expired", "id", id)
	m.poke()
	return c, nil
}

func (m *Manager) poke() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

func (m *Manager) silencedByLocked(labels map[string]string, now time.Time) []string {
	var ids []string
	for id, s := range m.silences {
		if s.mutes(labels, now) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

func (m *Manager) firingLocked() []*Alert {
	var out []*Alert
	for _, rs := range m.rules {
		for _, a := range rs.alerts {
			if a.State == StateFiring {
				out = append(out, a)
			}
		}
	}
	return out
}

// inhibitedLocked says whether a firing alert that matches an inhibit
// rule's source mutes a, with the same values of its equal labels.
func (m *Manager) inhibitedLocked(a *Alert, firing []*Alert) bool {
	rules := append(config.DefaultInhibits(), m.opts.Config.Inhibits...)
	for _, in := range rules {
		if !config.MatchAll(in.Target, a.Labels) {
			continue
		}
		for _, src := range firing {
			if src.Fingerprint == a.Fingerprint || !config.MatchAll(in.Source, src.Labels) {
				continue
			}
			equal := true
			for _, l := range in.Equal {
				if src.Labels[l] != a.Labels[l] {
					equal = false
					break
				}
			}
			if equal {
				return true
			}
		}
	}
	return false
}

// Functions and Eval make the Manager the provider of notifier_failing.
func (m *Manager) Functions() []string { return []string{"notifier_failing"} }

func (m *Manager) Eval(_ context.Context, call *config.AlertCall) ([]Sample, error) {
	re := call.Args["receiver"].Regexp
	var out []Sample
	for name, r := range m.receivers {
		if re.MatchString(name) {
			out = append(out, Sample{Labels: map[string]string{"receiver": name}, Value: float64(r.status().Failing)})
		}
	}
	return out, nil
}
