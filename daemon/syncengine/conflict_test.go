package syncengine_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/marketsync/marketsync/actors/job"
	"github.com/marketsync/marketsync/daemon/conflict"
	"github.com/marketsync/marketsync/daemon/outbox"
	"github.com/marketsync/marketsync/daemon/store"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/model"
)

// A merchant's title edit in the store survives a sync that changes the
// title at the source too (remote_wins), while the price changed at the
// source is pushed (source_wins); a merchant edit alone is kept.
func TestMerchantEditKeptUnderRemoteWins(t *testing.T) {
	h := newHarness(t, 4, nil)
	h.sync()
	r0, r1 := h.remoteID("600000"), h.remoteID("600001")
	h.store.merchant(r0, func(p *sdk.Product) { p.Title = map[string]string{"en": "Merchant's own title"} })
	h.store.merchant(r1, func(p *sdk.Product) { p.Title = map[string]string{"en": "Merchant's title, alone"} })
	h.store.takeCalls()

	// Product 0: title and price change at the source; 1 does not change.
	h.edit(1, func(_ int, p *model.Product) { p.Variants[0].Price.Amount = 20000 }, 1)
	j := h.sync()
	if j.GetState() != job.State_STATE_SUCCEEDED || j.GetTotal() != 1 {
		t.Fatalf("job %v", j)
	}
	p := h.store.product(r0)
	if p.Title["en"] != "Merchant's own title" {
		t.Errorf("the merchant's title was overwritten: %q", p.Title)
	}
	// 200.00 CNY × 0.14 = 28 × 2.5 = 70 → 70.99.
	if p.Variants[0].Price.Amount != 7099 {
		t.Errorf("price %v, want 70.99 USD pushed", p.Variants[0].Price)
	}
	if calls := h.store.takeCalls(); calls["upsert"] != 0 || calls["prices"] != 1 {
		t.Errorf("calls %v: want the price alone, through SetPrices", calls)
	}
	if got := h.store.product(r1).Title["en"]; got != "Merchant's title, alone" {
		t.Errorf("unchanged product's title %q", got)
	}
	// Forced re-check of product 1 (as a webhook asks): kept, no write.
	j = h.sync("600001")
	if calls := h.store.takeCalls(); calls["upsert"]+calls["prices"]+calls["inventory"] != 0 || j.GetSucceeded() != 1 {
		t.Errorf("re-check of a merchant edit wrote %v (job %v)", calls, j)
	}
	// Every decision is in the product's history with both values.
	var title *conflict.Decision
	_ = h.db.View(func(txn *store.Txn) error {
		hist, err := conflict.History(txn, "taobao", "600000")
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range hist {
			if d.Field == "title[en]" && d.Rule == "remote_wins" {
				title = d
			}
		}
		return nil
	})
	if title == nil || title.Remote != "Merchant's own title" || title.Source != "Cotton T-shirt 600000 r1" || title.Pushed {
		t.Errorf("title decision %+v", title)
	}
}

// Under a manual strategy a price changed on both sides waits in the
// queue while the rest of the product syncs; resolving it with a value
// writes that value at the next sync, and the events come with each step.
func TestManualConflictRoundTrip(t *testing.T) {
	h := newHarness(t, 2, func(h *harness) { h.cfg.Conflicts.Fields["price"] = "manual" })
	h.sync()
	r0 := h.remoteID("600000")
	h.store.merchant(r0, func(p *sdk.Product) { p.Variants[1].Price.Amount = 4500 })
	h.edit(1, func(_ int, p *model.Product) {
		p.Variants[1].Price.Amount = 20000
		p.Description = map[string]string{"en": "Organic cotton"}
	}, 0)
	j := h.sync()
	if j.GetSucceeded() != 1 {
		t.Fatalf("job %v", j)
	}
	p := h.store.product(r0)
	if p.Variants[1].Price.Amount != 4500 || p.Description["en"] != "Organic cotton" {
		t.Fatalf("store: price %v (want the merchant's 45.00 kept), description %q (want pushed)", p.Variants[1].Price, p.Description)
	}
	var open []*conflict.Conflict
	_ = h.db.View(func(txn *store.Txn) (err error) { open, err = conflict.List(txn, conflict.StateOpen); return })
	if len(open) != 1 || open[0].Field != "price[600000-M]" || open[0].Remote != "45.00 USD" || open[0].Source != "70.99 USD" {
		t.Fatalf("open conflicts %+v", open)
	}
	// Syncing again does not queue it twice.
	h.sync("600000")
	_ = h.db.View(func(txn *store.Txn) (err error) { open, err = conflict.List(txn, ""); return })
	if len(open) != 1 {
		t.Fatalf("%d conflicts after a re-sync, want 1", len(open))
	}

	h.store.takeCalls()
	c, err := h.eng.ResolveConflict(context.Background(), open[0].ID, conflict.TakeValue, "49.99 USD")
	if err != nil || c.State != conflict.StateResolved {
		t.Fatalf("resolve: %+v %v", c, err)
	}
	h.wait("")
	if got := h.store.product(r0).Variants[1].Price; got.Amount != 4999 || got.Currency != "USD" {
		t.Fatalf("price after resolving %+v, want 49.99 USD", got)
	}
	if calls := h.store.takeCalls(); calls["prices"] != 1 || calls["upsert"] != 0 {
		t.Errorf("calls %v", calls)
	}
	_ = h.db.View(func(txn *store.Txn) error {
		c, _ := conflict.Get(txn, open[0].ID)
		if !c.Applied {
			t.Errorf("conflict not marked applied: %+v", c)
		}
		return nil
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, want := range []outbox.Type{outbox.ProductSynced, outbox.ConflictDetected, outbox.ConflictResolved, outbox.JobFinished} {
		if !slices.Contains(h.events, want) {
			t.Errorf("no %s event among %v", want, h.events)
		}
	}
}

// A merchant edits titles in the store while a sync that changes every
// title at the source is under way: the products whose batch comes after
// the edit keep the merchant's title (remote_wins), their prices still
// follow the source.
func TestMerchantEditDuringASync(t *testing.T) {
	h := newHarness(t, 200, nil)
	h.sync()
	edited := []string{h.remoteID("600120"), h.remoteID("600199")}
	var once sync.Once
	h.store.mu.Lock()
	h.store.onUpsert = func() {
		once.Do(func() {
			for _, id := range edited {
				h.store.merchant(id, func(p *sdk.Product) { p.Title = map[string]string{"en": "Merchant's title"} })
			}
		})
	}
	h.store.mu.Unlock()
	h.edit(200, func(_ int, p *model.Product) { p.Variants[0].Price.Amount = 20000 }, 1)
	j := h.sync()
	if j.GetSucceeded() != 200 {
		t.Fatalf("job %v", j)
	}
	for _, id := range edited {
		p := h.store.product(id)
		if p.Title["en"] != "Merchant's title" {
			t.Errorf("%s: the merchant's title edited during the sync was overwritten with %q", id, p.Title["en"])
		}
		if p.Variants[0].Price.Amount != 7099 {
			t.Errorf("%s: price %v, want the source's 70.99", id, p.Variants[0].Price)
		}
	}
	if p := h.store.product(h.remoteID("600001")); p.Title["en"] != "Cotton T-shirt 600001 r1" {
		t.Errorf("an unedited product's title is %q", p.Title["en"])
	}
}
