package store_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/marketsync/marketsync/plugins/woocommerce/sim"
	"github.com/marketsync/marketsync/plugins/woocommerce/store"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/faultinject"
)

func usd(cents int64) sdk.Money { return sdk.Money{Amount: cents, Currency: "USD"} }

// configure returns a plugin configured for the store at url with the
// store's key, changed by edit.
func configure(t testing.TB, s *sim.Running, url string, edit func(map[string]any), opts ...store.Option) *store.Plugin {
	t.Helper()
	c := s.Credentials()
	values := map[string]any{
		store.FieldStoreURL: url, store.FieldConsumerKey: c.ConsumerKey, store.FieldConsumerSecret: c.ConsumerSecret,
		store.FieldWebhookSecret: s.WebhookSecret(),
	}
	if edit != nil {
		edit(values)
	}
	p := store.New(opts...)
	cfg, err := sdk.NewConfig(p.Describe().Config, values)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Configure(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	return p
}

// product is a variable product with n sizes, or a simple one for n = 0.
func product(id string, n int) sdk.Product {
	p := sdk.Product{ID: id, Source: "sandbox", Title: map[string]string{"en": "Shirt " + id, "zh-CN": "衬衫"},
		Description: map[string]string{"en": "Linen."}, Images: []sdk.Image{{URL: "https://img.example/" + id + ".jpg"}}}
	if n == 0 {
		p.Variants = []sdk.Variant{{SKU: id + "-ONE", Price: usd(1990), Stock: 4}}
		return p
	}
	for i := range n {
		p.Variants = append(p.Variants, sdk.Variant{
			SKU: fmt.Sprintf("%s-%d", id, i), Options: []sdk.Option{{Name: "Size", Value: strconv.Itoa(36 + i)}},
			Price: usd(2500 + int64(i)*100), Stock: int64(i),
		})
	}
	return p
}

func upsert(t testing.TB, p *store.Plugin, products ...sdk.Product) []sdk.WriteResult {
	t.Helper()
	req := &sdk.UpsertProductsRequest{}
	for i, pr := range products {
		req.Items = append(req.Items, sdk.UpsertItem{IdempotencyKey: fmt.Sprint("k", i), Product: pr})
	}
	resp, err := p.UpsertProducts(context.Background(), req)
	if err != nil {
		t.Fatalf("upsert: %v", err)
	}
	return resp.Results
}

// 1,000 products of 3 variants at the cap of 100 a call: one
// products/batch per 100 products and, since variations are written
// under their parent's route, one products/{id}/variations/batch per
// product; the SKU lookup that makes creates safe is one read per call.
func TestWriteCountsAtBatchCap(t *testing.T) {
	s := sim.ServeTest(t, sim.Options{})
	p := configure(t, s, s.URL, nil)
	const products, variants, cap = 1000, 3, 100
	for call := range products / cap {
		var batch []sdk.Product
		for i := range cap {
			batch = append(batch, product(fmt.Sprintf("P%04d", call*cap+i), variants))
		}
		for i, r := range upsert(t, p, batch...) {
			if r.Err != nil || r.RemoteID == "" {
				t.Fatalf("item %d: %+v", i, r)
			}
		}
	}
	st := s.Stats()
	productBatches, variationBatches := st.Calls["POST products/batch"], st.Calls["POST products/{id}/variations/batch"]
	if want := int64((products + cap - 1) / cap); productBatches > want {
		t.Errorf("%d products/batch calls, want at most %d", productBatches, want)
	}
	if variationBatches != products {
		t.Errorf("%d variations/batch calls, want %d (one per variable product)", variationBatches, products)
	}
	if reads := st.Calls["GET products"]; reads != products/cap {
		t.Errorf("%d SKU lookups, want %d", reads, products/cap)
	}
	if n, v := st.Items["products/batch create"], st.Items["products/{id}/variations/batch create"]; n != products || v != products*variants {
		t.Errorf("created %d products and %d variations", n, v)
	}
	t.Logf("1000×3: %d products/batch + %d variations/batch writes, %d reads", productBatches, variationBatches, st.Calls["GET products"])

	// Stock of every variant, 100 items a call: one variations batch per
	// product met, and the reads that check each item against the store
	// (one products read a call, one variations read per product met).
	s.ResetStats()
	for call := range products * variants / cap {
		req := &sdk.SetInventoryRequest{}
		for i := range cap {
			n := call*cap + i
			req.Items = append(req.Items, sdk.InventoryItem{RemoteID: remoteOf(t, s, fmt.Sprintf("sandbox-P%04d", n/variants)), SKU: fmt.Sprintf("P%04d-%d", n/variants, n%variants), Stock: 9})
		}
		resp, err := p.SetInventory(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range resp.Results {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
		}
	}
	st = s.Stats()
	writes, reads := st.Calls["POST products/{id}/variations/batch"], st.Calls["GET products"]+st.Calls["GET products/{id}/variations"]
	t.Logf("stock of 3000 variants: %d variations/batch writes, %d reads", writes, reads)
	calls := int64(products * variants / cap)
	if met := int64(products + calls); writes > met || st.Calls["GET products"] != calls || st.Calls["GET products/{id}/variations"] != writes {
		t.Errorf("stock writes: %v", st.Calls)
	}
}

func remoteOf(t testing.TB, s *sim.Running, sku string) string {
	id, ok := s.IDBySKU(sku)
	if !ok {
		t.Fatalf("no product with SKU %s", sku)
	}
	return strconv.FormatInt(id, 10)
}

// A refused key is one AUTH error of the whole call, after one request,
// naming the settings to fix.
func TestBadCredentialsIsOneAuthError(t *testing.T) {
	s := sim.ServeTest(t, sim.Options{})
	p := configure(t, s, s.URL, func(v map[string]any) { v[store.FieldConsumerSecret] = "cs_wrong" })
	_, err := p.UpsertProducts(context.Background(), &sdk.UpsertProductsRequest{Items: []sdk.UpsertItem{{Product: product("A", 2)}}})
	e, ok := sdk.AsError(err)
	if !ok || e.Kind != sdk.KindAuth || e.Code != "woocommerce_rest_authentication_error" {
		t.Fatalf("got %v, want AUTH woocommerce_rest_authentication_error", err)
	}
	for _, setting := range []string{"consumer_key", "consumer_secret", "Invalid signature"} {
		if !strings.Contains(e.Message, setting) {
			t.Errorf("message %q does not say %q", e.Message, setting)
		}
	}
	if n := s.Stats().Requests; n != 1 {
		t.Errorf("%d requests, want 1: the plugin must not retry", n)
	}
}

// A product the store refuses fails alone, with the store's code and
// message; the others are written.
func TestRejectedProductFailsAlone(t *testing.T) {
	s := sim.ServeTest(t, sim.Options{})
	p := configure(t, s, s.URL, nil)
	upsert(t, p, product("SHIRT", 3))
	clash := product("CLASH", 0)
	clash.Variants[0].SKU = "SHIRT-1" // a variation's SKU
	rs := upsert(t, p, product("OK1", 0), clash, product("OK2", 2))
	if rs[0].Err != nil || rs[2].Err != nil || rs[0].RemoteID == "" || rs[2].RemoteID == "" {
		t.Fatalf("good items: %+v %+v", rs[0], rs[2])
	}
	e := rs[1].Err
	if e == nil || e.Kind != sdk.KindInvalid || e.Code != "product_invalid_sku" || e.Message != "Invalid or duplicated SKU." {
		t.Fatalf("refused item: %+v", rs[1])
	}
	if rs[1].IdempotencyKey != "k1" {
		t.Errorf("idempotency key %q not echoed", rs[1].IdempotencyKey)
	}

	// A variant the store refuses fails its product, naming the SKU.
	bad := product("BAD", 2)
	bad.Variants[1].SKU = "OK1-ONE"
	rs = upsert(t, p, bad)
	if e := rs[0].Err; e == nil || e.Code != "product_invalid_sku" || !strings.Contains(e.Message, "variant OK1-ONE") {
		t.Errorf("variant refused: %+v", rs[0])
	}
	// A product in another currency never reaches the store.
	eur := product("EUR", 0)
	eur.Variants[0].Price.Currency = "EUR"
	if rs := upsert(t, p, eur); rs[0].Err == nil || rs[0].Err.Code != "currency_mismatch" {
		t.Errorf("EUR product: %+v", rs[0])
	}
}

// A create whose answer was lost is repeated safely: the retry finds the
// product by its SKU and updates it, in a fresh process too.
func TestRetriedCreateIsSafe(t *testing.T) {
	s := sim.ServeTest(t, sim.Options{})
	p := configure(t, s, s.URL, nil)
	s.Injector().Add(faultinject.Rule{Name: "lost", Fault: faultinject.Truncated(),
		Match: faultinject.All(faultinject.Method(http.MethodPost), faultinject.Path("/wp-json/wc/v3/products/batch")), When: faultinject.Next(1)})
	prods := []sdk.Product{product("R1", 0), product("R2", 3)}
	_, err := p.UpsertProducts(context.Background(), &sdk.UpsertProductsRequest{Items: []sdk.UpsertItem{{Product: prods[0]}, {Product: prods[1]}}})
	if e, ok := sdk.AsError(err); !ok || e.Kind != sdk.KindUnavailable {
		t.Fatalf("a cut answer: %v, want UNAVAILABLE", err)
	}
	if n := s.ProductCount(); n != 2 {
		t.Fatalf("the store made %d products before the answer was lost", n)
	}
	fresh := configure(t, s, s.URL, nil)
	rs := upsert(t, fresh, prods...)
	for i, r := range rs {
		if r.Err != nil || r.RemoteID != remoteOf(t, s, []string{"R1-ONE", "sandbox-R2"}[i]) {
			t.Errorf("retry %d: %+v", i, r)
		}
	}
	if n := s.ProductCount(); n != 2 {
		t.Errorf("%d products after the retry, want 2", n)
	}
	if _, vs, _ := s.Product(mustID(t, rs[1].RemoteID)); len(vs) != 3 {
		t.Errorf("%d variations after the retry, want 3", len(vs))
	}
}

func mustID(t testing.TB, s string) int64 {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// What is written reads back as the same product, in a fresh process.
func TestReadBack(t *testing.T) {
	s := sim.ServeTest(t, sim.Options{})
	p := configure(t, s, s.URL, nil)
	want := []sdk.Product{product("RB1", 0), product("RB2", 3)}
	want[0].Variants[0].Barcode = "4006381333931"
	rs := upsert(t, p, want...)
	resp, err := configure(t, s, s.URL, nil).GetRemoteProducts(context.Background(), &sdk.GetRemoteProductsRequest{RemoteIDs: []string{rs[0].RemoteID, rs[1].RemoteID, "999999", "x"}})
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range want {
		got := resp.Results[i].Product
		if got == nil {
			t.Fatalf("product %d: %v", i, resp.Results[i].Err)
		}
		if got.Title["en"] != w.Title["en"] || got.Description["en"] != "Linen." || len(got.Variants) != len(w.Variants) || len(got.Images) != 1 {
			t.Errorf("product %d: %+v", i, got)
		}
		for j, v := range w.Variants {
			g := got.Variants[j]
			if g.SKU != v.SKU || g.Price != v.Price || g.Stock != v.Stock || g.Barcode != v.Barcode || len(g.Options) != len(v.Options) {
				t.Errorf("product %d variant %d: got %+v, want %+v", i, j, g, v)
			}
		}
	}
	for _, i := range []int{2, 3} {
		if e := resp.Results[i].Err; e == nil || e.Kind != sdk.KindNotFound {
			t.Errorf("id %s: %+v", resp.Results[i].ID, resp.Results[i])
		}
	}
}

// An update makes the variations what the variants are: changed ones
// updated by id, new ones created, gone ones deleted; a variable product
// that becomes simple loses its variations first.
func TestUpdateVariations(t *testing.T) {
	s := sim.ServeTest(t, sim.Options{})
	p := configure(t, s, s.URL, nil)
	prod := product("UV", 3)
	rs := upsert(t, p, prod)
	id := mustID(t, rs[0].RemoteID)
	_, before, _ := s.Product(id)
	prod.Variants = append(prod.Variants[1:], sdk.Variant{SKU: "UV-new", Options: []sdk.Option{{Name: "Size", Value: "50"}}, Price: usd(100), Stock: 1})
	prod.Variants[0].Price = usd(9999)
	item := sdk.UpsertItem{Product: prod, RemoteID: rs[0].RemoteID}
	for name, pl := range map[string]*store.Plugin{"cached": p, "fresh": configure(t, s, s.URL, nil)} {
		resp, err := pl.UpsertProducts(context.Background(), &sdk.UpsertProductsRequest{Items: []sdk.UpsertItem{item}})
		if err != nil || resp.Results[0].Err != nil {
			t.Fatalf("%s: %v %+v", name, err, resp)
		}
		_, after, _ := s.Product(id)
		skus := map[string]sim.Variation{}
		for _, v := range after {
			skus[v.SKU] = v
		}
		if len(after) != 3 || skus["UV-0"].ID != 0 || skus["UV-1"].ID != before[1].ID || skus["UV-1"].RegularPrice != "99.99" || skus["UV-new"].ID == 0 {
			t.Errorf("%s: variations %+v", name, after)
		}
	}
	simple := product("UV", 0)
	simple.Variants[0].SKU = "UV-1" // a former variation's SKU
	resp, err := p.UpsertProducts(context.Background(), &sdk.UpsertProductsRequest{Items: []sdk.UpsertItem{{Product: simple, RemoteID: rs[0].RemoteID}}})
	if err != nil || resp.Results[0].Err != nil {
		t.Fatalf("to simple: %v %+v", err, resp)
	}
	if got, vs, _ := s.Product(id); got.Type != "simple" || got.SKU != "UV-1" || len(vs) != 0 {
		t.Errorf("to simple: %s %q with %d variations", got.Type, got.SKU, len(vs))
	}
}

// Stock and prices go to the simple product or to the variation with
// the SKU; unknown products and SKUs fail alone.
func TestStockAndPrices(t *testing.T) {
	s := sim.ServeTest(t, sim.Options{})
	rs := upsert(t, configure(t, s, s.URL, nil), product("SP1", 0), product("SP2", 2))
	p := configure(t, s, s.URL, nil) // knows nothing yet
	inv, err := p.SetInventory(context.Background(), &sdk.SetInventoryRequest{Items: []sdk.InventoryItem{
		{IdempotencyKey: "a", RemoteID: rs[0].RemoteID, SKU: "SP1-ONE", Stock: 0},
		{IdempotencyKey: "b", RemoteID: rs[1].RemoteID, SKU: "SP2-1", Stock: 42},
		{IdempotencyKey: "c", RemoteID: rs[1].RemoteID, SKU: "SP2-9", Stock: 1},
		{IdempotencyKey: "d", RemoteID: "123456789", SKU: "X", Stock: 1},
	}})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []sdk.ErrorKind{0, 0, sdk.KindNotFound, sdk.KindNotFound} {
		if r := inv.Results[i]; (want == 0) != (r.Err == nil) || r.Err != nil && r.Err.Kind != want || r.IdempotencyKey != string(rune('a'+i)) {
			t.Errorf("stock item %d: %+v", i, r)
		}
	}
	prices, err := p.SetPrices(context.Background(), &sdk.SetPricesRequest{Items: []sdk.PriceItem{
		{RemoteID: rs[0].RemoteID, SKU: "SP1-ONE", Price: usd(505)},
		{RemoteID: rs[1].RemoteID, SKU: "SP2-0", Price: usd(1000)},
		{RemoteID: rs[1].RemoteID, SKU: "SP2-0", Price: sdk.Money{Amount: 1000, Currency: "JPY"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if prices.Results[0].Err != nil || prices.Results[1].Err != nil || prices.Results[2].Err == nil {
		t.Errorf("prices: %+v", prices.Results)
	}
	simple, _, _ := s.Product(mustID(t, rs[0].RemoteID))
	_, vs, _ := s.Product(mustID(t, rs[1].RemoteID))
	if simple.StockStatus != "outofstock" || simple.RegularPrice != "5.05" || *vs[1].StockQuantity != 42 || vs[0].RegularPrice != "10.00" {
		t.Errorf("store: simple %+v, variations %+v", simple, vs)
	}
}

// A plugin whose knowledge of a product is out of date (another process
// changed its variations) reads it again instead of failing the item.
// (Prices trust what the plugin learnt; stock writes always read.)
func TestStaleShapeIsReadAgain(t *testing.T) {
	s := sim.ServeTest(t, sim.Options{})
	p := configure(t, s, s.URL, nil)
	prod := product("ST", 2)
	rs := upsert(t, p, prod)
	prod.Variants[1].SKU = "ST-other"
	other := configure(t, s, s.URL, nil)
	if _, err := other.UpsertProducts(context.Background(), &sdk.UpsertProductsRequest{Items: []sdk.UpsertItem{{Product: prod, RemoteID: rs[0].RemoteID}}}); err != nil {
		t.Fatal(err)
	}
	s.ResetStats()
	resp, err := p.SetPrices(context.Background(), &sdk.SetPricesRequest{Items: []sdk.PriceItem{
		{RemoteID: rs[0].RemoteID, SKU: "ST-other", Price: usd(1100)},
		{RemoteID: rs[0].RemoteID, SKU: "ST-0", Price: usd(1200)},
		{RemoteID: rs[0].RemoteID, SKU: "ST-1", Price: usd(1300)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if r := resp.Results; r[0].Err != nil || r[1].Err != nil || r[2].Err == nil || r[2].Err.Kind != sdk.KindNotFound {
		t.Errorf("results %+v", r)
	}
	_, vs, _ := s.Product(mustID(t, rs[0].RemoteID))
	if len(vs) != 2 || vs[0].RegularPrice != "12.00" || vs[1].SKU != "ST-other" || vs[1].RegularPrice != "11.00" {
		t.Errorf("variations %+v", vs)
	}
	if st := s.Stats(); st.Calls["GET products"] != 1 || st.Calls["POST products/{id}/variations/batch"] != 2 {
		t.Errorf("calls %v: want one read again and the batch sent again", st.Calls)
	}
}

// Platform trouble fails the whole call with the kind the host acts on.
func TestPlatformErrors(t *testing.T) {
	s := sim.ServeTest(t, sim.Options{})
	p := configure(t, s, s.URL, nil)
	for name, tc := range map[string]struct {
		fault faultinject.Fault
		kind  sdk.ErrorKind
		after time.Duration
	}{
		"429 with Retry-After": {faultinject.TooManyRequests(30 * time.Second), sdk.KindRateLimited, 30 * time.Second},
		"503 with Retry-After": {faultinject.Status(503, []byte(`{"code":"maintenance","message":"Briefly unavailable","data":{"status":503}}`)).WithHeader("Retry-After", "120"), sdk.KindUnavailable, 120 * time.Second},
		"500":                  {faultinject.Status(500, []byte("<html>error</html>")), sdk.KindUnavailable, 0},
		"reset":                {faultinject.Reset(), sdk.KindUnavailable, 0},
		"garbage":              {faultinject.Garbage(64), sdk.KindUnavailable, 0},
	} {
		t.Run(name, func(t *testing.T) {
			s.Injector().Add(faultinject.Rule{Name: "t", Fault: tc.fault})
			defer s.Injector().Remove("t")
			_, err := p.GetRemoteProducts(context.Background(), &sdk.GetRemoteProductsRequest{RemoteIDs: []string{"1"}})
			e, ok := sdk.AsError(err)
			if !ok || e.Kind != tc.kind || e.RetryAfter != tc.after {
				t.Errorf("got %v (retry after %v), want %s after %s", err, e.RetryAfter, tc.kind, tc.after)
			}
		})
	}
	// An answer slower than the configured timeout: the store's clock
	// never moves, so the answer never comes.
	impatient := configure(t, s, s.URL, func(v map[string]any) { v[store.FieldTimeout] = "300ms" })
	s.Injector().Add(faultinject.Rule{Name: "slow", Fault: faultinject.Slow(time.Hour)})
	_, err := impatient.GetRemoteProducts(context.Background(), &sdk.GetRemoteProductsRequest{RemoteIDs: []string{"1"}})
	s.Injector().Remove("slow")
	if e, ok := sdk.AsError(err); !ok || e.Kind != sdk.KindUnavailable || e.Code != "http_timeout" {
		t.Errorf("slow answer: %v", err)
	}
	// Throttling bursts: two refusals in every four calls.
	s.Injector().Add(faultinject.Rule{Name: "bursts", Fault: faultinject.TooManyRequests(time.Second), When: faultinject.Bursts(4, 2)})
	limited := 0
	for range 8 {
		if _, err := p.GetRemoteProducts(context.Background(), &sdk.GetRemoteProductsRequest{RemoteIDs: []string{"1"}}); err != nil {
			if e, _ := sdk.AsError(err); e.Kind != sdk.KindRateLimited {
				t.Errorf("burst: %v", err)
			}
			limited++
		}
	}
	s.Injector().Remove("bursts")
	if limited != 4 {
		t.Errorf("%d of 8 calls refused in bursts of 2 every 4, want 4", limited)
	}
	s.SetRateLimit(0.5, 1)
	p.GetRemoteProducts(context.Background(), &sdk.GetRemoteProductsRequest{RemoteIDs: []string{"1"}})
	_, err = p.GetRemoteProducts(context.Background(), &sdk.GetRemoteProductsRequest{RemoteIDs: []string{"1"}})
	if e, ok := sdk.AsError(err); !ok || e.Kind != sdk.KindRateLimited || e.RetryAfter != 2*time.Second {
		t.Errorf("host limit: %v", err)
	}
}

// Over HTTPS the key goes in Basic auth and nothing is signed.
func TestBasicAuthOverHTTPS(t *testing.T) {
	s, srv := sim.ServeTLS(t, sim.Options{})
	roots := srv.Client().Transport.(*http.Transport).TLSClientConfig
	p := configure(t, s, s.URL, nil, store.WithTLS(roots.Clone()))
	if !strings.HasPrefix(s.URL, "https://") {
		t.Fatal(s.URL)
	}
	rs := upsert(t, p, product("TLS", 2))
	if rs[0].Err != nil {
		t.Fatal(rs[0].Err)
	}
	bad := configure(t, s, s.URL, func(v map[string]any) { v[store.FieldConsumerSecret] = "cs_wrong" }, store.WithTLS(&tls.Config{RootCAs: roots.RootCAs}))
	_, err := bad.GetRemoteProducts(context.Background(), &sdk.GetRemoteProductsRequest{RemoteIDs: []string{rs[0].RemoteID}})
	if e, ok := sdk.AsError(err); !ok || e.Kind != sdk.KindAuth || !strings.Contains(e.Message, "Consumer secret is invalid.") {
		t.Errorf("wrong secret over https: %v", err)
	}
}

// Deliveries verify against the configured secret only; without one the
// platform takes no webhooks (NOT_FOUND, which the agent answers 404),
// and a delivery is not called a forgery.
func TestVerifyWebhooks(t *testing.T) {
	s := sim.ServeTest(t, sim.Options{})
	rs := upsert(t, configure(t, s, s.URL, nil), product("WH", 0))
	if err := s.MerchantUpdate(mustID(t, rs[0].RemoteID), map[string]any{"regular_price": "1.00"}); err != nil {
		t.Fatal(err)
	}
	d := s.Deliveries()[len(s.Deliveries())-1]
	w := sdk.Webhook{Headers: map[string]string{}, Body: d.Body}
	for k := range d.Header {
		w.Headers[strings.ToLower(k)] = d.Header.Get(k)
	}
	for name, tc := range map[string]struct {
		secret string
		code   string
		kind   sdk.ErrorKind
	}{"right secret": {s.WebhookSecret(), "", 0}, "other secret": {"nope", "bad_signature", sdk.KindAuth},
		"no secret": {"", "webhooks_not_configured", sdk.KindNotFound}} {
		p := configure(t, s, s.URL, func(v map[string]any) { v[store.FieldWebhookSecret] = tc.secret })
		resp, err := p.VerifyWebhooks(context.Background(), &sdk.VerifyWebhooksRequest{Webhooks: []sdk.Webhook{w}})
		if err != nil {
			t.Fatal(err)
		}
		r := resp.Results[0]
		switch {
		case tc.code == "" && (r.Err != nil || r.Event.Topic != "product.updated" || r.Event.RemoteIDs[0] != rs[0].RemoteID || r.Event.OccurredAt.IsZero()):
			t.Errorf("%s: %+v %+v", name, r.Event, r.Err)
		case tc.code != "" && (r.Err == nil || r.Err.Kind != tc.kind || r.Err.Code != tc.code):
			t.Errorf("%s: %+v", name, r.Err)
		}
	}
}
