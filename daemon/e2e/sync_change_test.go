package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/big"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/marketsync/marketsync/daemon/agent/agenttest"
	"github.com/marketsync/marketsync/daemon/client"
	shopifysim "github.com/marketsync/marketsync/plugins/shopify/sim"
	taobaosim "github.com/marketsync/marketsync/plugins/taobao/sim"
	woosim "github.com/marketsync/marketsync/plugins/woocommerce/sim"
)

// shopifyDoor counts the GraphQL documents that reach the Shopify
// simulator by the write they carry, as the store receives them: the
// simulator counts root fields, not which call a document was.
type shopifyDoor struct {
	mu   sync.Mutex
	docs map[string]int
}

func (d *shopifyDoor) wrap(h http.Handler) http.Handler {
	d.docs = map[string]int{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/graphql.json") {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			var doc struct {
				Query string `json:"query"`
			}
			json.Unmarshal(body, &doc)
			kind := ""
			switch q := doc.Query; {
			case strings.Contains(q, "bulkOperationRunMutation"), strings.Contains(q, "productSet("):
				kind = "upsert" // one bulk mutation, or a document of productSet fields
			case strings.Contains(q, "productVariantsBulkUpdate("):
				kind = "prices"
			case strings.Contains(q, "inventorySetQuantities("):
				kind = "stock"
			}
			if kind != "" {
				d.mu.Lock()
				d.docs[kind]++
				d.mu.Unlock()
			}
		}
		h.ServeHTTP(w, r)
	})
}

func (d *shopifyDoor) counts() map[string]int {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := map[string]int{}
	for k, v := range d.docs {
		out[k] = v
	}
	return out
}

// storePrice is what the sync pipelines of newStores make of a source
// price in fen, worked out from their config alone: CNY × 0.14 to USD
// cents, × 2.5 below 50 USD, else × 1.8 + 3 USD, rounded to the cent
// half away from zero, then up to the next price ending in .99.
func storePrice(fen int64) string {
	cost := big.NewRat(fen*14, 100) // cents
	price := new(big.Rat)
	if cost.Cmp(big.NewRat(5000, 1)) < 0 {
		price.Mul(cost, big.NewRat(5, 2))
	} else {
		price.Mul(cost, big.NewRat(9, 5)).Add(price, big.NewRat(300, 1))
	}
	price.Add(price, big.NewRat(1, 2))
	cents := new(big.Int).Quo(price.Num(), price.Denom()).Int64()
	cents += (99 - cents%100 + 100) % 100
	return fmt.Sprintf("%d.%02d", cents/100, cents%100)
}

// shopifyWritten returns the products that the store's webhook deliveries
// after the first from say were created or changed, with the title of the
// last (the store's own record of every product write), and the count of
// deliveries so far.
func shopifyWritten(t *testing.T, s *shopifysim.Server, from int) (map[string]string, int) {
	t.Helper()
	ds := s.Deliveries()
	out := map[string]string{}
	for _, d := range ds[from:] {
		if !strings.HasPrefix(d.Header.Get("X-Shopify-Topic"), "products/") {
			continue
		}
		var p struct {
			GID   string `json:"admin_graphql_api_id"`
			Title string `json:"title"`
		}
		if err := json.Unmarshal(d.Body, &p); err != nil {
			t.Fatal(err)
		}
		out[p.GID] = p.Title
	}
	return out, len(ds)
}

// wooWritten is shopifyWritten for WooCommerce, by product id.
func wooWritten(t *testing.T, s *woosim.Server, from int) (map[string]bool, int) {
	t.Helper()
	ds := s.Deliveries()
	out := map[string]bool{}
	for _, d := range ds[from:] {
		var p struct {
			ID int64 `json:"id"`
		}
		if err := json.Unmarshal(d.Body, &p); err != nil {
			t.Fatal(err)
		}
		out[strconv.FormatInt(p.ID, 10)] = true
	}
	return out, len(ds)
}

