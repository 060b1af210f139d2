package plugintest

import (
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/host"
	"github.com/marketsync/marketsync/sdk/model"
)

// CheckFencedWrites checks, against a store with conditional writes
// (Publish.Fencing), that each write operation sends its fencing token:
// an upsert, a price and a stock write under a token succeed; the same
// writes under a smaller token fail as CONFLICT stale_fencing_token, and
// the store counts each refused under that token (not under 0: the token
// reached it) and accepted none. Run it on a store of its own (see
// Publish.Fencing).
func CheckFencedWrites() Check {
	return Check{Name: "fenced_writes", run: func(h *harness) {
		p, pub := h.publisher()
		h.need(pub.Fencing != nil, "Publish.Fencing")
		current := pub.Fencing().High + 100
		stale := current - 1
		prod := pub.Products[0]
		v := prod.Variants[0]
		created := h.upsert(p, &model.UpsertProductsRequest{FencingToken: current, Items: []*model.UpsertItem{
			{IdempotencyKey: newKeys("fenced-create", 1)[0], Product: host.ProductToModel(&prod)},
		}}, "an upsert under a fencing token")
		remote := created[0].GetRemoteId()
		if e := created[0].GetError(); e != nil || remote == "" {
			h.t.Fatalf("creating Publish.Products[0] under fencing token %d: %s", current, describeWrite(created[0]))
		}
		price := &model.Money{Amount: v.Price.Amount, Currency: v.Price.Currency}
		writes := []struct {
			op   string
			call func(token uint64, key string) (*model.WriteResult, error)
		}{
			{"upsert_products", func(token uint64, key string) (*model.WriteResult, error) {
				resp, err := host.Call[*model.UpsertProductsResponse](h.ctx, p, &model.UpsertProductsRequest{FencingToken: token,
					Items: []*model.UpsertItem{{IdempotencyKey: key, RemoteId: remote, Product: host.ProductToModel(&prod)}}})
				return first(resp.GetResults()), err
			}},
			{"set_prices", func(token uint64, key string) (*model.WriteResult, error) {
				resp, err := host.Call[*model.SetPricesResponse](h.ctx, p, &model.SetPricesRequest{FencingToken: token,
					Items: []*model.PriceItem{{IdempotencyKey: key, RemoteId: remote, Sku: v.SKU, Price: price}}})
				return first(resp.GetResults()), err
			}},
			{"set_inventory", func(token uint64, key string) (*model.WriteResult, error) {
				resp, err := host.Call[*model.SetInventoryResponse](h.ctx, p, &model.SetInventoryRequest{FencingToken: token,
					Items: []*model.InventoryItem{{IdempotencyKey: key, RemoteId: remote, Sku: v.SKU, Stock: v.Stock + 1}}})
				return first(resp.GetResults()), err
			}},
		}
		for _, w := range writes {
			if r, err := w.call(current, newKeys("fenced-"+w.op, 1)[0]); err != nil || r.GetError() != nil {
				h.t.Errorf("%s under the current fencing token %d must succeed; it returned %s", w.op, current, describeOutcome(r, err))
			}
		}
		before := pub.Fencing()
		for _, w := range writes {
			r, err := w.call(stale, newKeys("stale-"+w.op, 1)[0])
			if err == nil && r.GetError() != nil {
				err = host.ErrorFromModel(r.GetError())
			}
			if !isError(err, sdk.KindConflict, sdk.CodeStaleFencingToken) {
				h.t.Errorf("%s under fencing token %d, below the %d the store accepted, must fail as CONFLICT %s; it returned %s",
					w.op, stale, current, sdk.CodeStaleFencingToken, describeOutcome(r, err))
			}
		}
		after := pub.Fencing()
		if after.Accepted[stale] != 0 {
			h.t.Errorf("the store accepted %d writes under the stale token %d", after.Accepted[stale], stale)
		}
		if got := after.Refused[stale] - before.Refused[stale]; got < int64(len(writes)) || after.Refused[0] != before.Refused[0] {
			h.t.Errorf("the store refused %d writes under the stale token and %d without one, want at least one under it for each of the %d operations and none without: every write must send the request's token",
				got, after.Refused[0]-before.Refused[0], len(writes))
		}
	}}
}

func first(rs []*model.WriteResult) *model.WriteResult {
	if len(rs) == 0 {
		return nil
	}
	return rs[0]
}

// describeOutcome renders a write's call error or its result.
func describeOutcome(r *model.WriteResult, err error) string {
	if err != nil {
		return describeErr(err)
	}
	if r == nil {
		return "no result for the item"
	}
	return describeWrite(r)
}
