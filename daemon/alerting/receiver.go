package alerting

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/marketsync/marketsync/config"
	"github.com/marketsync/marketsync/daemon/alerting/notify"
)

// receiver is one receiver block: its notifier, templates, rate limit and
// what happened to its notifications.
type receiver struct {
	name string
	kind string
	n    notify.Notifier
	tmpl templates
	// limits are the platform's documented rate limits.
	limits []notify.Limit
	keep   time.Duration // the longest limit's window

	// queue hands the sender a batch of messages; busy counts those the
	// loop has not heard back about (the loop's alone).
	queue chan []outgoing
	busy  int

	mu   sync.Mutex
	sent []time.Time // sends within the last per, oldest first
	st   ReceiverStatus
}

// ReceiverStatus says how a receiver's notifications went.
type ReceiverStatus struct {
	Name, Kind  string
	Sent        int
	Failed      int
	Retried     int
	Merged      int
	Failing     int // notifications failed in a row, retries spent
	LastError   string
	LastErrorAt time.Time
	LastSentAt  time.Time
}

func (m *Manager) newReceiver(rc config.Receiver) (*receiver, error) {
	lang := m.opts.Config.Language
	t, err := parseTemplates(lang, rc.Title, rc.Text)
	if err != nil {
		return nil, err
	}
	n := m.opts.Notifiers[rc.Name]
	if n == nil {
		if n, err = NewNotifier(rc); err != nil {
			return nil, err
		}
	}
	r := &receiver{name: rc.Name, kind: rc.Kind, n: n, tmpl: t, st: ReceiverStatus{Name: rc.Name, Kind: rc.Kind}, queue: make(chan []outgoing, 1)}
	if l, ok := n.(notify.Limited); ok {
		r.limits = l.Limits()
		for _, lim := range r.limits {
			r.keep = max(r.keep, lim.Per)
		}
	}
	return r, nil
}

func (r *receiver) status() ReceiverStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.st
}

// room is how many messages may go now without passing a rate limit,
// and when the next slot frees when none may.
func (r *receiver) room(now time.Time) (int, time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.roomLocked(now)
}

func (r *receiver) roomLocked(now time.Time) (int, time.Time) {
	i := 0
	for i < len(r.sent) && !now.Before(r.sent[i].Add(r.keep)) {
		i++
	}
	r.sent = r.sent[i:]
	room, free := 1<<30, time.Time{}
	for _, lim := range r.limits {
		// The sends within this limit's window are the newest ones.
		first := len(r.sent)
		for first > 0 && now.Before(r.sent[first-1].Add(lim.Per)) {
			first--
		}
		n := lim.N - (len(r.sent) - first)
		if n <= 0 {
			// The slot frees when the oldest send that fills it ages out.
			at := r.sent[len(r.sent)-lim.N].Add(lim.Per)
			if at.After(free) {
				free = at
			}
		}
		room = min(room, max(n, 0))
	}
	return room, free
}