// Change detection end to end: after a full sync, the seller retitles 5 %
// of the products and reprices another 5 % at the Taobao simulator; the
// agent collects those again and both pipelines run. Counted in the
// stores: exactly the edited products are written (their webhooks), none
// of the other 90 %; the titles go as ⌈retitled ÷ 50⌉ upsert calls and
// the prices, one item a SKU, as ⌈repriced SKUs ÷ 50⌉ SetPrices calls,
// no product is created and no stock written; each store holds the new
// titles and the prices the pipeline's rules make of the new ones. A run
// after that writes nothing.
func TestSyncWritesOnlyWhatChangedAtTheSource(t *testing.T) {
	t.Parallel() // each runs its own agent and simulators
	s := newStores(t)
	// Shopify behind a door that counts its write documents.
	door := &shopifyDoor{}
	front := httptest.NewServer(door.wrap(s.shopify.Handler()))
	t.Cleanup(front.Close)
	s.shopURL = front.URL
	s.hcl = s.config(syncOptions{reserve: 2})
	a := agenttest.New(t, bin, s.hcl)
	ctx := context.Background()

	n := sideProducts()
	ids := s.taobao.OnSaleIDs()[:n]
	if j, err := collect(a.Client, "taobao", ids); err != nil || j.Succeeded != n {
		t.Fatalf("collect: %+v %v", j, err)
	}
	initial := map[string]client.JobWrites{}
	for _, name := range []string{"tb-shop", "tb-woo"} {
		j := runSync(t, a.Client, name)
		if j.State != client.JobSucceeded || j.Succeeded != n {
			t.Fatalf("first sync: %+v", j)
		}
		initial[name] = j.Writes
	}

	// Every tenth product in catalogue order, the order a sync job takes
	// them in: the first half retitled, the second repriced by half as
	// much again, so that each kind fills batches of its own.
	sorted := slices.Sorted(slices.Values(ids))
	var changed []string
	for k := 0; k < len(sorted); k += 10 {
		changed = append(changed, sorted[k])
	}
	retitled, repriced := changed[:len(changed)/2], changed[len(changed)/2:]
	before := map[string]taobaosim.Expectation{}
	skus := 0 // the repriced SKUs: SetPrices writes one item each
	for _, id := range changed {
		before[id] = s.taobao.Expect(id)
	}
	for _, id := range repriced {
		skus += len(before[id].Variants)
	}
	const suffix = " 2026秋季新款"
	if err := s.taobao.Retitle(retitled, suffix); err != nil {
		t.Fatal(err)
	}
	if err := s.taobao.Reprice(repriced, 50); err != nil {
		t.Fatal(err)
	}
	if j, err := collect(a.Client, "taobao", changed); err != nil || j.Succeeded != len(changed) {
		t.Fatalf("collect the edited products: %+v %v", j, err)
	}

	// Where each product is in each store.
	shopID, wooID := map[string]string{}, map[string]string{}
	for _, id := range ids {
		bs, err := a.Client.Sync().Bindings(ctx, "taobao", id)
		if err != nil || len(bs) != 2 {
			t.Fatalf("bindings of %s: %+v %v", id, bs, err)
		}
		for _, b := range bs {
			if b.Target == "shop" {
				shopID[id] = b.RemoteID
			} else {
				wooID[id] = b.RemoteID
			}
		}
	}
	// The store's prices before the change are the rules' of the old ones.
	for _, id := range repriced {
		for _, v := range before[id].Variants {
			if got, _ := s.shopify.Price(shopID[id], v.SKU); got != storePrice(v.Price) {
				t.Fatalf("shopify %s %s holds %s before the change, want %s from %d fen", id, v.SKU, got, storePrice(v.Price), v.Price)
			}
		}
	}

	_, shopFrom := shopifyWritten(t, s.shopify, 0)
	_, wooFrom := wooWritten(t, s.woo, 0)
	door0, woo0 := door.counts(), s.woo.Stats()
	for _, name := range []string{"tb-shop", "tb-woo"} {
		j := runSync(t, a.Client, name)
		if j.State != client.JobSucceeded || j.Total != len(changed) || j.Succeeded != len(changed) {
			t.Fatalf("sync after the change, %s: %+v; items %+v", name, j, items(t, a.Client, j.ID))
		}
		t.Logf("%s: the agent counted writes %+v (first sync %+v)", name, j.Writes, initial[name])
	}
	door1, woo1 := door.counts(), s.woo.Stats()
	shopWrote, shopTo := shopifyWritten(t, s.shopify, shopFrom)
	wooWrote, wooTo := wooWritten(t, s.woo, wooFrom)

	// Exactly the edited products were written in each store.
	var wantShop, wantWoo []string
	for _, id := range changed {
		wantShop, wantWoo = append(wantShop, shopID[id]), append(wantWoo, wooID[id])
	}
	if got := slices.Sorted(maps.Keys(shopWrote)); !slices.Equal(got, slices.Sorted(slices.Values(wantShop))) {
		t.Errorf("shopify wrote %d products %v, want the %d edited %v", len(got), got, len(wantShop), wantShop)
	}
	if got := slices.Sorted(maps.Keys(wooWrote)); !slices.Equal(got, slices.Sorted(slices.Values(wantWoo))) {
		t.Errorf("woocommerce wrote %d products %v, want the %d edited %v", len(got), got, len(wantWoo), wantWoo)
	}

	// Write calls per operation, as the stores received them.
	upsertCap, pricesCap := ceilDiv(len(retitled), 50), ceilDiv(skus, 50)
	shopUpserts, shopPrices := door1["upsert"]-door0["upsert"], door1["prices"]-door0["prices"]
	if shopUpserts > upsertCap || shopUpserts == 0 {
		t.Errorf("shopify took %d upsert documents for %d retitled products, want 1 to ⌈%d ÷ 50⌉ = %d", shopUpserts, len(retitled), len(retitled), upsertCap)
	}
	if shopPrices > pricesCap || shopPrices == 0 {
		t.Errorf("shopify took %d price documents for %d SKUs, want 1 to ⌈%d ÷ 50⌉ = %d", shopPrices, skus, skus, pricesCap)
	}
	if d := door1["stock"] - door0["stock"]; d != 0 {
		t.Errorf("shopify took %d stock documents; no stock changed", d)
	}
	wooBatches := woo1.Calls["POST products/batch"] - woo0.Calls["POST products/batch"]
	wooVariations := woo1.Calls["POST products/{id}/variations/batch"] - woo0.Calls["POST products/{id}/variations/batch"]
	// products/batch carries the upserts, and each SetPrices call's
	// simple products; the REST API writes a product's variations only
	// through that product's own route: one call a variable product and
	// operation, one more for a product whose SKUs two SetPrices calls
	// share.
	variable, variations, simple := 0, 0, 0
	for _, id := range changed {
		if v := before[id].Variants; len(v) > 1 || v[0].SKU != id {
			variable, variations = variable+1, variations+len(v)
		} else if slices.Contains(repriced, id) {
			simple++
		}
	}
	if wooBatches == 0 || wooBatches > int64(upsertCap+pricesCap) {
		t.Errorf("woocommerce took %d products/batch calls, want 1 to %d + %d", wooBatches, upsertCap, pricesCap)
	}
	if wooVariations < int64(variable) || wooVariations > int64(variable+pricesCap-1) {
		t.Errorf("woocommerce took %d variations/batch calls for %d variable products, want %d to %d", wooVariations, variable, variable, variable+pricesCap-1)
	}
	// Item by item: the retitled products and the repriced simple ones,
	// and the variations of the edited variable products, nothing else.
	if d := woo1.Items["products/batch update"] - woo0.Items["products/batch update"]; d != int64(len(retitled)+simple) {
		t.Errorf("woocommerce updated %d products in batches, want %d retitled + %d repriced simple", d, len(retitled), simple)
	}
	if d := woo1.Items["products/{id}/variations/batch update"] - woo0.Items["products/{id}/variations/batch update"]; d != int64(variations) {
		t.Errorf("woocommerce updated %d variations, want the %d of the edited variable products", d, variations)
	}
	if d := woo1.Items["products/batch create"] - woo0.Items["products/batch create"]; d != 0 {
		t.Errorf("woocommerce created %d products", d)
	}

	// The stores hold the new titles and prices.
	for _, id := range retitled {
		want := s.taobao.Expect(id).Title
		if !strings.HasSuffix(want, suffix) {
			t.Fatalf("the simulator's expectation of %s has no new title: %q", id, want)
		}
		if got := shopWrote[shopID[id]]; got != want {
			t.Errorf("shopify %s: title %q, want %q", shopID[id], got, want)
		}
		wid, _ := strconv.ParseInt(wooID[id], 10, 64)
		if p, _, ok := s.woo.Product(wid); !ok || p.Name != want {
			t.Errorf("woocommerce %d: name %q, want %q", wid, p.Name, want)
		}
	}
	for _, id := range repriced {
		now := s.taobao.Expect(id)
		wid, _ := strconv.ParseInt(wooID[id], 10, 64)
		p, vs, _ := s.woo.Product(wid)
		for k, v := range now.Variants {
			want := storePrice(v.Price)
			if v.Price == before[id].Variants[k].Price || want == storePrice(before[id].Variants[k].Price) {
				t.Fatalf("%s %s: the edit left the store price as it was", id, v.SKU)
			}
			if got, _ := s.shopify.Price(shopID[id], v.SKU); got != want {
				t.Errorf("shopify %s %s: price %s, want %s", id, v.SKU, got, want)
			}
			got := p.RegularPrice
			for _, wv := range vs {
				if wv.SKU == v.SKU {
					got = wv.RegularPrice
				}
			}
			if got != want {
				t.Errorf("woocommerce %s %s: price %s, want %s", id, v.SKU, got, want)
			}
		}
	}

	// Nothing changed since: no write at all.
	for _, name := range []string{"tb-shop", "tb-woo"} {
		if j := runSync(t, a.Client, name); j.Total != 0 || j.Writes.Total() != 0 {
			t.Errorf("run with nothing changed, %s: %+v", name, j)
		}
	}
	if again, _ := shopifyWritten(t, s.shopify, shopTo); len(again) != 0 {
		t.Errorf("shopify wrote %d products with nothing changed", len(again))
	}
	if again, _ := wooWritten(t, s.woo, wooTo); len(again) != 0 {
		t.Errorf("woocommerce wrote %d products with nothing changed", len(again))
	}
	door2, woo2 := door.counts(), s.woo.Stats()
	for kind, c := range door2 {
		if c != door1[kind] {
			t.Errorf("the run with nothing changed sent shopify %d %s documents", c-door1[kind], kind)
		}
	}
	for route, c := range woo2.Calls {
		if (strings.HasPrefix(route, "POST") || strings.HasPrefix(route, "PUT")) && c != woo1.Calls[route] {
			t.Errorf("the run with nothing changed called woocommerce %s %d times", route, c-woo1.Calls[route])
		}
	}
	t.Logf("%d of %d products edited (%d retitled, %d repriced, %d SKUs): shopify wrote %d products in %d upsert + %d price documents; woocommerce wrote %d products in %d products/batch + %d variations/batch calls (first sync: %d + %d upsert calls)",
		len(changed), n, len(retitled), len(repriced), skus, len(shopWrote), shopUpserts, shopPrices,
		len(wooWrote), wooBatches, wooVariations, initial["tb-shop"].UpsertProducts, initial["tb-woo"].UpsertProducts)
}
