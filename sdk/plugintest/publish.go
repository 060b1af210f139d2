package plugintest

import (
	"fmt"
	"time"

	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/host"
	pluginv1 "github.com/marketsync/marketsync/sdk/proto/plugin/v1"
)

// CheckUpsertIdempotent checks that creating products returns a distinct
// remote id for each, that repeating the same upsert with the same
// idempotency keys creates nothing new, and that the created products can
// be read back.
func CheckUpsertIdempotent() Check {
	return Check{Name: "upsert_idempotent", run: func(h *harness) {
		p, pub := h.publisher()
		keys := newKeys("create", len(pub.Products))
		req := &pluginv1.UpsertProductsRequest{}
		for i := range pub.Products {
			req.Items = append(req.Items, &pluginv1.UpsertItem{IdempotencyKey: keys[i], Product: sdk.ProductToProto(&pub.Products[i])})
		}
		created := h.upsert(p, req, "creating the Publish products")
		owner := map[string]int{}
		for i, r := range created {
			switch {
			case r.GetError() != nil:
				h.t.Errorf("creating Publish.Products[%d] failed: %s", i, sdk.ErrorFromProto(r.GetError()))
			case r.GetRemoteId() == "":
				h.t.Errorf("creating Publish.Products[%d] succeeded without a remote id; the host binds the product by it", i)
			default:
				if j, dup := owner[r.GetRemoteId()]; dup {
					h.t.Errorf("Publish.Products[%d] and [%d] were both given remote id %q", j, i, r.GetRemoteId())
				}
				owner[r.GetRemoteId()] = i
			}
		}
		again := h.upsert(p, req, "repeating the same upsert")
		for i, r := range again {
			if r.GetError() != nil {
				h.t.Errorf("repeating the create of Publish.Products[%d] under idempotency key %q failed: %s", i, keys[i], sdk.ErrorFromProto(r.GetError()))
			} else if r.GetRemoteId() != created[i].GetRemoteId() {
				h.t.Errorf("repeating an upsert with idempotency key %q must not create a second product: it first created %q, then %q", keys[i], created[i].GetRemoteId(), r.GetRemoteId())
			}
		}
		ids := make([]string, 0, len(owner))
		for _, r := range created {
			if _, ok := owner[r.GetRemoteId()]; ok {
				ids = append(ids, r.GetRemoteId())
			}
		}
		resp, err := p.GetRemoteProducts(h.ctx, &pluginv1.GetRemoteProductsRequest{RemoteIds: ids})
		if err != nil {
			h.t.Fatalf("reading back the created products failed: %s", describeErr(err))
		}
		for i, r := range resp.GetResults() {
			if r.GetProduct() == nil {
				h.t.Errorf("created product %q cannot be read back: it came back as %s", ids[i], describeResult(r))
			}
		}
	}}
}

// CheckWritesPerItem checks that a write the store refuses fails alone:
// in a batch of upserts, stock updates and price updates, the good items
// succeed, the bad one carries its own error, and the call as a whole
// succeeds.
func CheckWritesPerItem() Check {
	return Check{Name: "writes_per_item", run: func(h *harness) {
		p, pub := h.publisher()
		good := []sdk.Product{pub.Products[0], pub.Products[1%len(pub.Products)]}
		rejected := sdk.UpsertItem{Product: good[0], RemoteID: absentPrefix + "remote"}
		if pub.Rejected != nil {
			rejected = *pub.Rejected
		}
		keys := newKeys("per-item", 3)
		req := &pluginv1.UpsertProductsRequest{Items: []*pluginv1.UpsertItem{
			{IdempotencyKey: keys[0], Product: sdk.ProductToProto(&good[0])},
			{IdempotencyKey: keys[1], Product: sdk.ProductToProto(&rejected.Product), RemoteId: rejected.RemoteID},
			{IdempotencyKey: keys[2], Product: sdk.ProductToProto(&good[1])},
		}}
		results := h.upsert(p, req, "an upsert with one rejected item")
		h.checkAlone("upsert_products", results)
		remote := results[0].GetRemoteId()
		if remote == "" {
			return
		}
		v := good[0].Variants[0]
		keys = newKeys("per-item-stock", 3)
		stock, err := p.SetInventory(h.ctx, &pluginv1.SetInventoryRequest{Items: []*pluginv1.InventoryItem{
			{IdempotencyKey: keys[0], RemoteId: remote, Sku: v.SKU, Stock: v.Stock + 1},
			{IdempotencyKey: keys[1], RemoteId: absentPrefix + "remote", Sku: v.SKU, Stock: 1},
			{IdempotencyKey: keys[2], RemoteId: remote, Sku: v.SKU, Stock: v.Stock},
		}})
		if err != nil {
			h.t.Errorf("set_inventory: one refused item must fail alone; the whole call failed: %s", describeErr(err))
		} else {
			h.checkAlone("set_inventory", stock.GetResults())
		}
		keys = newKeys("per-item-price", 3)
		prices, err := p.SetPrices(h.ctx, &pluginv1.SetPricesRequest{Items: []*pluginv1.PriceItem{
			{IdempotencyKey: keys[0], RemoteId: remote, Sku: v.SKU, Price: sdk.MoneyToProto(v.Price)},
			{IdempotencyKey: keys[1], RemoteId: absentPrefix + "remote", Sku: v.SKU, Price: sdk.MoneyToProto(v.Price)},
			{IdempotencyKey: keys[2], RemoteId: remote, Sku: v.SKU, Price: sdk.MoneyToProto(v.Price)},
		}})
		if err != nil {
			h.t.Errorf("set_prices: one refused item must fail alone; the whole call failed: %s", describeErr(err))
		} else {
			h.checkAlone("set_prices", prices.GetResults())
		}
	}}
}

