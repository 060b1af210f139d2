package store

import (
	"context"
	"fmt"
	"strconv"

	"github.com/marketsync/marketsync/plugins/woocommerce/wcapi"
	"github.com/marketsync/marketsync/sdk"
)

// change is one stock or price write: the item's product and SKU, and
// the fields to set on the simple product or the variation that has the
// SKU. check, when set, is asked with the target's stock as just read
// whether to write: done answers the item as written without writing, an
// error fails it.
type change struct {
	remoteID, sku string
	fields        map[string]any
	check         func(live stockState) (done bool, err *sdk.Error)
}

// metaStockKey is the custom field in which the plugin keeps, on each
// product or variation, the idempotency key of the last stock write it
// made there.
const metaStockKey = "marketsync_stock_write"

// SetInventory implements sdk.Publisher: manage_stock and stock_quantity
// of the simple product, or of the variation with the item's SKU.
//
// WooCommerce has neither compare-and-set nor idempotency keys, so the
// targets are read afresh first (one products call, one variations call
// per variable product) and each item checked against what was read:
//
//   - a target whose metaStockKey holds the item's idempotency key already
//     has this write: the item succeeds and nothing is sent, so a replayed
//     write after the merchant changed the stock changes nothing;
//   - with ExpectedStock, a target whose stock is not the expected one
//     fails the item as CONFLICT (a sale since the host last saw it), and
//     the store keeps its stock.
//
// The writes then go in batches, each setting metaStockKey to its key. A
// change that lands between the read and the batch (milliseconds: the
// length of one call) is overwritten: the REST API has no conditional
// update.
func (p *Plugin) SetInventory(ctx context.Context, req *sdk.SetInventoryRequest) (*sdk.SetInventoryResponse, error) {
	ctx = wcapi.WithFencingToken(ctx, req.FencingToken)
	results, q, err := p.write(ctx, len(req.Items), true, func(_ *settings, i int) (string, change, *sdk.Error) {
		it := req.Items[i]
		fields := map[string]any{"manage_stock": true, "stock_quantity": it.Stock}
		if it.IdempotencyKey != "" {
			fields["meta_data"] = []meta{{Key: metaStockKey, Value: it.IdempotencyKey}}
		}
		c := change{remoteID: it.RemoteID, sku: it.SKU, fields: fields, check: func(live stockState) (bool, *sdk.Error) {
			if it.IdempotencyKey != "" && live.key == it.IdempotencyKey {
				return true, nil
			}
			if it.ExpectedStock != nil && (live.stock == nil || *live.stock != *it.ExpectedStock) {
				return false, sdk.Conflict("stock_changed", fmt.Sprintf("the store holds %s of %s, not the expected %d: it changed since the host last saw it; the store keeps its stock", stockText(live.stock), it.SKU, *it.ExpectedStock))
			}
			return false, nil
		}}
		if it.Stock < 0 {
			return it.IdempotencyKey, c, sdk.Invalid("negative_stock", fmt.Sprintf("stock %d of %s is negative", it.Stock, it.SKU))
		}
		return it.IdempotencyKey, c, nil
	})
	if err != nil {
		return nil, err
	}
	return &sdk.SetInventoryResponse{Results: results, Quota: q}, nil
}

// SetPrices implements sdk.Publisher: regular_price of the simple
// product, or of the variation with the item's SKU, in the store's
// currency, and an empty sale_price, so that the price written is the
// one buyers pay (a compare-at price goes with UpsertProducts).
func (p *Plugin) SetPrices(ctx context.Context, req *sdk.SetPricesRequest) (*sdk.SetPricesResponse, error) {
	ctx = wcapi.WithFencingToken(ctx, req.FencingToken)
	results, q, err := p.write(ctx, len(req.Items), false, func(s *settings, i int) (string, change, *sdk.Error) {
		it := req.Items[i]
		c := change{remoteID: it.RemoteID, sku: it.SKU, fields: map[string]any{"regular_price": formatAmount(it.Price.Amount, s.digits), "sale_price": ""}}
		return it.IdempotencyKey, c, s.checkMoney(it.Price)
	})
	if err != nil {
		return nil, err
	}
	return &sdk.SetPricesResponse{Results: results, Quota: q}, nil
}

// stockText is a stock as read, for messages.
func stockText(n *int64) string {
	if n == nil {
		return "an unmanaged stock"
	}
	return strconv.FormatInt(*n, 10)
}

// write builds n changes with item (each one's idempotency key, change
// and, when the item is refused before any call, its error) and applies
// them, reading the products afresh when fresh is set.
func (p *Plugin) write(ctx context.Context, n int, fresh bool, item func(s *settings, i int) (string, change, *sdk.Error)) ([]sdk.WriteResult, *sdk.Quota, error) {
	s, err := p.cfg.Get()
	if err != nil {
		return nil, nil, err
	}
	changes := make([]change, n)
	keys := make([]string, n)
	pre := make([]*sdk.Error, n)
	for i := range n {
		keys[i], changes[i], pre[i] = item(s, i)
	}
	var q quota
	results, err := s.apply(ctx, changes, keys, pre, fresh, &q)
	return results, q.q, err
}

