package store

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/marketsync/marketsync/plugins/shopify/sim"
	"github.com/marketsync/marketsync/sdk"
)

// configured is the plugin, in this process, configured for a simulator.
func configured(t testing.TB, s *sim.Running, edit func(map[string]any)) *Plugin {
	t.Helper()
	o := s.Options()
	values := map[string]any{
		FieldShop: o.Shop, FieldAccessToken: o.Token, FieldAppSecret: o.Secret,
		FieldLocationID: sim.LocationID, FieldEndpoint: s.URL, FieldBulkPollInterval: "1ms",
	}
	if edit != nil {
		edit(values)
	}
	b, _ := json.Marshal(values)
	cfg, err := sdk.ParseConfigJSON(spec, b)
	if err != nil {
		t.Fatal(err)
	}
	p := New()
	if err := p.Configure(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	return p
}

// catalogue is n products of three variants each.
func catalogue(n int, source string) []sdk.UpsertItem {
	items := make([]sdk.UpsertItem, n)
	for i := range items {
		id := fmt.Sprint(100000 + i)
		var vs []sdk.Variant
		for _, size := range []string{"S", "M", "L"} {
			vs = append(vs, sdk.Variant{SKU: id + "-" + size, Options: []sdk.Option{{Name: "Size", Value: size}}, Price: sdk.Money{Amount: 1999, Currency: "USD"}, Stock: 10})
		}
		items[i] = sdk.UpsertItem{IdempotencyKey: "k-" + id, Product: sdk.Product{
			ID: id, Source: source, Title: map[string]string{"en": "Product " + id}, Variants: vs,
			Images: []sdk.Image{{URL: "https://img.example/" + id + ".jpg"}},
		}}
	}
	return items
}

func TestMappingRoundTrip(t *testing.T) {
	s := sim.ServeTest(t, sim.Options{})
	p := configured(t, s, nil)
	items := catalogue(1, "taobao")
	items[0].Product.Description = map[string]string{"en": "Soft <cotton> & linen"}
	items[0].Product.Variants[0].Barcode = "6901234567892"
	resp, err := p.UpsertProducts(context.Background(), &sdk.UpsertProductsRequest{Items: items})
	if err != nil || resp.Results[0].Err != nil {
		t.Fatal(err, resp.Results[0].Err)
	}
	remote := resp.Results[0].RemoteID
	got, err := p.GetRemoteProducts(context.Background(), &sdk.GetRemoteProductsRequest{RemoteIDs: []string{remote, "sku:100000-M", "sku:nope"}})
	if err != nil {
		t.Fatal(err)
	}
	r := got.Results[0].Product
	if r == nil || r.ID != remote || r.Title["en"] != "Product 100000" || r.Description["en"] != "Soft <cotton> & linen" ||
		len(r.Variants) != 3 || r.Variants[0].Barcode != "6901234567892" || r.Variants[1].Options[0] != (sdk.Option{Name: "Size", Value: "M"}) ||
		r.Variants[2].Price != (sdk.Money{Amount: 1999, Currency: "USD"}) || r.Variants[0].Stock != 10 || len(r.Images) != 1 {
		t.Errorf("read back %+v", r)
	}
	if len(r.Attributes) != 1 || r.Attributes[0].Value != "taobao:100000" {
		t.Errorf("source id metafield: %+v", r.Attributes)
	}
	if err := r.Validate(); err != nil {
		t.Error(err)
	}
	if bySKU := got.Results[1]; bySKU.ID != "sku:100000-M" || bySKU.Product == nil || bySKU.Product.ID != remote {
		t.Errorf("lookup by SKU: %+v", bySKU)
	}
	if e := got.Results[2].Err; e == nil || e.Kind != sdk.KindNotFound {
		t.Errorf("unknown SKU: %v", e)
	}
	// Prices change through productVariantsBulkUpdate.
	prices, err := p.SetPrices(context.Background(), &sdk.SetPricesRequest{Items: []sdk.PriceItem{
		{IdempotencyKey: "p1", RemoteID: remote, SKU: "100000-L", Price: sdk.Money{Amount: 2450, Currency: "USD"}},
		{IdempotencyKey: "p2", RemoteID: remote, SKU: "100000-XL", Price: sdk.Money{Amount: 2450, Currency: "USD"}},
	}})
	if err != nil || prices.Results[0].Err != nil || prices.Results[1].Err == nil || prices.Results[1].Err.Kind != sdk.KindNotFound {
		t.Fatalf("%v %+v", err, prices.Results)
	}
	if price, _ := s.Price(remote, "100000-L"); price != "24.50" {
		t.Errorf("price %q", price)
	}
}

// The plugin verifies the deliveries the store really sends.
func TestVerifiesTheStoresWebhooks(t *testing.T) {
	s := sim.ServeTest(t, sim.Options{})
	p := configured(t, s, nil)
	resp, err := p.UpsertProducts(context.Background(), &sdk.UpsertProductsRequest{Items: catalogue(1, "taobao")})
	if err != nil {
		t.Fatal(err)
	}
	s.MerchantSetTitle(resp.Results[0].RemoteID, "retitled")
	var hooks []sdk.Webhook
	for _, d := range s.Deliveries() {
		h := map[string]string{}
		for k, v := range d.Header {
			h[http2lower(k)] = v[0]
		}
		hooks = append(hooks, sdk.Webhook{Headers: h, Body: d.Body})
	}
	other := configured(t, s, func(v map[string]any) { v[FieldAppSecret] = "another app" })
	for name, tc := range map[string]struct {
		p    *Plugin
		kind sdk.ErrorKind
	}{"right secret": {p, 0}, "wrong secret": {other, sdk.KindAuth}} {
		got, err := tc.p.VerifyWebhooks(context.Background(), &sdk.VerifyWebhooksRequest{Webhooks: hooks})
		if err != nil || len(got.Results) != 2 {
			t.Fatalf("%s: %v", name, err)
		}
		for i, r := range got.Results {
			switch {
			case tc.kind != 0 && (r.Err == nil || r.Err.Kind != tc.kind):
				t.Errorf("%s: delivery %d gave %+v", name, i, r)
			case tc.kind == 0 && (r.Err != nil || r.Event.RemoteIDs[0] != resp.Results[0].RemoteID || r.Event.OccurredAt.IsZero()):
				t.Errorf("%s: delivery %d gave %+v %v", name, i, r.Event, r.Err)
			}
		}
	}
}

func http2lower(k string) string {
	b := []byte(k)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// bulkCalls upserts n products of three variants through the bulk path
// and returns the requests the store served.
func bulkCalls(t testing.TB, n int) int64 {
	s := sim.ServeTest(t, sim.Options{BucketSize: 1e9, RestoreRate: 1e9, BulkPolls: 2})
	p := configured(t, s, nil)
	resp, err := p.UpsertProducts(context.Background(), &sdk.UpsertProductsRequest{Items: catalogue(n, "taobao")})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range resp.Results {
		if r.Err != nil || r.RemoteID == "" {
			t.Fatalf("item %d: %+v", i, r)
		}
	}
	if got := s.ProductCount(); got != n {
		t.Fatalf("%d products in the store, want %d", got, n)
	}
	return s.Stats().Requests
}

// The bulk path makes the same calls whatever the batch's size: stage,
// upload, run, the polls, download.
func TestBulkCallsAreConstant(t *testing.T) {
	small, large := bulkCalls(t, 300), bulkCalls(t, 1000)
	if small != large {
		t.Errorf("300 products took %d requests, 1000 took %d", small, large)
	}
	t.Logf("1000 products × 3 variants: %d requests (stage, upload, run, 3 polls, download)", large)
}

// A bulk upsert repeated creates nothing new (custom id upsert), and its
// refused lines fail alone.
func TestBulkRepeatAndRefusedLines(t *testing.T) {
	s := sim.ServeTest(t, sim.Options{BucketSize: 1e9, RestoreRate: 1e9})
	p := configured(t, s, func(v map[string]any) { v[FieldBulkThreshold] = 5 })
	items := catalogue(20, "taobao")
	items[7].Product.Title["en"] = string(make([]byte, 300))
	for range 2 {
		resp, err := p.UpsertProducts(context.Background(), &sdk.UpsertProductsRequest{Items: items})
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range resp.Results {
			if (i == 7) != (r.Err != nil) {
				t.Errorf("item %d: %+v", i, r)
			}
		}
		if e := resp.Results[7].Err; e == nil || e.Code != "INVALID_INPUT" {
			t.Errorf("refused line: %v", e)
		}
	}
	if got := s.ProductCount(); got != 19 {
		t.Errorf("%d products after the same bulk upsert twice, want 19", got)
	}
}

func BenchmarkBulkUpsert1000x3(b *testing.B) {
	var calls int64
	for range b.N {
		calls = bulkCalls(b, 1000)
	}
	b.ReportMetric(float64(calls), "requests/op")
}

// The host's expected stock is the compare-and-swap value: a sale since
// the host last saw the stock fails the item as CONFLICT, leaves the
// sale's stock, and a write expecting the stock after the sale succeeds.
func TestExpectedStockIsComparedAndSwapped(t *testing.T) {
	s := sim.ServeTest(t, sim.Options{})
	p := configured(t, s, nil)
	ctx := context.Background()
	up, err := p.UpsertProducts(ctx, &sdk.UpsertProductsRequest{Items: catalogue(1, "taobao")})
	if err != nil || up.Results[0].Err != nil {
		t.Fatal(err, up.Results[0].Err)
	}
	remote := up.Results[0].RemoteID
	if err := s.MerchantSetStock(remote, "100000-S", 9); err != nil {
		t.Fatal(err)
	}
	expect := func(n int64) *int64 { return &n }
	resp, err := p.SetInventory(ctx, &sdk.SetInventoryRequest{Items: []sdk.InventoryItem{
		{IdempotencyKey: "a", RemoteID: remote, SKU: "100000-S", Stock: 15, ExpectedStock: expect(10)},
		{IdempotencyKey: "b", RemoteID: remote, SKU: "100000-M", Stock: 4, ExpectedStock: expect(10)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if e := resp.Results[0].Err; e == nil || e.Kind != sdk.KindConflict || e.Code != "CHANGE_FROM_QUANTITY_STALE" {
		t.Errorf("a write expecting 10 after a sale left 9 returned %v, want CONFLICT CHANGE_FROM_QUANTITY_STALE", e)
	}
	if e := resp.Results[1].Err; e != nil {
		t.Errorf("a write whose expected stock holds failed next to the conflict: %v", e)
	}
	if got, _ := s.Stock(remote, "100000-S"); got != 9 {
		t.Errorf("the conflicting write left the stock %d, want the sale's 9", got)
	}
	if got, _ := s.Stock(remote, "100000-M"); got != 4 {
		t.Errorf("the good write left the stock %d, want 4", got)
	}
	resp, err = p.SetInventory(ctx, &sdk.SetInventoryRequest{Items: []sdk.InventoryItem{
		{IdempotencyKey: "c", RemoteID: remote, SKU: "100000-S", Stock: 15, ExpectedStock: expect(9)},
	}})
	if err != nil || resp.Results[0].Err != nil {
		t.Fatalf("a write expecting the stock after the sale: %v %v", err, resp.Results[0].Err)
	}
	if got, _ := s.Stock(remote, "100000-S"); got != 15 {
		t.Errorf("stock %d after the write, want 15", got)
	}
}

// A product's status and its variants' compare-at prices reach the store
// (ProductSetInput.status, ProductVariantSetInput.compareAtPrice) and read
// back; a compare-at not above the price, or none, clears the store's,
// and a write without a status keeps the store's.
func TestStatusAndCompareAtRoundTrip(t *testing.T) {
	s := sim.ServeTest(t, sim.Options{})
	p := configured(t, s, nil)
	items := catalogue(1, "taobao")
	items[0].Product.Status = sdk.StatusDraft
	items[0].Product.Variants[0].CompareAt = &sdk.Money{Amount: 2599, Currency: "USD"}
	items[0].Product.Variants[1].CompareAt = &sdk.Money{Amount: 1999, Currency: "USD"} // not a sale
	upsert := func() string {
		t.Helper()
		resp, err := p.UpsertProducts(context.Background(), &sdk.UpsertProductsRequest{Items: items})
		if err != nil || resp.Results[0].Err != nil {
			t.Fatal(err, resp.Results[0].Err)
		}
		return resp.Results[0].RemoteID
	}
	remote := upsert()
	if st, _ := s.Status(remote); st != "DRAFT" {
		t.Errorf("status in the store %q, want DRAFT", st)
	}
	for sku, want := range map[string]string{"100000-S": "25.99", "100000-M": "", "100000-L": ""} {
		if got, _ := s.CompareAt(remote, sku); got != want {
			t.Errorf("%s: compare-at in the store %q, want %q", sku, got, want)
		}
	}
	got, err := p.GetRemoteProducts(context.Background(), &sdk.GetRemoteProductsRequest{RemoteIDs: []string{remote}})
	if err != nil || got.Results[0].Product == nil {
		t.Fatal(err, got.Results[0].Err)
	}
	r := got.Results[0].Product
	if r.Status != sdk.StatusDraft || r.Variants[0].CompareAt == nil || *r.Variants[0].CompareAt != (sdk.Money{Amount: 2599, Currency: "USD"}) || r.Variants[1].CompareAt != nil {
		t.Errorf("read back status %q, compare-at %v %v", r.Status, r.Variants[0].CompareAt, r.Variants[1].CompareAt)
	}
	if err := r.Validate(); err != nil {
		t.Error(err)
	}

	// Published, the sale over: no status keeps DRAFT, then ACTIVE.
	items[0].Product.Status = ""
	items[0].Product.Variants[0].CompareAt = nil
	upsert()
	if st, _ := s.Status(remote); st != "DRAFT" {
		t.Errorf("a write without a status changed it to %q", st)
	}
	if got, _ := s.CompareAt(remote, "100000-S"); got != "" {
		t.Errorf("compare-at %q left in the store", got)
	}
	items[0].Product.Status = sdk.StatusActive
	upsert()
	if st, _ := s.Status(remote); st != "ACTIVE" {
		t.Errorf("status %q, want ACTIVE", st)
	}
}
