package syncengine_test

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"strings"
	"sync"
	"testing"

	"github.com/marketsync/marketsync/actors/job"
	"github.com/marketsync/marketsync/daemon/syncengine"
	"github.com/marketsync/marketsync/sdk/model"
)

// lease is this node's lease on the store "shop" as the engine's Fence
// sees it; a test grants and takes it away.
type lease struct {
	mu    sync.Mutex
	token uint64
	held  bool
}

func (l *lease) fence(target string) (uint64, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if target != "shop" || !l.held {
		return 0, false
	}
	return l.token, true
}

func (l *lease) set(token uint64, held bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.token, l.held = token, held
}

// logSignal is a log handler that signals each record whose message
// contains match: a test waits on what the engine reports instead of
// sleeping.
type logSignal struct {
	match string
	ch    chan string
}

func (s logSignal) Enabled(context.Context, slog.Level) bool { return true }
func (s logSignal) Handle(_ context.Context, r slog.Record) error {
	if strings.Contains(r.Message, s.match) {
		s.ch <- r.Message
	}
	return nil
}
func (s logSignal) WithAttrs([]slog.Attr) slog.Handler { return s }
func (s logSignal) WithGroup(string) slog.Handler      { return s }

// Every write call carries the token of the lease, counted by the store;
// a lone engine (no Fence) sends token 0, as before clustering.
func TestWritesCarryTheFencingToken(t *testing.T) {
	l := &lease{token: 42, held: true}
	h := newHarness(t, 100, func(h *harness) { h.fence = l.fence })
	if j := h.sync(); j.GetState() != job.State_STATE_SUCCEEDED {
		t.Fatalf("job %v", j)
	}
	// A price and a stock change go through SetPrices and SetInventory.
	h.edit(10, func(i int, p *model.Product) {
		p.Variants[0].Price.Amount += 1000
		p.Variants[1].Stock = 3
	}, 0)
	if j := h.sync(); j.GetState() != job.State_STATE_SUCCEEDED {
		t.Fatalf("second job %v", j)
	}
	calls := h.store.takeCalls()
	if calls["prices"] == 0 || calls["inventory"] == 0 {
		t.Fatalf("the change did not reach SetPrices and SetInventory: %v", calls)
	}
	tokens := h.store.takeTokens()
	if len(tokens) != 1 || tokens[42] != calls["upsert"]+calls["prices"]+calls["inventory"] {
		t.Fatalf("write calls by token %v; want all %d under 42 (calls %v)", tokens, calls["upsert"]+calls["prices"]+calls["inventory"], calls)
	}

	alone := newHarness(t, 20, nil)
	alone.sync()
	if tokens := alone.store.takeTokens(); len(tokens) != 1 || tokens[0] == 0 {
		t.Fatalf("a lone engine's writes by token: %v; want all under 0", tokens)
	}
}

// A node that does not own the target neither runs the pipeline on
// demand nor resumes its jobs, and says whose it is not.
func TestNoRunWithoutOwnership(t *testing.T) {
	l := &lease{}
	h := newHarness(t, 20, func(h *harness) { h.fence = l.fence })
	_, err := h.eng.Run("tb-shop", nil)
	if !errors.Is(err, syncengine.ErrNotOwner) || !strings.Contains(err.Error(), "not the owner of platform shop") {
		t.Fatalf("run without the lease: %v", err)
	}
	if calls := h.store.takeCalls(); len(calls) != 0 {
		t.Fatalf("the store saw calls from a node that does not own it: %v", calls)
	}
}

