package events

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/marketsync/marketsync/daemon/outbox"
	"github.com/marketsync/marketsync/daemon/store"
)

// Sink is a webhook sink and the event types it receives.
type Sink struct {
	outbox.Sink
	// Events lists the types the sink receives; nil means every type.
	Events []outbox.Type
}

// Options configure an Emitter.
type Options struct {
	DB     *store.DB
	Client *http.Client // nil: the outbox's default
	Clock  outbox.Clock // nil: the real one
	Logger *slog.Logger // nil: discarded
	// BaseDelay and MaxDelay bound a failing sink's backoff (the
	// outbox's defaults: 5 s doubling up to 1 h).
	BaseDelay, MaxDelay time.Duration
	// PollInterval is how often the Deliverer looks for events whose
	// commit came after their notification; default DefaultPollInterval.
	PollInterval time.Duration
	// OnAttempt is called after each delivery attempt (metrics).
	OnAttempt func(outbox.Attempt)
}

// DefaultPollInterval bounds how late an event enqueued through Emit is
// delivered to a healthy sink: Emit notifies the Deliverer before its
// caller commits, and a round that ran before the commit finds the
// event at the next poll.
const DefaultPollInterval = time.Second

// Emitter enqueues events for the sinks subscribed to them and runs
// their delivery. Its methods are safe for concurrent use.
type Emitter struct {
	o   Options
	log *slog.Logger

	subs atomic.Pointer[map[outbox.Type][]string]
	cur  atomic.Pointer[outbox.Deliverer]

	mu     sync.Mutex // guards sinks and the running Deliverer
	sinks  []Sink
	cancel context.CancelFunc
	done   chan struct{}
}

// New returns an Emitter without sinks: Emit records nothing until
// SetSinks gives it some.
func New(o Options) *Emitter {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Clock == nil {
		o.Clock = outbox.SystemClock
	}
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	e := &Emitter{o: o, log: o.Logger.With("component", "events")}
	e.subs.Store(&map[outbox.Type][]string{})
	return e
}

// Hook is the shape of the sync engine's event hook, which Emit fits.
type Hook = func(txn *store.Txn, t outbox.Type, data any) error

var _ Hook = (*Emitter)(nil).Emit

// Emit enqueues an event of type t carrying data (encoded as JSON) for
// every sink subscribed to t, in txn: the event is delivered if and only
// if txn commits. It has the shape of the hook the sync engine takes.
// An unknown type is an error; a type no sink wants costs nothing.
func (e *Emitter) Emit(txn *store.Txn, t outbox.Type, data any) error {
	if !slices.Contains(outbox.Types, t) {
		return fmt.Errorf("events: unknown event type %q", t)
	}
	sinks := (*e.subs.Load())[t]
	if len(sinks) == 0 {
		return nil
	}
	ev, err := outbox.NewEvent(t, e.o.Clock.Now(), data)
	if err != nil {
		return err
	}
	if err := outbox.Enqueue(txn, ev, sinks...); err != nil {
		return err
	}
	e.Notify()
	return nil
}

// Publish emits one event in a transaction of its own and wakes the
// Deliverer once it is committed.
func (e *Emitter) Publish(t outbox.Type, data any) error {
	if err := e.o.DB.Update(func(txn *store.Txn) error { return e.Emit(txn, t, data) }); err != nil {
		return err
	}
	e.Notify()
	return nil
}

// Notify wakes the Deliverer: call it after committing a transaction
// that emitted, to deliver without waiting for the next poll.
func (e *Emitter) Notify() {
	if d := e.cur.Load(); d != nil {
		d.Notify()
	}
}