// checkAlone checks three write results: the first and last succeed, the
// middle one fails with an error of its own.
func (h *harness) checkAlone(op string, rs []*pluginv1.WriteResult) {
	h.t.Helper()
	for _, i := range []int{0, 2} {
		if e := rs[i].GetError(); e != nil {
			h.t.Errorf("%s: good item %d next to a refused one must succeed; it failed with %s", op, i, sdk.ErrorFromProto(e))
		}
	}
	switch e := rs[1].GetError(); {
	case e == nil:
		h.t.Errorf("%s: the item the store must refuse succeeded (remote id %q)", op, rs[1].GetRemoteId())
	case e.GetCode() == host.CodeMissingResult:
		h.t.Errorf("%s: the refused item came back without a result of its own; answer it with its error", op)
	}
}

// upsert makes one upsert call, failing the check if it fails as a whole.
func (h *harness) upsert(p *host.Plugin, req *pluginv1.UpsertProductsRequest, what string) []*pluginv1.WriteResult {
	h.t.Helper()
	resp, err := p.UpsertProducts(h.ctx, req)
	if err != nil {
		h.t.Fatalf("%s failed as a whole: %s", what, describeErr(err))
	}
	return resp.GetResults()
}

// writeCalls are the batch calls of the write operations, aimed at remote
// ids that do not exist so that nothing is written.
func (h *harness) writeCalls(p *host.Plugin) map[sdk.Operation]batchCall {
	calls := map[sdk.Operation]batchCall{
		sdk.OpSetInventory: func(n int) (int, error) {
			req := &pluginv1.SetInventoryRequest{}
			for i, id := range absentIDs(n) {
				req.Items = append(req.Items, &pluginv1.InventoryItem{IdempotencyKey: fmt.Sprint("cap-stock-", i), RemoteId: id, Sku: id, Stock: 1})
			}
			resp, err := p.SetInventory(h.ctx, req)
			return missingWrites(resp.GetResults()), err
		},
		sdk.OpSetPrices: func(n int) (int, error) {
			req := &pluginv1.SetPricesRequest{}
			for i, id := range absentIDs(n) {
				req.Items = append(req.Items, &pluginv1.PriceItem{IdempotencyKey: fmt.Sprint("cap-price-", i), RemoteId: id, Sku: id, Price: &pluginv1.Money{Amount: 100, Currency: "CNY"}})
			}
			resp, err := p.SetPrices(h.ctx, req)
			return missingWrites(resp.GetResults()), err
		},
	}
	if pub := h.target.Publish; pub != nil && len(pub.Products) > 0 {
		product := sdk.ProductToProto(&pub.Products[0])
		calls[sdk.OpUpsertProducts] = func(n int) (int, error) {
			req := &pluginv1.UpsertProductsRequest{}
			for i, id := range absentIDs(n) {
				req.Items = append(req.Items, &pluginv1.UpsertItem{IdempotencyKey: fmt.Sprint("cap-upsert-", i), RemoteId: id, Product: product})
			}
			resp, err := p.UpsertProducts(h.ctx, req)
			return missingWrites(resp.GetResults()), err
		}
	}
	return calls
}

func missingWrites(rs []*pluginv1.WriteResult) int {
	n := 0
	for _, r := range rs {
		if r.GetError().GetCode() == host.CodeMissingResult {
			n++
		}
	}
	return n
}

// newKeys makes n idempotency keys no earlier run used, so a store that
// keeps keys across runs still sees fresh writes.
func newKeys(what string, n int) []string {
	stamp := time.Now().UnixNano()
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("plugintest-%d-%s-%d", stamp, what, i)
	}
	return out
}