// The lease is lost during a run's first batch: the run writes nothing
// more and pauses with its job unfinished; when the node owns the target
// again, under a new token, the job resumes and ends with every product
// written once.
func TestLostLeaseStopsWritesAndRegainedLeaseResumes(t *testing.T) {
	const n = 200 // four batches of 50
	l := &lease{token: 1, held: true}
	paused := logSignal{match: "sync job paused", ch: make(chan string, 4)}
	h := newHarness(t, n, func(h *harness) { h.fence, h.logs = l.fence, paused })
	var once sync.Once
	h.store.mu.Lock()
	h.store.onUpsert = func() { once.Do(func() { l.set(1, false) }) }
	h.store.mu.Unlock()

	j, err := h.eng.Run("tb-shop", nil)
	if err != nil {
		t.Fatal(err)
	}
	if msg := <-paused.ch; !strings.Contains(msg, "not the owner of platform shop") {
		t.Fatalf("paused with %q", msg)
	}
	if calls := h.store.takeCalls(); calls["upsert"] != 1 {
		t.Fatalf("upsert calls after the lease was lost in the first: %v, want 1", calls)
	}
	if tokens := h.store.takeTokens(); !maps.Equal(tokens, map[uint64]int{1: 1}) {
		t.Fatalf("write calls by token: %v", tokens)
	}
	got, err := h.jobs.Get(j.GetId())
	if err != nil {
		t.Fatal(err)
	}
	if got.GetState() != job.State_STATE_RUNNING || got.GetSucceeded() != 50 || got.GetFailed() != 0 {
		t.Fatalf("paused job %v; want running with 50 succeeded", got)
	}
	// Reconcile sees the loss first, then the lease comes back.
	h.eng.Reconcile()
	l.set(9, true)
	// Before Reconcile has seen the lease come back, a new run is
	// refused: it would leave the paused job behind.
	var ne *syncengine.NotOwnerError
	if _, err := h.eng.Run("tb-shop", nil); !errors.As(err, &ne) {
		t.Fatalf("a run between the regain and Reconcile: %v, want NotOwnerError", err)
	}
	h.eng.Reconcile()
	done := h.wait(j.GetId())
	if done.GetState() != job.State_STATE_SUCCEEDED || int(done.GetSucceeded()) != n {
		t.Fatalf("resumed job %v", done)
	}
	if got := h.store.count(); got != n {
		t.Fatalf("the store holds %d products, want %d", got, n)
	}
	if tokens := h.store.takeTokens(); !maps.Equal(tokens, map[uint64]int{9: 3}) {
		t.Fatalf("write calls of the resumed run by token: %v, want 3 under the new token 9", tokens)
	}
}

// Reconcile stops a run at once when the lease is lost: the batch in
// flight is checkpointed and nothing more is written.
func TestReconcileStopsTheRunOfALostTarget(t *testing.T) {
	l := &lease{token: 5, held: true}
	paused := logSignal{match: "sync job paused", ch: make(chan string, 4)}
	h := newHarness(t, 400, func(h *harness) { h.fence, h.logs = l.fence, paused })
	fired, release := h.holdFirstUpsert()
	j, err := h.eng.Run("tb-shop", nil)
	if err != nil {
		t.Fatal(err)
	}
	<-fired
	l.set(5, false)
	h.eng.Reconcile()
	close(release)
	<-paused.ch
	if got := h.store.count(); got != 50 {
		t.Fatalf("the store holds %d products, want the 50 of the call in flight", got)
	}
	got, err := h.jobs.Get(j.GetId())
	if err != nil {
		t.Fatal(err)
	}
	if got.GetState() != job.State_STATE_RUNNING {
		t.Fatalf("job %v; want it left running, to resume", got)
	}
}

// The lease is lost between two write calls of one batch (its prices are
// written, then its stock would be): the stock call is not made, the
// products stay pending with the reason "not the owner of platform shop",
// and the run pauses.
func TestWriteWithoutLeaseIsRefused(t *testing.T) {
	l := &lease{token: 3, held: true}
	paused := logSignal{match: "sync job paused", ch: make(chan string, 4)}
	h := newHarness(t, 20, func(h *harness) { h.fence, h.logs = l.fence, paused })
	h.sync()
	h.edit(5, func(i int, p *model.Product) {
		p.Variants[0].Price.Amount += 1000
		p.Variants[1].Stock = 3
	}, 0)
	h.store.takeCalls()
	h.store.mu.Lock()
	h.store.onCall = func(op string) {
		if op == "prices" {
			l.set(3, false)
		}
	}
	h.store.mu.Unlock()
	j, err := h.eng.Run("tb-shop", nil)
	if err != nil {
		t.Fatal(err)
	}
	<-paused.ch
	if calls := h.store.takeCalls(); calls["prices"] != 1 || calls["inventory"] != 0 {
		t.Fatalf("calls after the lease was lost: %v; want the price call in flight and no stock call", calls)
	}
	pending, err := h.jobs.Pending(j.GetId())
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 5 {
		t.Fatalf("%d items pending, want the 5 changed products", len(pending))
	}
	for _, it := range pending {
		if it.GetError().GetCode() != model.CodeNotOwner || !strings.Contains(it.GetError().GetMessage(), "not the owner of platform shop") {
			t.Fatalf("pending item %s shows %v, want the not-owner reason", it.GetId(), it.GetError())
		}
	}
}
