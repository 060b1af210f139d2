package syncengine_test

import (
	"context"
	"errors"
	"testing"

	"github.com/marketsync/marketsync/actors/job"
	"github.com/marketsync/marketsync/daemon/cache"
	"github.com/marketsync/marketsync/daemon/syncengine"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/model"
)

// The agent stops after the store accepted a batch of creates and before
// it recorded them (the answer never arrived): the job stays running and,
// resumed by a new engine, finds those products by SKU instead of creating
// them again. The store ends with each product once and every product as
// the catalogue renders it.
func TestResumeAfterLostAnswerCreatesNothingTwice(t *testing.T) {
	n := 200
	h := newHarness(t, n, nil)
	fired, release := h.holdFirstUpsert()

	j, err := h.eng.Run("tb-shop", nil)
	if err != nil {
		t.Fatal(err)
	}
	<-fired
	if err := h.eng.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	close(release)
	stopped, err := h.jobs.Get(j.GetId())
	if err != nil {
		t.Fatal(err)
	}
	if stopped.GetState() != job.State_STATE_RUNNING || stopped.GetSucceeded() != 0 {
		t.Fatalf("after the stop: %v; want running with nothing recorded", stopped)
	}
	if got := h.store.count(); got != 50 {
		t.Fatalf("the store holds %d products after the first batch, want 50", got)
	}
	h.store.mu.Lock()
	h.store.onUpsert = nil
	h.store.mu.Unlock()
	h.store.takeCalls()

	h.start(nil)
	done := h.wait(j.GetId())
	if done.GetState() != job.State_STATE_SUCCEEDED || int(done.GetSucceeded()) != n {
		t.Fatalf("resumed job: %v", done)
	}
	if got := h.store.count(); got != n {
		t.Fatalf("the store holds %d products, want %d: a create was repeated", got, n)
	}
	calls := h.store.takeCalls()
	if calls["upsert"] != ceilDiv(n-50, 50) {
		t.Errorf("resumed run: %d upsert calls, want %d (the 50 accepted ones rebound, not rewritten)", calls["upsert"], ceilDiv(n-50, 50))
	}
	for _, id := range []string{"600000", "600049", "600199"} {
		if p := h.store.product(h.remoteID(id)); p.Title["en"] != "Cotton T-shirt "+id+" r0" {
			t.Errorf("%s in the store: %q", id, p.Title)
		}
	}
	// Nothing is left to do.
	if j := h.sync(); j.GetTotal() != 0 {
		t.Errorf("a run after the resume found %d products to sync", j.GetTotal())
	}
}

// An answer lost inside a run is retried with the same idempotency key:
// the store still makes each product once.
func TestLostAnswerRetriedWithTheSameKey(t *testing.T) {
	h := newHarness(t, 100, nil)
	h.store.mu.Lock()
	h.store.lose = 1
	h.store.mu.Unlock()
	j := h.sync()
	if j.GetSucceeded() != 100 || h.store.count() != 100 {
		t.Fatalf("job %v, store %d products; want 100 and 100", j, h.store.count())
	}
}

// A store that takes fewer items than it declares refuses the batch as too
// large (413): the engine halves it, and the smaller size stays learnt.
func TestTooLargeBatchHalved(t *testing.T) {
	h := newHarness(t, 200, func(h *harness) { h.store.cap = 30 })
	j := h.sync()
	if j.GetSucceeded() != 200 || h.store.count() != 200 {
		t.Fatalf("job %v", j)
	}
	calls := h.store.takeCalls()
	if h.store.refused != 1 || calls["upsert"] != 1+ceilDiv(200, 25) {
		t.Fatalf("%d refused, %d upsert calls; want 1 refused, then batches of 25", h.store.refused, calls["upsert"])
	}
	h.edit(100, func(_ int, p *model.Product) {
		for _, v := range p.Variants {
			v.Stock = 3
		}
	}, 0)
	h.sync()
	// Each operation learns its own size: SetInventory is refused once
	// too, then sent 25 at a time.
	if calls := h.store.takeCalls(); h.store.refused != 2 || calls["inventory"] != 1+ceilDiv(300, 25) {
		t.Fatalf("inventory: %v, refused %d", calls, h.store.refused)
	}
	// A later run starts at the learnt sizes.
	h.edit(100, func(_ int, p *model.Product) {
		for _, v := range p.Variants {
			v.Stock = 4
		}
	}, 0)
	h.sync()
	if calls := h.store.takeCalls(); h.store.refused != 2 || calls["inventory"] != ceilDiv(300, 25) {
		t.Fatalf("inventory after learning: %v, refused %d", calls, h.store.refused)
	}
}

