package plugintest

import (
	"fmt"
	"time"

	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/host"
	"github.com/marketsync/marketsync/sdk/model"
)

// CheckUpsertIdempotent checks that creating products returns a distinct
// remote id for each, that repeating the same upsert with the same
// idempotency keys creates nothing new, and that the created products can
// be read back.
func CheckUpsertIdempotent() Check {
	return Check{Name: "upsert_idempotent", run: func(h *harness) {
		p, pub := h.publisher()
		keys := newKeys("create", len(pub.Products))
		req := &model.UpsertProductsRequest{}
		for i := range pub.Products {
			req.Items = append(req.Items, &model.UpsertItem{IdempotencyKey: keys[i], Product: host.ProductToModel(&pub.Products[i])})
		}
		created := h.upsert(p, req, "creating the Publish products")
		owner := map[string]int{}
		for i, r := range created {
			switch {
			case r.GetError() != nil:
				h.t.Errorf("creating Publish.Products[%d] failed: %s", i, host.ErrorFromModel(r.GetError()))
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
				h.t.Errorf("repeating the create of Publish.Products[%d] under idempotency key %q failed: %s", i, keys[i], host.ErrorFromModel(r.GetError()))
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
		resp, err := host.Call[*model.GetRemoteProductsResponse](h.ctx, p, &model.GetRemoteProductsRequest{RemoteIds: ids})
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
		req := &model.UpsertProductsRequest{Items: []*model.UpsertItem{
			{IdempotencyKey: keys[0], Product: host.ProductToModel(&good[0])},
			{IdempotencyKey: keys[1], Product: host.ProductToModel(&rejected.Product), RemoteId: rejected.RemoteID},
			{IdempotencyKey: keys[2], Product: host.ProductToModel(&good[1])},
		}}
		results := h.upsert(p, req, "an upsert with one rejected item")
		h.checkAlone("upsert_products", results)
		remote := results[0].GetRemoteId()
		if remote == "" {
			return
		}
		v := good[0].Variants[0]
		keys = newKeys("per-item-stock", 3)
		stock, err := host.Call[*model.SetInventoryResponse](h.ctx, p, &model.SetInventoryRequest{Items: []*model.InventoryItem{
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
		prices, err := host.Call[*model.SetPricesResponse](h.ctx, p, &model.SetPricesRequest{Items: []*model.PriceItem{
			{IdempotencyKey: keys[0], RemoteId: remote, Sku: v.SKU, Price: &model.Money{Amount: v.Price.Amount, Currency: v.Price.Currency}},
			{IdempotencyKey: keys[1], RemoteId: absentPrefix + "remote", Sku: v.SKU, Price: &model.Money{Amount: v.Price.Amount, Currency: v.Price.Currency}},
			{IdempotencyKey: keys[2], RemoteId: remote, Sku: v.SKU, Price: &model.Money{Amount: v.Price.Amount, Currency: v.Price.Currency}},
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
func (h *harness) checkAlone(op string, rs []*model.WriteResult) {
	h.t.Helper()
	for _, i := range []int{0, 2} {
		if e := rs[i].GetError(); e != nil {
			h.t.Errorf("%s: good item %d next to a refused one must succeed; it failed with %s", op, i, host.ErrorFromModel(e))
		}
	}
	switch e := rs[1].GetError(); {
	case e == nil:
		h.t.Errorf("%s: the item the store must refuse succeeded (remote id %q)", op, rs[1].GetRemoteId())
	case e.GetCode() == model.CodeMissingResult:
		h.t.Errorf("%s: the refused item came back without a result of its own; answer it with its error", op)
	}
}

// upsert makes one upsert call, failing the check if it fails as a whole.
func (h *harness) upsert(p *host.Plugin, req *model.UpsertProductsRequest, what string) []*model.WriteResult {
	h.t.Helper()
	resp, err := host.Call[*model.UpsertProductsResponse](h.ctx, p, req)
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
			req := &model.SetInventoryRequest{}
			for i, id := range absentIDs(n) {
				req.Items = append(req.Items, &model.InventoryItem{IdempotencyKey: fmt.Sprint("cap-stock-", i), RemoteId: id, Sku: id, Stock: 1})
			}
			resp, err := host.Call[*model.SetInventoryResponse](h.ctx, p, req)
			return missingWrites(resp.GetResults()), err
		},
		sdk.OpSetPrices: func(n int) (int, error) {
			req := &model.SetPricesRequest{}
			for i, id := range absentIDs(n) {
				req.Items = append(req.Items, &model.PriceItem{IdempotencyKey: fmt.Sprint("cap-price-", i), RemoteId: id, Sku: id, Price: &model.Money{Amount: 100, Currency: "CNY"}})
			}
			resp, err := host.Call[*model.SetPricesResponse](h.ctx, p, req)
			return missingWrites(resp.GetResults()), err
		},
	}
	if pub := h.target.Publish; pub != nil && len(pub.Products) > 0 {
		product := host.ProductToModel(&pub.Products[0])
		calls[sdk.OpUpsertProducts] = func(n int) (int, error) {
			req := &model.UpsertProductsRequest{}
			for i, id := range absentIDs(n) {
				req.Items = append(req.Items, &model.UpsertItem{IdempotencyKey: fmt.Sprint("cap-upsert-", i), RemoteId: id, Product: product})
			}
			resp, err := host.Call[*model.UpsertProductsResponse](h.ctx, p, req)
			return missingWrites(resp.GetResults()), err
		}
	}
	return calls
}

func missingWrites(rs []*model.WriteResult) int {
	n := 0
	for _, r := range rs {
		if r.GetError().GetCode() == model.CodeMissingResult {
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
