package plugintest

import (
	"fmt"
	"strings"
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
			for i, id := range h.target.absentRemote(n) {
				req.Items = append(req.Items, &model.InventoryItem{IdempotencyKey: fmt.Sprint("cap-stock-", i), RemoteId: id, Sku: id, Stock: 1})
			}
			resp, err := host.Call[*model.SetInventoryResponse](h.ctx, p, req)
			return missingWrites(resp.GetResults()), err
		},
		sdk.OpSetPrices: func(n int) (int, error) {
			req := &model.SetPricesRequest{}
			for i, id := range h.target.absentRemote(n) {
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
			for i, id := range h.target.absentRemote(n) {
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

// CheckUpsertUpdate checks that updating a bound product replaces it: the
// update answers the same remote id, and reading it back gives the new
// title and exactly the variants sent (a store that keeps variants left
// out of an update would sell SKUs the catalogue dropped).
func CheckUpsertUpdate() Check {
	return Check{Name: "upsert_update", run: func(h *harness) {
		p, pub := h.publisher()
		remote := h.create(p, pub.Products[0])
		changed := pub.Products[0]
		changed.Title = map[string]string{}
		for loc, t := range pub.Products[0].Title {
			changed.Title[loc] = t + " (updated)"
		}
		changed.Variants = changed.Variants[:1]
		keys := newKeys("update", 1)
		rs := h.upsert(p, &model.UpsertProductsRequest{Items: []*model.UpsertItem{{IdempotencyKey: keys[0], Product: host.ProductToModel(&changed), RemoteId: remote}}}, "updating a created product")
		if e := rs[0].GetError(); e != nil {
			h.t.Fatalf("updating product %q failed: %s", remote, host.ErrorFromModel(e))
		}
		if rs[0].GetRemoteId() != remote {
			h.t.Errorf("updating product %q answered remote id %q; an update must keep the product's id", remote, rs[0].GetRemoteId())
		}
		got := h.readBack(p, remote)
		if !hasTitle(got, changed.Title) {
			h.t.Errorf("product %q read back with title %v after it was updated to %v", remote, got.Title, changed.Title)
		}
		var skus []string
		for _, v := range got.Variants {
			skus = append(skus, v.SKU)
		}
		if len(skus) != 1 || skus[0] != changed.Variants[0].SKU {
			h.t.Errorf("product %q was updated with the one variant %q but reads back with variants %q", remote, changed.Variants[0].SKU, skus)
		}
	}}
}

// CheckRefusedItems checks each of Publish.Refused: next to good items it
// fails alone, with the kind, code and field path declared.
func CheckRefusedItems() Check {
	return Check{Name: "refused_items", run: func(h *harness) {
		p, pub := h.publisher()
		h.need(len(pub.Refused) > 0, "Publish.Refused")
		for _, r := range pub.Refused {
			keys := newKeys("refused", 3)
			bad := r.Item
			req := &model.UpsertProductsRequest{Items: []*model.UpsertItem{
				{IdempotencyKey: keys[0], Product: host.ProductToModel(&pub.Products[0])},
				{IdempotencyKey: keys[1], Product: host.ProductToModel(&bad.Product), RemoteId: bad.RemoteID},
				{IdempotencyKey: keys[2], Product: host.ProductToModel(&pub.Products[len(pub.Products)-1])},
			}}
			rs := h.upsert(p, req, "an upsert with "+r.Name)
			h.checkAlone("upsert_products ("+r.Name+")", rs)
			e := host.ErrorFromModel(rs[1].GetError())
			switch {
			case e == nil:
			case e.Kind != r.Kind || r.Code != "" && e.Code != r.Code:
				h.t.Errorf("%s must fail as %s; it failed as %s", r.Name, kindCode(r.Kind, r.Code), e)
			case r.Field != "" && !strings.Contains(e.Message, r.Field):
				h.t.Errorf("%s: the error must name the field %q for the operator; it says %q", r.Name, r.Field, e.Message)
			}
		}
	}}
}

// CheckStockExpected checks stock writes against the stock the host
// expects (InventoryItem.ExpectedStock, what it last wrote or read): after
// a sale the host has not seen, a write expecting the stock before the
// sale fails alone as CONFLICT and leaves the sale's stock; a write
// expecting the stock after the sale succeeds.
func CheckStockExpected() Check {
	return Check{Name: "stock_expected", run: func(h *harness) {
		p, pub := h.publisher()
		h.need(pub.MerchantStock != nil, "Publish.MerchantStock")
		h.staleThenFresh(p, pub, "a sale", func(remote, sku string, stock int64) int64 {
			sold := stock + 10 - 1
			pub.MerchantStock(h.t, remote, sku, sold)
			return sold
		})
	}}
}

// CheckStockConflict checks compare-and-set stock writes: when the
// store's stock changes between the plugin's read and its write (a
// merchant's edit or a sale racing the sync), a write expecting the
// stock as it was when the host sent it fails alone as CONFLICT and
// leaves the store's stock as the race left it; a fresh write expecting
// that stock succeeds. Only a platform with a conditional write passes
// it: a plugin that checks the expected stock by reading first cannot
// see a change that lands after its read. A write that carries no
// expected stock is held to the stock the plugin read: a change racing it
// fails it as CONFLICT too, never overwritten blindly.
func CheckStockConflict() Check {
	return Check{Name: "stock_conflict", run: func(h *harness) {
		p, pub := h.publisher()
		h.need(pub.RaceStock != nil, "Publish.RaceStock")
		remote := h.staleThenFresh(p, pub, "a change racing the write", func(remote, sku string, stock int64) int64 {
			raced := stock + 5
			pub.RaceStock(h.t, remote, sku, raced)
			return raced
		})
		v := pub.Products[0].Variants[0]
		raced := v.Stock + 7
		pub.RaceStock(h.t, remote, v.SKU, raced)
		rs := h.setStock(p, newKeys("unexpected", 1)[0], remote, v.SKU, v.Stock+2, nil)
		if e := rs.GetError(); e.GetKind() != model.KindConflict {
			h.t.Errorf("a stock write without an expected stock, raced by a change to %d, must fail as CONFLICT; it returned %s", raced, describeWrite(rs))
		}
		if got := h.stockOf(p, remote, v.SKU); got != raced {
			h.t.Errorf("a stock write refused after a race must leave the store's stock %d; it reads %d", raced, got)
		}
	}}
}

// staleThenFresh creates pub's first product, lets change (named
// what) move its first variant's stock and say to what, then checks that
// a write expecting the stock before the change fails alone as CONFLICT
// and leaves the changed stock, and that a write expecting the changed
// stock succeeds. It returns the product's remote id.
func (h *harness) staleThenFresh(p *host.Plugin, pub *Publish, what string, change func(remote, sku string, stock int64) int64) string {
	h.t.Helper()
	remote := h.create(p, pub.Products[0])
	v := pub.Products[0].Variants[0]
	keys := newKeys("expected", 2)
	changed := change(remote, v.SKU, v.Stock)
	rs := h.setStock(p, keys[0], remote, v.SKU, v.Stock+3, &v.Stock)
	if e := rs.GetError(); e.GetKind() != model.KindConflict {
		h.t.Errorf("a stock write expecting %d after %s left %d must fail as CONFLICT; it returned %s", v.Stock, what, changed, describeWrite(rs))
	}
	if got := h.stockOf(p, remote, v.SKU); got != changed {
		h.t.Errorf("a stock write refused after %s must leave the store's stock %d; it reads %d", what, changed, got)
	}
	if rs := h.setStock(p, keys[1], remote, v.SKU, v.Stock+1, &changed); rs.GetError() != nil {
		h.t.Errorf("a stock write expecting the store's stock %d must succeed; it returned %s", changed, describeWrite(rs))
	}
	if got := h.stockOf(p, remote, v.SKU); got != v.Stock+1 {
		h.t.Errorf("after the write expecting the store's stock, the stock reads %d, want %d", got, v.Stock+1)
	}
	return remote
}

// CheckStockReplay checks idempotent stock writes: replaying a write with
// the same idempotency key after the merchant changed the stock answers
// as the first time and changes nothing.
func CheckStockReplay() Check {
	return Check{Name: "stock_replay", run: func(h *harness) {
		p, pub := h.publisher()
		h.need(pub.MerchantStock != nil, "Publish.MerchantStock")
		remote := h.create(p, pub.Products[0])
		v := pub.Products[0].Variants[0]
		key := newKeys("replay", 1)[0]
		first := h.setStock(p, key, remote, v.SKU, v.Stock+2, nil)
		if first.GetError() != nil {
			h.t.Fatalf("a stock write failed: %s", describeWrite(first))
		}
		pub.MerchantStock(h.t, remote, v.SKU, v.Stock+7)
		again := h.setStock(p, key, remote, v.SKU, v.Stock+2, nil)
		if again.GetError() != nil {
			h.t.Errorf("replaying a stock write with idempotency key %q must answer as the first time; it returned %s", key, describeWrite(again))
		}
		if got := h.stockOf(p, remote, v.SKU); got != v.Stock+7 {
			h.t.Errorf("replaying a stock write with idempotency key %q must change nothing; the merchant's stock %d became %d", key, v.Stock+7, got)
		}
	}}
}

// create creates product in the store under a fresh key and returns its
// remote id, failing the check if it cannot.
func (h *harness) create(p *host.Plugin, product sdk.Product) string {
	h.t.Helper()
	keys := newKeys("create-one", 1)
	rs := h.upsert(p, &model.UpsertProductsRequest{Items: []*model.UpsertItem{{IdempotencyKey: keys[0], Product: host.ProductToModel(&product)}}}, "creating a product")
	if e := rs[0].GetError(); e != nil || rs[0].GetRemoteId() == "" {
		h.t.Fatalf("creating product %q failed: %s", product.ID, describeWrite(rs[0]))
	}
	return rs[0].GetRemoteId()
}

// readBack reads one remote product, failing the check if it cannot.
func (h *harness) readBack(p *host.Plugin, remote string) *sdk.Product {
	h.t.Helper()
	resp, err := host.Call[*model.GetRemoteProductsResponse](h.ctx, p, &model.GetRemoteProductsRequest{RemoteIds: []string{remote}})
	if err != nil {
		h.t.Fatalf("reading back product %q failed: %s", remote, describeErr(err))
	}
	r := resp.GetResults()[0]
	if r.GetProduct() == nil {
		h.t.Fatalf("product %q cannot be read back: %s", remote, describeResult(r))
	}
	return host.ProductFromModel(r.GetProduct())
}

// stockOf reads the stock of one variant back.
func (h *harness) stockOf(p *host.Plugin, remote, sku string) int64 {
	h.t.Helper()
	for _, v := range h.readBack(p, remote).Variants {
		if v.SKU == sku {
			return v.Stock
		}
	}
	h.t.Fatalf("product %q reads back without variant %q", remote, sku)
	return 0
}

// setStock writes one variant's stock, expecting the store to hold
// expected (nil: no expectation).
func (h *harness) setStock(p *host.Plugin, key, remote, sku string, stock int64, expected *int64) *model.WriteResult {
	h.t.Helper()
	resp, err := host.Call[*model.SetInventoryResponse](h.ctx, p, &model.SetInventoryRequest{Items: []*model.InventoryItem{{IdempotencyKey: key, RemoteId: remote, Sku: sku, Stock: stock, ExpectedStock: expected}}})
	if err != nil {
		h.t.Fatalf("a stock write failed as a whole: %s", describeErr(err))
	}
	return resp.GetResults()[0]
}

func hasTitle(p *sdk.Product, want map[string]string) bool {
	for _, t := range p.Title {
		for _, w := range want {
			if t == w {
				return true
			}
		}
	}
	return false
}

func describeWrite(r *model.WriteResult) string {
	if e := r.GetError(); e != nil {
		return host.ErrorFromModel(e).Error()
	}
	return fmt.Sprintf("success (remote id %q)", r.GetRemoteId())
}
