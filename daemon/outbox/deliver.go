package outbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/marketsync/marketsync/daemon/store"
)

// Sink is a webhook endpoint.
type Sink struct {
	Name   string // unique; names the sink's queue
	URL    string
	Secret []byte // keys the signature
}

// Clock is the time a Deliverer runs on; tests pass a fake one.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// SystemClock is the real clock, the default of every Clock option.
var SystemClock Clock = realClock{}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Attempt is one delivery attempt, reported to Options.OnAttempt (for
// metrics).
type Attempt struct {
	Sink     string
	Event    Event
	Err      error // nil on success
	Failures int   // the sink's consecutive failures after this attempt
	Pending  int   // after a failure: the events waiting for the sink
}

// Options configure a Deliverer.
type Options struct {
	DB     *store.DB
	Sinks  []Sink
	Client *http.Client // nil: a client with a 10 s timeout
	Clock  Clock        // nil: the real one
	Logger *slog.Logger // nil: discarded
	// BaseDelay is the wait after a sink's first failure; it doubles with
	// each further failure up to MaxDelay. Defaults 5 s and 1 h.
	BaseDelay, MaxDelay time.Duration
	// OnAttempt, when set, is called after each attempt, from the
	// goroutine of the attempt's sink: it must be safe for concurrent use.
	OnAttempt func(Attempt)
	// PollInterval, when above zero, makes Run also look for events that
	// often: an event enqueued in a transaction that commits after the
	// Notify it sent was read is still delivered within it.
	PollInterval time.Duration
}

// failingAfter is how many consecutive failures turn the warning about a
// sink into an error.
const failingAfter = 5

// batch is how many events of a sink one read takes.
const batch = 50

// Deliverer posts queued events to their sinks.
type Deliverer struct {
	o     Options
	log   *slog.Logger
	wakes []chan struct{} // one per sink, in the order of o.Sinks
}

// New returns a Deliverer; Run starts it.
func New(o Options) *Deliverer {
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if o.Clock == nil {
		o.Clock = SystemClock
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.BaseDelay <= 0 {
		o.BaseDelay = 5 * time.Second
	}
	if o.MaxDelay < o.BaseDelay {
		o.MaxDelay = max(time.Hour, o.BaseDelay)
	}
	d := &Deliverer{o: o, log: o.Logger.With("component", "outbox")}
	for range o.Sinks {
		d.wakes = append(d.wakes, make(chan struct{}, 1))
	}
	return d
}

// Notify tells a running Deliverer that events were enqueued.
func (d *Deliverer) Notify() {
	for _, w := range d.wakes {
		select {
		case w <- struct{}{}:
		default:
		}
	}
}

// Run delivers until ctx ends: whatever is pending when it starts (events
// left by a previous run included), then whenever Notify is called or a
// failed sink's next attempt is due. Each sink is served by a goroutine
// of its own, so a slow or failing sink never holds up another's events.
func (d *Deliverer) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for i, s := range d.o.Sinks {
		wg.Go(func() { d.runSink(ctx, s, d.wakes[i]) })
	}
	<-ctx.Done()
	wg.Wait()
	return ctx.Err()
}

// runSink delivers one sink's queue until ctx ends.
func (d *Deliverer) runSink(ctx context.Context, s Sink, wake <-chan struct{}) {
	for {
		next, err := d.deliverSink(ctx, s)
		if err != nil && ctx.Err() == nil {
			d.log.Error("outbox delivery round failed", "sink", s.Name, "err", err)
			next = d.o.Clock.Now().Add(d.o.BaseDelay)
		}
		if poll := d.o.PollInterval; poll > 0 {
			if at := d.o.Clock.Now().Add(poll); next.IsZero() || at.Before(next) {
				next = at
			}
		}
		var timer <-chan time.Time
		if !next.IsZero() {
			timer = d.o.Clock.After(next.Sub(d.o.Clock.Now()))
		}
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-timer:
		}
	}
}

// DeliverDue delivers every event whose sink is due, each sink in event
// order and all sinks at once, and returns, once every sink is done, when
// the earliest sink still waiting is due next (zero when no sink waits).
func (d *Deliverer) DeliverDue(ctx context.Context) (time.Time, error) {
	ats := make([]time.Time, len(d.o.Sinks))
	errs := make([]error, len(d.o.Sinks))
	var wg sync.WaitGroup
	for i, s := range d.o.Sinks {
		wg.Go(func() {
			ats[i], errs[i] = d.deliverSink(ctx, s)
			if errs[i] != nil {
				errs[i] = fmt.Errorf("outbox: sink %s: %w", s.Name, errs[i])
			}
		})
	}
	wg.Wait()
	var next time.Time
	for _, at := range ats {
		if !at.IsZero() && (next.IsZero() || at.Before(next)) {
			next = at
		}
	}
	return next, errors.Join(errs...)
}

