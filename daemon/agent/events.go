package agent

import (
	"context"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/marketsync/marketsync/actors/job"
	"github.com/marketsync/marketsync/config"
	"github.com/marketsync/marketsync/daemon/client"
	"github.com/marketsync/marketsync/daemon/events"
	"github.com/marketsync/marketsync/daemon/outbox"
	"github.com/marketsync/marketsync/daemon/store"
	"github.com/marketsync/marketsync/sdk/model"
)

// setupEvents starts the emitter on the configured sinks and hooks it
// into the job store, before any job runs: a collect's products and a
// job's end are emitted in the transaction that stores them.
func (a *Agent) setupEvents(context.Context) error {
	sinks, err := eventSinks(a.cfg.EventSinks)
	if err != nil {
		return err
	}
	a.events = events.New(events.Options{DB: a.db, Logger: a.log,
		OnAttempt: func(at outbox.Attempt) { a.metrics.EventAttempt(at.Sink, at.Err != nil) }})
	a.setSinks(sinks)
	a.jobs.SetHook(a.jobEvents)
	// The hook emits before its transaction commits; each job write
	// that committed wakes the deliveries, so its events leave at once
	// rather than at the next poll.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case <-a.changes.wait():
				a.events.Notify()
			}
		}
	}()
	a.stopNotify = func() {
		cancel()
		<-done
	}
	return nil
}

// setSinks puts sinks in force and creates their metrics.
func (a *Agent) setSinks(sinks []events.Sink) {
	a.events.SetSinks(sinks)
	for _, s := range sinks {
		a.metrics.RegisterEventSink(s.Name, a.sinkStat(s.Name))
	}
	if len(sinks) > 0 {
		a.log.Info("event sinks ready", "sinks", len(sinks))
	}
}

// sinkStat reads a sink's backlog for its gauges, at most once a second:
// a scrape reads three gauges, and a sink that has been down for long
// has a long queue to count.
func (a *Agent) sinkStat(name string) func() (int, time.Time, int) {
	var mu sync.Mutex
	var st outbox.Stat
	var at time.Time
	return func() (int, time.Time, int) {
		mu.Lock()
		defer mu.Unlock()
		if time.Since(at) >= time.Second {
			if err := a.db.View(func(txn *store.Txn) (err error) { st, err = outbox.StatOf(txn, name); return err }); err != nil {
				a.log.Warn("cannot read an event sink's backlog", "sink", name, "error", err)
			}
			at = time.Now()
		}
		return st.Pending, st.Oldest, st.State.Failures
	}
}

// eventSinks reads the sinks' secrets: a secret_file that cannot be read
// is a diagnostic at its block.
func eventSinks(blocks []config.EventSink) ([]events.Sink, error) {
	var out []events.Sink
	var diags hcl.Diagnostics
	for _, b := range blocks {
		secret, err := b.LoadSecret()
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read the event sink's secret",
				Detail: err.Error() + ".", Subject: b.DeclRange.Ptr()})
			continue
		}
		s := events.Sink{Sink: outbox.Sink{Name: b.Name, URL: b.URL, Secret: []byte(secret.Reveal())}}
		if b.Events != nil {
			s.Events = []outbox.Type{}
			for _, t := range b.Events {
				s.Events = append(s.Events, outbox.Type(t))
			}
		}
		out = append(out, s)
	}
	if diags.HasErrors() {
		return nil, &ConfigError{Diags: diags}
	}
	return out, nil
}

// jobEvents is the job store's hook: product.collected for each product
// a collect commits, job.finished when a job reaches an end state.
func (a *Agent) jobEvents(txn *store.Txn, prev, next *job.Job, products []*model.Product) error {
	for _, p := range products {
		if err := a.events.Emit(txn, outbox.ProductCollected, events.ProductCollected{
			Platform: next.GetPlatform(), ProductID: p.GetId(), JobID: next.GetId(), Variants: len(p.GetVariants()),
		}); err != nil {
			return err
		}
	}
	if !finished(next.GetState()) || finished(prev.GetState()) {
		return nil
	}
	data := events.JobFinished{
		JobID: next.GetId(), Kind: string(apiJobKind[next.GetKind()]), Platform: next.GetPlatform(),
		State: string(apiJobState[next.GetState()]), Total: next.GetTotal(), Succeeded: next.GetSucceeded(),
		Failed: next.GetFailed(), Error: next.GetError(),
	}
	if next.GetStartedAt() != nil {
		data.StartedAt = next.GetStartedAt().AsTime()
	}
	if next.GetFinishedAt() != nil {
		data.FinishedAt = next.GetFinishedAt().AsTime()
	}
	return a.events.Emit(txn, outbox.JobFinished, data)
}

func finished(s job.State) bool {
	switch s {
	case job.State_STATE_SUCCEEDED, job.State_STATE_PARTIAL, job.State_STATE_FAILED, job.State_STATE_CANCELLED:
		return true
	}
	return false
}

// EventSinks implements api.EventSinks. The sinks' URLs come redacted
// from the emitter: the route needs only the read scope.
func (a *Agent) EventSinks(context.Context) ([]client.EventSink, error) {
	list, err := a.events.Status()
	if err != nil {
		return nil, err
	}
	out := make([]client.EventSink, 0, len(list))
	for _, s := range list {
		c := client.EventSink{Name: s.Name, URL: s.URL, Configured: s.Configured, Pending: s.Pending,
			Failures: s.Failures, LastError: s.LastError}
		for _, t := range s.Events {
			c.Events = append(c.Events, string(t))
		}
		if !s.Oldest.IsZero() {
			c.Oldest = &s.Oldest
		}
		if !s.NextAttempt.IsZero() {
			c.NextAttempt = &s.NextAttempt
		}
		out = append(out, c)
	}
	return out, nil
}

// EventEmitter is the emitter, for the sync engine's hook:
// (*events.Emitter).Emit records an event in the caller's transaction.
func (a *Agent) EventEmitter() *events.Emitter { return a.events }

// closeEvents stops the webhook worker and the deliveries, once the API
// and the jobs have stopped; what is queued stays for the next start.
func (a *Agent) closeEvents() {
	if a.stopWebhooks != nil {
		a.stopWebhooks()
	}
	if a.stopNotify != nil {
		a.stopNotify()
	}
	if a.events != nil {
		a.events.Close()
	}
}