// target is where a change is written: the product itself (variation
// 0) or one of its variations.
type target struct {
	product, variation int64
}

// apply writes changes: it finds each one's target from the products'
// shapes (cached unless fresh, or read in one call plus one per variable
// product), then sends one products/batch for the simple products and
// one products/{id}/variations/batch per variable product. pre holds the
// items already refused.
//
// An item that failed on a shape from the cache (a variation or SKU the
// merchant has since added or removed) is resolved again from a fresh
// read and sent once more: the cache, not the store, was wrong.
func (s *settings) apply(ctx context.Context, changes []change, keys []string, pre []*sdk.Error, fresh bool, q *quota) ([]sdk.WriteResult, error) {
	results := make([]sdk.WriteResult, len(changes))
	targets := make([]target, len(changes))
	// skip marks the items whose check found them written already.
	skip := make([]bool, len(changes))
	var ids []int64
	for i, c := range changes {
		results[i] = sdk.WriteResult{IdempotencyKey: keys[i], RemoteID: c.remoteID, Err: pre[i]}
		if results[i].Err != nil {
			continue
		}
		if targets[i].product, results[i].Err = remoteID(c.remoteID); results[i].Err == nil {
			ids = append(ids, targets[i].product)
		}
	}
	shapes, cached, err := s.shapesOf(ctx, ids, fresh, q)
	if err != nil {
		return nil, err
	}
	for i, c := range changes {
		if results[i].Err != nil {
			continue
		}
		sh, ok := shapes[targets[i].product]
		switch {
		case !ok:
			results[i].Err = sdk.NotFound("woocommerce_rest_product_invalid_id", "the store has no product "+c.remoteID)
		case sh.variable:
			if targets[i].variation, ok = sh.variations[c.sku]; !ok {
				results[i].Err = sdk.NotFound("unknown_sku", fmt.Sprintf("product %s has no variation with SKU %q", c.remoteID, c.sku))
			}
		case c.sku != "" && c.sku != sh.sku:
			results[i].Err = sdk.NotFound("unknown_sku", fmt.Sprintf("product %s has SKU %q, not %q", c.remoteID, sh.sku, c.sku))
		}
		if results[i].Err == nil && c.check != nil {
			id := targets[i].product
			if targets[i].variation != 0 {
				id = targets[i].variation
			}
			skip[i], results[i].Err = c.check(sh.live[id])
		}
	}
	// Group: the simple products in one batch, each variable product's
	// variations in one of their own, in the order first met.
	groups := map[int64][]int{}
	var order []int64
	for i := range changes {
		if results[i].Err != nil || skip[i] {
			continue
		}
		route := int64(0)
		if targets[i].variation != 0 {
			route = targets[i].product
		}
		if _, seen := groups[route]; !seen {
			order = append(order, route)
		}
		groups[route] = append(groups[route], i)
	}
	for _, parent := range order {
		route := "products/batch"
		if parent != 0 {
			route = "products/" + strconv.FormatInt(parent, 10) + "/variations/batch"
		}
		members := groups[parent]
		for len(members) > 0 {
			n := min(len(members), wcapi.MaxBatch)
			var b wcapi.Batch
			for _, i := range members[:n] {
				obj := map[string]any{"id": targets[i].product}
				if parent != 0 {
					obj["id"] = targets[i].variation
				}
				for k, v := range changes[i].fields {
					obj[k] = v
				}
				b.Update = append(b.Update, obj)
			}
			r, resp, err := s.client.DoBatch(ctx, route, &b)
			if err != nil {
				return nil, err
			}
			q.see(resp)
			for k, item := range r.Update {
				if item.Err != nil {
					i := members[k]
					results[i].Err = wcapi.ItemError(*item.Err)
					s.shapes.forget(targets[i].product)
				}
			}
			members = members[n:]
		}
	}
	var stale []int
	for i := range changes {
		if results[i].Err != nil && pre[i] == nil && cached[targets[i].product] {
			stale = append(stale, i)
		}
	}
	if fresh || len(stale) == 0 {
		return results, nil
	}
	again, err := s.apply(ctx, pick(changes, stale), pick(keys, stale), pick(pre, stale), true, q)
	if err != nil {
		return nil, err
	}
	for k := range again {
		results[stale[k]] = again[k]
	}
	return results, nil
}

// pick returns the elements of s at the indexes.
func pick[T any](s []T, indexes []int) []T {
	out := make([]T, len(indexes))
	for k, i := range indexes {
		out[k] = s[i]
	}
	return out
}
