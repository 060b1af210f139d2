package agent

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/marketsync/marketsync/config"
	"github.com/marketsync/marketsync/daemon/alerting"
	"github.com/marketsync/marketsync/daemon/api"
	"github.com/marketsync/marketsync/daemon/client"
	"github.com/marketsync/marketsync/daemon/cluster/membership"
)

// agentAlerting is the alert manager the API and /metrics reach. A
// reload that changes the alerting configuration replaces the manager
// behind it (reload): the old one stops, the new one reads the alerts,
// notification log and silences the old one kept in the store, so a
// reload, like a restart, neither pages again nor forgets an incident.
type agentAlerting struct {
	mu      sync.Mutex // one replacement at a time; guards cfg, cancel, done, stopped
	current atomic.Pointer[alerting.Manager]
	cfg     config.Alerting
	cancel  context.CancelFunc
	done    chan struct{}
	// stopped is set when the agent stops alerting: a reload that comes
	// after starts nothing, as the store is closing.
	stopped bool
}

// m is the running manager.
func (al *agentAlerting) m() *alerting.Manager { return al.current.Load() }

// run starts m in place of the running manager, which it stops first:
// two managers never evaluate or notify at once.
func (al *agentAlerting) run(m *alerting.Manager, cfg config.Alerting) {
	al.mu.Lock()
	defer al.mu.Unlock()
	if al.stopped {
		return
	}
	al.stopLocked()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	al.current.Store(m)
	al.cfg, al.cancel, al.done = cfg, cancel, done
	go func() {
		defer close(done)
		m.Run(ctx)
	}()
}

func (al *agentAlerting) stopLocked() {
	if al.cancel != nil {
		al.cancel()
		<-al.done
		al.cancel = nil
	}
}

// setupAlerting starts the alert manager over the agent's statistics,
// platforms, jobs and cache, the sync engine's conflicts, and the
// cluster's members when the agent is a cluster node.
func (a *Agent) setupAlerting(context.Context) error {
	m, err := a.newAlertManager(a.cfg.Alerting)
	if err != nil {
		return err
	}
	al := &agentAlerting{}
	al.run(m, a.cfg.Alerting)
	a.alerting = al
	return nil
}

// newAlertManager is an alert manager of cfg over the agent's inputs.
func (a *Agent) newAlertManager(cfg config.Alerting) (*alerting.Manager, error) {
	scheme := "http"
	if a.cfg.API.TLS.Enabled() {
		scheme = "https"
	}
	node, _ := os.Hostname()
	inputs := &alerting.AgentInputs{
		State: guarded{a},
		Stats: statsFrom(a.stats, nil),
	}
	if a.cache != nil {
		inputs.Cache = a.cache
	}
	return alerting.New(alerting.Options{
		Config: cfg, Store: a.db, Providers: append(append([]alerting.Provider{inputs}, a.syncProviders()...), a.clusterProviders()...),
		ExternalURL: scheme + "://" + a.cfg.API.Address, Node: node, Logger: a.log,
	})
}

// prepareAlerting is the manager of next, when it differs from the
// running alerting configuration, for reloadAlerting to start; nil when
// nothing changed. It is made before the reload changes anything, so a
// configuration the manager refuses fails the whole reload.
func (a *Agent) prepareAlerting(next config.Alerting) (*alerting.Manager, error) {
	if a.alerting == nil {
		return nil, nil
	}
	a.alerting.mu.Lock()
	same := a.alerting.cfg.SameAs(next)
	a.alerting.mu.Unlock()
	if same {
		return nil, nil
	}
	m, err := a.newAlertManager(next)
	if err != nil {
		return nil, fmt.Errorf("alerting: %w", err)
	}
	return m, nil
}

// reloadAlerting puts m, which prepareAlerting made of cfg, in force.
func (a *Agent) reloadAlerting(m *alerting.Manager, cfg config.Alerting) {
	if m == nil {
		return
	}
	a.alerting.run(m, cfg)
	a.log.Info("reloaded alerting", "rules", len(cfg.Rules), "receivers", len(cfg.Receivers))
}

// clusterProviders answer cluster_member_down from the cluster's gossip,
// or nothing when the agent runs alone.
func (a *Agent) clusterProviders() []alerting.Provider {
	if a.cluster == nil {
		return nil
	}
	return []alerting.Provider{memberAlerts{members: a.cluster.node.Membership().Members, leads: a.cluster.node.IsLeader}}
}

// memberAlerts is the provider of cluster_member_down: 1 for each member
// that gossip's failure detector declared dead, 0 for the live ones. A
// member that left with a goodbye (shut down on purpose) is not down and
// yields nothing. Only the raft leader answers (leads): every survivor
// sees a dead member, and each would page for it; the leader is one
// node, and when it is the one that died the next leader takes over. A
// node cut off in a minority has no leader, so it pages for nobody, and
// the majority's leader pages for it.
type memberAlerts struct {
	members func() []membership.Member
	leads   func() bool
}

// Functions implements alerting.Provider.
func (memberAlerts) Functions() []string { return []string{"cluster_member_down"} }

// Eval implements alerting.Provider.
func (p memberAlerts) Eval(_ context.Context, call *config.AlertCall) ([]alerting.Sample, error) {
	if !p.leads() {
		return nil, nil
	}
	re := call.Args["member"].Regexp
	var out []alerting.Sample
	for _, m := range p.members() {
		if m.Status == membership.Left || !re.MatchString(m.Name) {
			continue
		}
		down := 0.0
		if m.Status == membership.Failed {
			down = 1
		}
		out = append(out, alerting.Sample{Labels: map[string]string{"member": m.Name}, Value: down})
	}
	return out, nil
}