// Changed maps a store's remote ids to their products and re-syncs them:
// a price changed at the source is pushed without waiting for the
// schedule. Remote reads go through the cache until Changed drops them.
func TestChangedTargetsBoundProducts(t *testing.T) {
	h := newHarness(t, 10, nil)
	h.sync()
	if err := h.eng.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	c, err := cache.New(cache.Options{DB: h.db})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	h.start(c)
	r3 := h.remoteID("600003")
	h.store.merchant(r3, func(p *sdk.Product) { p.Variants[0].Stock = 99 })
	h.store.takeCalls()

	h.sync("600003")
	h.sync("600003")
	if calls := h.store.takeCalls(); calls["get"] != 1 || calls["inventory"]+calls["upsert"] != 0 {
		t.Fatalf("two re-checks: %v; want one read (then the cache) and no write", calls)
	}
	if got := h.store.product(r3).Variants[0].Stock; got != 99 {
		t.Fatalf("merchant's stock %d overwritten", got)
	}
	h.edit(10, func(i int, p *model.Product) {
		if i == 3 {
			p.Variants[0].Price.Amount = 30000
		}
	}, 0)
	if err := h.eng.Changed(context.Background(), "shop", []string{r3, "r-unknown"}); err != nil {
		t.Fatal(err)
	}
	j := h.wait("")
	_ = j
	calls := h.store.takeCalls()
	if calls["get"] != 1 || calls["prices"] != 1 || calls["upsert"] != 0 {
		t.Fatalf("targeted re-sync: %v", calls)
	}
	// 300.00 CNY × 0.14 = 42 × 2.5 = 105 → 105.99.
	if got := h.store.product(r3).Variants[0].Price.Amount; got != 10599 {
		t.Fatalf("price %d", got)
	}
}

// Cancel ends a running sync job: the batch in flight is not recorded,
// the items left stay pending, and the job ends CANCELLED (not resumed).
func TestCancelEndsTheJob(t *testing.T) {
	h := newHarness(t, 200, nil)
	fired, release := h.holdFirstUpsert()
	j, err := h.eng.Run("tb-shop", nil)
	if err != nil {
		t.Fatal(err)
	}
	<-fired
	if err := h.eng.Cancel(context.Background(), j.GetId()); err != nil {
		t.Fatal(err)
	}
	close(release)
	got := h.wait(j.GetId())
	if got.GetState() != job.State_STATE_CANCELLED || got.GetFinishedAt() == nil {
		t.Fatalf("job %v", got)
	}
	if err := h.eng.Cancel(context.Background(), j.GetId()); !errors.Is(err, syncengine.ErrNotRunning) {
		t.Fatalf("second cancel: %v", err)
	}
	// A restart does not resume it.
	if err := h.eng.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	unfinished, _ := h.jobs.Unfinished()
	if len(unfinished) != 0 {
		t.Fatalf("unfinished after cancel: %v", unfinished)
	}
}

// A cached copy of a store product is never the base of a write: a
// merchant's edit made after it was cached, with no webhook to drop it,
// survives a full update of the product.
func TestWriteReadsAfreshPastTheCache(t *testing.T) {
	h := newHarness(t, 3, nil)
	h.sync()
	if err := h.eng.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	c, err := cache.New(cache.Options{DB: h.db})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	h.start(c)
	r0 := h.remoteID("600000")
	h.sync("600000") // caches the store's copy
	h.store.merchant(r0, func(p *sdk.Product) { p.Title = map[string]string{"en": "Merchant's title"} })
	h.store.takeCalls()
	h.edit(1, func(_ int, p *model.Product) { p.Description = map[string]string{"en": "Organic cotton"} }, 0)
	if j := h.sync(); j.GetSucceeded() != 1 {
		t.Fatalf("job %v", j)
	}
	p := h.store.product(r0)
	if p.Title["en"] != "Merchant's title" || p.Description["en"] != "Organic cotton" {
		t.Fatalf("store: title %q (want the merchant's), description %q (want the source's)", p.Title["en"], p.Description["en"])
	}
	if calls := h.store.takeCalls(); calls["get"] != 1 || calls["upsert"] != 1 {
		t.Fatalf("calls %v: want one fresh read before the write", calls)
	}
}