// take waits until a message may go, then counts it as sent.
func (r *receiver) take(ctx context.Context) error {
	for {
		ok, free := r.tryTake()
		if ok {
			return nil
		}
		t := time.NewTimer(time.Until(free))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// tryTake counts a message as sent if it may go now, or says when a slot
// frees.
func (r *receiver) tryTake() (bool, time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	n, free := r.roomLocked(now)
	if n > 0 {
		r.sent = append(r.sent, now)
	}
	return n > 0, free
}

// send delivers m, retrying with backoff, and records the outcome.
func (mgr *Manager) send(ctx context.Context, r *receiver, m *notify.Message) (notify.Answer, error) {
	if err := r.tmpl.render(m); err != nil {
		mgr.recordFailure(r, fmt.Errorf("template: %w", err))
		return notify.Answer{}, err
	}
	delay := mgr.opts.Retry.Base
	var ans notify.Answer
	var err error
	for attempt := 1; ; attempt++ {
		if err = r.take(ctx); err != nil {
			return ans, err
		}
		if ans, err = mgr.notify(ctx, r, m); err == nil {
			return ans, nil
		}
		if attempt >= mgr.opts.Retry.Attempts || !notify.Retryable(err) {
			break
		}
		wait := delay
		if ne, ok := err.(*notify.Error); ok && ne.RetryAfter > wait {
			wait = ne.RetryAfter
		}
		mgr.log.Warn("notification failed; retrying", "receiver", r.name, "attempt", attempt, "in", wait, "error", err)
		r.mu.Lock()
		r.st.Retried++
		r.mu.Unlock()
		mgr.count(r.name, "retried")
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ans, ctx.Err()
		case <-t.C:
		}
		delay = min(delay*2, mgr.opts.Retry.Max)
	}
	mgr.recordFailure(r, err)
	return ans, err
}

// notify makes one attempt at sending m and counts a success.
func (mgr *Manager) notify(ctx context.Context, r *receiver, m *notify.Message) (notify.Answer, error) {
	ans, err := r.n.Notify(ctx, m)
	if err == nil {
		r.mu.Lock()
		r.st.Sent++
		r.st.Failing = 0
		r.st.LastSentAt = time.Now()
		r.mu.Unlock()
		mgr.count(r.name, "sent")
	}
	return ans, err
}

func (mgr *Manager) recordFailure(r *receiver, err error) {
	r.mu.Lock()
	r.st.Failed++
	r.st.Failing++
	r.st.LastError = err.Error()
	r.st.LastErrorAt = time.Now()
	r.mu.Unlock()
	mgr.count(r.name, "failed")
	mgr.log.Error("notification failed", "receiver", r.name, "kind", r.kind, "error", err)
}

// Receivers returns every receiver's status, in configuration order.
func (mgr *Manager) Receivers() []ReceiverStatus {
	var out []ReceiverStatus
	for _, rc := range mgr.opts.Config.Receivers {
		if r := mgr.receivers[rc.Name]; r != nil {
			out = append(out, r.status())
		}
	}
	return out
}

// ErrUnknownReceiver is wrapped by Test's error for a name no receiver
// block has.
var ErrUnknownReceiver = fmt.Errorf("unknown receiver")

// ErrRateLimited is wrapped by Test's error when the receiver's rate
// limit has no room for a test message now.
var ErrRateLimited = errors.New("the receiver's rate limit is full")

// Test sends a test message to the receiver once, without retries or
// waiting for the rate limit, so that the caller has the platform's
// answer at once, and returns it.
func (mgr *Manager) Test(ctx context.Context, name string) (notify.Answer, error) {
	r := mgr.receivers[name]
	if r == nil {
		return notify.Answer{}, fmt.Errorf("%w %q", ErrUnknownReceiver, name)
	}
	now := time.Now()
	m := &notify.Message{
		Receiver: name, Status: StateFiring, GroupKey: "test", ExternalURL: mgr.opts.ExternalURL,
		GroupLabels:  map[string]string{"alertname": "marketsync-test"},
		CommonLabels: map[string]string{"alertname": "marketsync-test", "severity": "info"},
		Alerts: []notify.Alert{{Status: StateFiring, StartsAt: now, Fingerprint: "test",
			Labels:      map[string]string{"alertname": "marketsync-test", "severity": "info"},
			Annotations: map[string]string{"summary": "A test message from marketsync alerts test " + name}}},
	}
	if err := r.tmpl.render(m); err != nil {
		mgr.recordFailure(r, fmt.Errorf("template: %w", err))
		return notify.Answer{}, err
	}
	if ok, free := r.tryTake(); !ok {
		return notify.Answer{}, fmt.Errorf("%w: the next message may go at %s", ErrRateLimited, free.UTC().Format(time.RFC3339))
	}
	ans, err := mgr.notify(ctx, r, m)
	if err != nil {
		mgr.recordFailure(r, err)
	}
	return ans, err
}
