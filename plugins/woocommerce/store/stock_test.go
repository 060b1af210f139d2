package store_test

import (
	"context"
	"testing"

	"github.com/marketsync/marketsync/plugins/woocommerce/sim"
	"github.com/marketsync/marketsync/plugins/woocommerce/store"
	"github.com/marketsync/marketsync/sdk"
)

// stockOf is the stock the simulated store holds for a SKU.
func stockOf(t *testing.T, s *sim.Running, remote, sku string) int64 {
	t.Helper()
	p, vs, ok := s.Product(mustID(t, remote))
	if !ok {
		t.Fatalf("no product %s", remote)
	}
	if p.SKU == sku && p.StockQuantity != nil {
		return *p.StockQuantity
	}
	for _, v := range vs {
		if v.SKU == sku && v.StockQuantity != nil {
			return *v.StockQuantity
		}
	}
	t.Fatalf("product %s has no managed stock for %s", remote, sku)
	return 0
}

func setStock(t *testing.T, p *store.Plugin, items ...sdk.InventoryItem) []sdk.WriteResult {
	t.Helper()
	resp, err := p.SetInventory(context.Background(), &sdk.SetInventoryRequest{Items: items})
	if err != nil {
		t.Fatal(err)
	}
	return resp.Results
}

func expect(n int64) *int64 { return &n }

// WooCommerce has no compare-and-set: the plugin reads the stock and
// refuses an item whose stock is not the one expected. A sale since the
// host last saw the stock fails the item as CONFLICT and the store keeps
// the sale's stock; the items beside it are written.
func TestExpectedStockIsCheckedBeforeTheWrite(t *testing.T) {
	s := sim.ServeTest(t, sim.Options{})
	p := configure(t, s, s.URL, nil)
	rs := upsert(t, p, product("EX", 3), product("EY", 0))
	shirt, mug := rs[0].RemoteID, rs[1].RemoteID
	id, _ := s.IDBySKU("EX-2")
	if err := s.MerchantUpdate(id, map[string]any{"stock_quantity": 1}); err != nil {
		t.Fatal(err)
	}
	got := setStock(t, p,
		sdk.InventoryItem{IdempotencyKey: "a", RemoteID: shirt, SKU: "EX-2", Stock: 8, ExpectedStock: expect(2)},
		sdk.InventoryItem{IdempotencyKey: "b", RemoteID: shirt, SKU: "EX-1", Stock: 7, ExpectedStock: expect(1)},
		sdk.InventoryItem{IdempotencyKey: "c", RemoteID: mug, SKU: "EY-ONE", Stock: 3, ExpectedStock: expect(9)},
	)
	if e := got[0].Err; e == nil || e.Kind != sdk.KindConflict {
		t.Errorf("a write expecting 2 after a sale left 1: %v, want CONFLICT", e)
	}
	if e := got[1].Err; e != nil {
		t.Errorf("a write whose expected stock holds: %v", e)
	}
	if e := got[2].Err; e == nil || e.Kind != sdk.KindConflict {
		t.Errorf("a simple product expecting 9 while the store holds 4: %v, want CONFLICT", e)
	}
	if n := stockOf(t, s, shirt, "EX-2"); n != 1 {
		t.Errorf("the conflicting write left %d, want the sale's 1", n)
	}
	if n := stockOf(t, s, shirt, "EX-1"); n != 7 {
		t.Errorf("the good write left %d, want 7", n)
	}
	if n := stockOf(t, s, mug, "EY-ONE"); n != 4 {
		t.Errorf("the conflicting simple product write left %d, want 4", n)
	}
	got = setStock(t, p, sdk.InventoryItem{IdempotencyKey: "d", RemoteID: shirt, SKU: "EX-2", Stock: 8, ExpectedStock: expect(1)})
	if got[0].Err != nil || stockOf(t, s, shirt, "EX-2") != 8 {
		t.Errorf("a write expecting the sale's stock: %v, stock %d", got[0].Err, stockOf(t, s, shirt, "EX-2"))
	}
}

// A stock write replayed with the same idempotency key after the merchant
// changed the stock answers as the first time and changes nothing: the
// key the plugin left in the variation's custom field says it is done.
func TestReplayedStockWriteChangesNothing(t *testing.T) {
	s := sim.ServeTest(t, sim.Options{})
	p := configure(t, s, s.URL, nil)
	shirt := upsert(t, p, product("RP", 2))[0].RemoteID
	write := sdk.InventoryItem{IdempotencyKey: "once", RemoteID: shirt, SKU: "RP-1", Stock: 6}
	if r := setStock(t, p, write); r[0].Err != nil {
		t.Fatal(r[0].Err)
	}
	id, _ := s.IDBySKU("RP-1")
	if err := s.MerchantUpdate(id, map[string]any{"stock_quantity": 3}); err != nil {
		t.Fatal(err)
	}
	s.ResetStats()
	if r := setStock(t, p, write); r[0].Err != nil {
		t.Errorf("the replay failed: %v", r[0].Err)
	}
	if n := stockOf(t, s, shirt, "RP-1"); n != 3 {
		t.Errorf("the replay changed the merchant's stock 3 to %d", n)
	}
	if n := s.Stats().Calls["POST products/{id}/variations/batch"]; n != 0 {
		t.Errorf("the replay sent %d batches, want none", n)
	}
	if r := setStock(t, p, sdk.InventoryItem{IdempotencyKey: "twice", RemoteID: shirt, SKU: "RP-1", Stock: 6}); r[0].Err != nil || stockOf(t, s, shirt, "RP-1") != 6 {
		t.Errorf("a new write after the replay: %v, stock %d", r[0].Err, stockOf(t, s, shirt, "RP-1"))
	}
}

// The check is a read followed by a write, not a compare-and-set: a sale
// landing between the two (the length of one call) is overwritten. This
// pins the window the README states.
func TestExpectedStockWindowIsOneCall(t *testing.T) {
	s := sim.ServeTest(t, sim.Options{})
	p := configure(t, s, s.URL, nil)
	shirt := upsert(t, p, product("WN", 2))[0].RemoteID
	id, _ := s.IDBySKU("WN-1")
	if err := s.RaceStock(id, 0); err != nil {
		t.Fatal(err)
	}
	r := setStock(t, p, sdk.InventoryItem{IdempotencyKey: "w", RemoteID: shirt, SKU: "WN-1", Stock: 5, ExpectedStock: expect(1)})
	if r[0].Err != nil {
		t.Fatalf("the write: %v", r[0].Err)
	}
	if n := stockOf(t, s, shirt, "WN-1"); n != 5 {
		t.Errorf("stock %d: the race inside the call was expected to be overwritten with 5", n)
	}
}