// SetSinks puts sinks in force: the Deliverer in progress stops (an
// event it was posting stays queued and is sent again) and a new one
// starts on them, delivering whatever waits for them first. Events
// queued for a sink no longer configured stay in the outbox, and are
// delivered if it comes back; they are logged here.
func (e *Emitter) SetSinks(sinks []Sink) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cancel != nil && reflect.DeepEqual(sinks, e.sinks) {
		return // unchanged: delivery in progress goes on
	}
	e.stopLocked()
	subs := map[outbox.Type][]string{}
	var plain []outbox.Sink
	for _, s := range sinks {
		plain = append(plain, s.Sink)
		for _, t := range outbox.Types {
			if s.Events == nil || slices.Contains(s.Events, t) {
				subs[t] = append(subs[t], s.Name)
			}
		}
	}
	e.subs.Store(&subs)
	e.sinks = slices.Clone(sinks)
	e.warnOrphans()
	if len(sinks) == 0 {
		return
	}
	d := outbox.New(outbox.Options{DB: e.o.DB, Sinks: plain, Client: e.o.Client, Clock: e.o.Clock, Logger: e.o.Logger,
		BaseDelay: e.o.BaseDelay, MaxDelay: e.o.MaxDelay, OnAttempt: e.o.OnAttempt, PollInterval: e.o.PollInterval})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = d.Run(ctx)
	}()
	e.cancel, e.done = cancel, done
	e.cur.Store(d)
}

// Close stops delivery; what is queued stays for the next start.
func (e *Emitter) Close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.stopLocked()
}

func (e *Emitter) stopLocked() {
	if e.cancel == nil {
		return
	}
	e.cancel()
	<-e.done
	e.cancel, e.done = nil, nil
	e.cur.Store(nil)
}

func (e *Emitter) warnOrphans() {
	status, err := e.statusLocked()
	if err != nil {
		e.log.Error("cannot read the outbox", "error", err)
		return
	}
	for _, s := range status {
		if !s.Configured {
			e.log.Warn("events wait for a sink that is no longer configured; they are kept until an event_sink of that name comes back",
				"sink", s.Name, "pending", s.Pending, "oldest", s.Oldest)
		}
	}
}

// SinkStatus is a sink's backlog and health.
type SinkStatus struct {
	Name string
	// URL is the sink's, redacted (outbox.RedactURL): the status is
	// shown to read-only callers, and a URL may carry credentials.
	URL string
	// Events the sink receives; nil: every type.
	Events []outbox.Type
	// Configured is false for a queue left by a sink that was removed.
	Configured bool
	Pending    int
	// Oldest is when the oldest waiting event was made; zero if none.
	Oldest time.Time
	// Failures counts consecutive failed attempts; NextAttempt is when
	// a failing sink is tried again; LastError is the last failure.
	Failures    int
	NextAttempt time.Time
	LastError   string
}

// Status returns every configured sink, then every queue left by a sink
// no longer configured, each in name order.
func (e *Emitter) Status() ([]SinkStatus, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.statusLocked()
}

func (e *Emitter) statusLocked() ([]SinkStatus, error) {
	var out []SinkStatus
	err := e.o.DB.View(func(txn *store.Txn) error {
		configured := map[string]bool{}
		sinks := slices.SortedFunc(slices.Values(e.sinks), func(a, b Sink) int { return strings.Compare(a.Name, b.Name) })
		for _, s := range sinks {
			configured[s.Name] = true
			st, err := outbox.StatOf(txn, s.Name)
			if err != nil {
				return err
			}
			out = append(out, statusOf(s.Name, s.URL, s.Events, true, st))
		}
		queues, err := outbox.Queues(txn)
		if err != nil {
			return err
		}
		for _, name := range queues {
			if configured[name] {
				continue
			}
			st, err := outbox.StatOf(txn, name)
			if err != nil {
				return err
			}
			out = append(out, statusOf(name, "", nil, false, st))
		}
		return nil
	})
	return out, err
}

func statusOf(name, url string, events []outbox.Type, configured bool, st outbox.Stat) SinkStatus {
	if url != "" {
		url = outbox.RedactURL(url)
	}
	s := SinkStatus{Name: name, URL: url, Events: events, Configured: configured, Pending: st.Pending, Oldest: st.Oldest,
		Failures: st.State.Failures, LastError: st.State.LastError}
	if st.State.Failures > 0 {
		s.NextAttempt = st.State.NextAttempt
	}
	return s
}