// stopAlerting stops evaluating and sending, before the store closes.
func (a *Agent) stopAlerting() {
	if a.alerting != nil {
		a.alerting.mu.Lock()
		a.alerting.stopLocked()
		a.alerting.stopped = true
		a.alerting.mu.Unlock()
	}
}

// alertSource serves the alerting routes, or nothing before alerting is
// set up.
func (a *Agent) alertSource() api.AlertSource {
	if a.alerting == nil {
		return nil
	}
	return a.alerting
}

// metricsHandler serves the agent's metrics and the alerting series.
func (a *Agent) metricsHandler() http.Handler {
	h := a.metrics.Handler()
	if a.alerting == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		a.alerting.m().WriteMetrics(w)
	})
}

// Alerts implements api.AlertSource.
func (al *agentAlerting) Alerts(context.Context) (*client.Alerts, error) {
	out := &client.Alerts{}
	for _, s := range al.m().Alerts() {
		out.Alerts = append(out.Alerts, client.Alert{
			Fingerprint: s.Fingerprint, Rule: s.Rule, State: s.State, Labels: s.Labels, Annotations: s.Annotations,
			Value: s.Value, ActiveAt: s.ActiveAt, FiredAt: s.FiredAt, ResolvedAt: s.ResolvedAt,
			SilencedBy: s.SilencedBy, Inhibited: s.Inhibited,
		})
	}
	for _, r := range al.m().Receivers() {
		out.Receivers = append(out.Receivers, client.Receiver{
			Name: r.Name, Kind: r.Kind, Sent: r.Sent, Failed: r.Failed, Retried: r.Retried, Merged: r.Merged,
			Failing: r.Failing, LastError: r.LastError, LastErrorAt: r.LastErrorAt, LastSentAt: r.LastSentAt,
		})
	}
	return out, nil
}

// AlertHistory implements api.AlertSource.
func (al *agentAlerting) AlertHistory(_ context.Context, limit int) ([]client.AlertEvent, error) {
	hist, err := al.m().History(limit)
	if err != nil {
		return nil, err
	}
	out := make([]client.AlertEvent, len(hist))
	for i, e := range hist {
		out[i] = client.AlertEvent{At: e.At, Fingerprint: e.Fingerprint, Rule: e.Rule, Labels: e.Labels, From: e.From, To: e.To, Value: e.Value}
	}
	return out, nil
}

func silenceOut(s alerting.Silence) *client.Silence {
	return &client.Silence{ID: s.ID, Matchers: s.Matchers, Author: s.Author, Comment: s.Comment,
		CreatedAt: s.CreatedAt, StartsAt: s.StartsAt, EndsAt: s.EndsAt, State: s.State(time.Now())}
}

// Silences implements api.AlertSource.
func (al *agentAlerting) Silences(context.Context) ([]client.Silence, error) {
	var out []client.Silence
	for _, s := range al.m().Silences() {
		out = append(out, *silenceOut(s))
	}
	return out, nil
}

// AddSilence implements api.AlertSource.
func (al *agentAlerting) AddSilence(_ context.Context, req client.SilenceRequest) (*client.Silence, error) {
	s := alerting.Silence{Matchers: req.Matchers, Author: req.Author, Comment: req.Comment, StartsAt: req.StartsAt, EndsAt: req.EndsAt}
	if req.Duration != "" {
		d, err := time.ParseDuration(req.Duration)
		if err != nil || d <= 0 {
			return nil, api.BadRequest(client.CodeInvalidSilence, fmt.Sprintf("duration %q is not a positive duration such as \"2h\"", req.Duration))
		}
		start := req.StartsAt
		if start.IsZero() {
			start = time.Now()
		}
		s.StartsAt, s.EndsAt = start, start.Add(d)
	}
	out, err := al.m().AddSilence(s)
	if errors.Is(err, alerting.ErrInvalidSilence) {
		return nil, api.BadRequest(client.CodeInvalidSilence, err.Error())
	}
	if err != nil {
		return nil, err
	}
	return silenceOut(out), nil
}

// ExpireSilence implements api.AlertSource.
func (al *agentAlerting) ExpireSilence(_ context.Context, id string) (*client.Silence, error) {
	out, err := al.m().ExpireSilence(id)
	if errors.Is(err, alerting.ErrSilenceNotFound) {
		return nil, api.NotFound(client.CodeSilenceNotFound, fmt.Sprintf("no silence has the id %q", id))
	}
	if err != nil {
		return nil, err
	}
	return silenceOut(out), nil
}

// TestReceiver implements api.AlertSource: the platform's answer comes
// back whether it accepted the message or not.
func (al *agentAlerting) TestReceiver(ctx context.Context, name string) (*client.ReceiverTest, error) {
	ans, err := al.m().Test(ctx, name)
	if errors.Is(err, alerting.ErrUnknownReceiver) {
		return nil, api.NotFound(client.CodeReceiverNotFound, fmt.Sprintf("no receiver block is named %q", name))
	}
	out := &client.ReceiverTest{Receiver: name, OK: err == nil, Status: ans.Status, Answer: ans.Body}
	if err != nil {
		out.Error = err.Error()
	}
	return out, nil
}
