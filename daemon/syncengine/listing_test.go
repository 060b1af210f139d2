package syncengine_test

import (
	"testing"

	"github.com/marketsync/marketsync/actors/job"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/model"
)

// A pipeline with out_of_stock = "draft" and compare_at = "1.3x" writes
// each product's publishing status and each SKU's compare-at price, as
// the store holds them: a product out of stock is a draft, the others are
// active; a restock publishes it again in the same write as its stock;
// a price change moves the compare-at price with it.
func TestStatusAndCompareAtReachTheStore(t *testing.T) {
	h := newHarness(t, 0, func(h *harness) {
		h.cfg.Stock.OutOfStock = "draft"
		h.cfg.Price.CompareAt = rat("1.3")
	})
	h.edit(3, func(i int, p *model.Product) {
		if i == 1 {
			for _, v := range p.Variants {
				v.Stock = 0
			}
		}
	}, 0)
	if j := h.sync(); j.GetState() != job.State_STATE_SUCCEEDED || j.GetSucceeded() != 3 {
		t.Fatalf("first run: %v", j)
	}
	checkSale := func(p sdk.Product) {
		t.Helper()
		for _, v := range p.Variants {
			if v.SaleCompareAt() == nil {
				t.Errorf("%s: compare-at %v for price %v, want one above it", v.SKU, v.CompareAt, v.Price)
			}
		}
	}
	for i, want := range []sdk.Status{sdk.StatusActive, sdk.StatusDraft, sdk.StatusActive} {
		p := h.store.product(h.remoteID(sourceProduct(i, 0).Id))
		if p.Status != want {
			t.Errorf("product %d: status %q in the store, want %q", i, p.Status, want)
		}
		checkSale(p)
	}
	// 99.00 CNY × 0.14 = 13.86 USD × 2.5 = 34.65 → 34.99; × 1.3 = 45.487 → 45.99.
	if p := h.store.product(h.remoteID("600000")); p.Variants[0].Price.Amount != 3499 || p.Variants[0].CompareAt.Amount != 4599 {
		t.Errorf("price %v, compare-at %v; want 34.99 and 45.99 USD", p.Variants[0].Price, p.Variants[0].CompareAt)
	}
	h.store.takeCalls()

	// Product 1 is restocked and product 0's price rises.
	h.edit(2, func(i int, p *model.Product) {
		for _, v := range p.Variants {
			if i == 0 {
				v.Price.Amount += 1000
			}
			v.Stock = 10
		}
	}, 0)
	j := h.sync()
	calls := h.store.takeCalls()
	if j.GetSucceeded() != 2 || calls["upsert"] != 1 || calls["prices"] != 0 || calls["inventory"] != 0 {
		t.Fatalf("second run: calls %v, job %v; want both products in one upsert", calls, j)
	}
	restocked := h.store.product(h.remoteID("600001"))
	if restocked.Status != sdk.StatusActive || restocked.Variants[0].Stock != 10 {
		t.Errorf("restocked product: status %q, stock %d", restocked.Status, restocked.Variants[0].Stock)
	}
	raised := h.store.product(h.remoteID("600000"))
	checkSale(raised)
	if raised.Variants[0].Price.Amount == 3499 || raised.Variants[0].CompareAt.Amount == 4599 {
		t.Errorf("raised price %v, compare-at %v: unchanged", raised.Variants[0].Price, raised.Variants[0].CompareAt)
	}
}

// The store's status is read back and takes part in the three-way
// merge: a merchant who already made a product a draft when its source
// sells out leaves nothing to write but the stock (SetInventory alone),
// and the store's draft stays.
func TestStoreStatusReadBack(t *testing.T) {
	h := newHarness(t, 0, func(h *harness) { h.cfg.Stock.OutOfStock = "draft" })
	h.putCatalogue(1, 0)
	if j := h.sync(); j.GetSucceeded() != 1 {
		t.Fatalf("first run: %v", j)
	}
	remote := h.remoteID("600000")
	h.store.merchant(remote, func(p *sdk.Product) { p.Status = sdk.StatusDraft })
	h.store.takeCalls()
	h.edit(1, func(_ int, p *model.Product) {
		for _, v := range p.Variants {
			v.Stock = 0
		}
	}, 0)
	j := h.sync()
	calls := h.store.takeCalls()
	if j.GetSucceeded() != 1 || calls["upsert"] != 0 || calls["inventory"] != 1 {
		t.Fatalf("sold out run: calls %v, job %v; want SetInventory alone", calls, j)
	}
	if p := h.store.product(remote); p.Status != sdk.StatusDraft || p.Variants[0].Stock != 0 {
		t.Errorf("store: status %q, stock %d", p.Status, p.Variants[0].Stock)
	}
}