// deliverSink delivers sink's queue in order until it is empty or an
// attempt fails; it returns the next attempt's time after a failure.
func (d *Deliverer) deliverSink(ctx context.Context, s Sink) (time.Time, error) {
	var st SinkState
	var events []queued
	err := d.o.DB.View(func(txn *store.Txn) (err error) {
		if st, err = state(txn, s.Name); err != nil {
			return err
		}
		events, err = head(txn, s.Name, batch)
		return err
	})
	if err != nil {
		return time.Time{}, err
	}
	if len(events) == 0 {
		return time.Time{}, nil
	}
	if now := d.o.Clock.Now(); st.Failures > 0 && now.Before(st.NextAttempt) {
		return st.NextAttempt, nil
	}
	for len(events) > 0 {
		var sent []queued
		var stopped, failure error
		var failedAt queued
		for _, q := range events {
			if stopped = ctx.Err(); stopped != nil {
				break
			}
			derr := d.post(ctx, s, q.Event)
			if derr != nil && ctx.Err() != nil {
				// Stopped mid-post: not the sink's failure. The event
				// stays queued and is sent again by the next run.
				stopped = ctx.Err()
				break
			}
			if derr != nil {
				failure, failedAt = derr, q
				break
			}
			sent = append(sent, q)
		}
		if err := d.acknowledge(s, sent, st); err != nil {
			return time.Time{}, err
		}
		if len(sent) > 0 {
			if st.Failures > 0 {
				d.log.Info("webhook sink recovered", "sink", s.Name, "after_failures", st.Failures)
			}
			st = SinkState{}
			for _, q := range sent {
				d.report(Attempt{Sink: s.Name, Event: q.Event})
			}
		}
		switch {
		case stopped != nil:
			return time.Time{}, stopped
		case failure != nil:
			return d.failed(s, failedAt, st, failure)
		}
		err := d.o.DB.View(func(txn *store.Txn) (err error) {
			events, err = head(txn, s.Name, batch)
			return err
		})
		if err != nil {
			return time.Time{}, err
		}
	}
	return time.Time{}, nil
}

// acknowledge takes the events a sink accepted off its queue, in one
// transaction (one synced write rather than one per event), and clears
// the sink's failures. A crash before it commits sends them again, which
// receivers deduplicate on their id.
func (d *Deliverer) acknowledge(s Sink, sent []queued, st SinkState) error {
	if len(sent) == 0 {
		return nil
	}
	return d.o.DB.Update(func(txn *store.Txn) error {
		for _, q := range sent {
			if err := txn.Delete(ns, queueKey(s.Name, q.Event.ID)); err != nil {
				return err
			}
		}
		if st.Failures > 0 {
			return putState(txn, s.Name, SinkState{})
		}
		return nil
	})
}

// failed records a failed attempt: the event stays at the head of the
// queue and the sink waits for its backoff.
func (d *Deliverer) failed(s Sink, q queued, st SinkState, cause error) (time.Time, error) {
	now := d.o.Clock.Now()
	st.Failures++
	st.LastError = cause.Error()
	st.NextAttempt = now.Add(d.backoff(st.Failures))
	q.Attempts++
	q.LastError = cause.Error()
	var pending int
	err := d.o.DB.Update(func(txn *store.Txn) error {
		v, err := json.Marshal(q)
		if err != nil {
			return err
		}
		if err := txn.Set(ns, queueKey(s.Name, q.Event.ID), v); err != nil {
			return err
		}
		if err := putState(txn, s.Name, st); err != nil {
			return err
		}
		pending, _, err = Pending(txn, s.Name)
		return err
	})
	if err != nil {
		return time.Time{}, err
	}
	level := slog.LevelWarn
	if st.Failures >= failingAfter {
		level = slog.LevelError
	}
	d.log.Log(context.Background(), level, "webhook delivery failed; events are kept and retried",
		"sink", s.Name, "event", q.Event.ID, "type", q.Event.Type, "attempts", q.Attempts,
		"sink_failures", st.Failures, "pending", pending, "next_attempt", st.NextAttempt, "err", cause)
	d.report(Attempt{Sink: s.Name, Event: q.Event, Err: cause, Failures: st.Failures, Pending: pending})
	return st.NextAttempt, nil
}

// backoff is BaseDelay × 2^(failures-1), at most MaxDelay.
func (d *Deliverer) backoff(failures int) time.Duration {
	delay := d.o.BaseDelay
	for i := 1; i < failures && delay < d.o.MaxDelay; i++ {
		delay *= 2
	}
	return min(delay, d.o.MaxDelay)
}

func (d *Deliverer) report(a Attempt) {
	if d.o.OnAttempt != nil {
		d.o.OnAttempt(a)
	}
}

// post sends one event; any answer but 2xx is a failure. Its error is
// stored, logged and shown by the sinks' status, so the sink's URL is
// redacted from it.
func (d *Deliverer) post(ctx context.Context, s Sink, e Event) error {
	return redactError(d.send(ctx, s, e), s.URL)
}

func (d *Deliverer) send(ctx context.Context, s Sink, e Event) error {
	body, err := json.Marshal(e)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "marketsync-webhook")
	req.Header.Set("X-Marketsync-Event", string(e.Type))
	req.Header.Set("X-Marketsync-Delivery", e.ID)
	req.Header.Set(SignatureHeader, Sign(s.Secret, d.o.Clock.Now(), body))
	resp, err := d.o.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("HTTP %s", resp.Status)
	}
	return nil
}
