package main

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/marketsync/marketsync/plugins/aliexpress/collector"
	"github.com/marketsync/marketsync/plugins/aliexpress/sim"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/faultinject"
	"github.com/marketsync/marketsync/sdk/host"
	"github.com/marketsync/marketsync/sdk/model"
	"github.com/marketsync/marketsync/sdk/plugintest"
)

// binary is the plugin built once for the package's tests, so that they
// run the real process, handshake and gRPC transport.
var binary string

func TestMain(m *testing.M) { plugintest.Main(m, "aliexpress", &binary) }

// config is the plugin's config block for a simulator, changed by edit.
func config(s *sim.Running, edit func(map[string]any)) []byte {
	c := s.Credentials()
	values := map[string]any{
		collector.FieldAppKey: c.AppKey, collector.FieldAppSecret: c.AppSecret,
		collector.FieldAccessToken: c.AccessToken, collector.FieldEndpoint: s.URL,
	}
	if edit != nil {
		edit(values)
	}
	b, _ := json.Marshal(values)
	return b
}

func launch(t *testing.T, configJSON []byte) *host.Plugin {
	t.Helper()
	ctx := context.Background()
	p, err := host.Launch(ctx, host.Options{Path: binary})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Kill)
	if err := p.Configure(ctx, configJSON); err != nil {
		t.Fatal(err)
	}
	return p
}

// fetchOne fetches one id, the platform's batch, through the process.
func fetchOne(t *testing.T, p *host.Plugin, id string) (*sdk.Product, *sdk.Error, error) {
	t.Helper()
	resp, err := host.Call[*model.FetchProductsResponse](context.Background(), p, &model.FetchProductsRequest{Ids: []string{id}})
	if err != nil {
		return nil, nil, err
	}
	r := resp.GetResults()[0]
	return host.ProductFromModel(r.GetProduct()), host.ErrorFromModel(r.GetError()), nil
}

func TestDescribeOverTheWire(t *testing.T) {
	s := sim.ServeTest(t, sim.Options{Products: 50})
	d := launch(t, config(s, nil)).Description()
	if d.Name != "aliexpress" || !d.Has(sdk.CapabilityCollect) || d.Has(sdk.CapabilityPublish) {
		t.Fatalf("description %+v", d)
	}
	if d.Limits.MaxBatch(sdk.OpFetchProducts, 0) != 1 || d.Limits.MaxBatch(sdk.OpListProducts, 0) != 99 {
		t.Errorf("limits %+v", d.Limits)
	}
	if got := d.Config.Sensitive(); !slices.Equal(got, []string{collector.FieldAppSecret, collector.FieldAccessToken}) {
		t.Errorf("sensitive fields %v", got)
	}
	for name, def := range map[string]any{
		collector.FieldShipToCountry: "US", collector.FieldTargetCurrency: "USD", collector.FieldTargetLanguage: "EN",
		collector.FieldEndpoint: "https://api-sg.aliexpress.com", collector.FieldTimeout: "30s",
	} {
		if f, ok := d.Config.Field(name); !ok || f.Default != def {
			t.Errorf("field %s: %+v, want default %v", name, f, def)
		}
	}
}

// Products read back through a real plugin process, and validated by the
// host, match what the simulator's catalogue says they are; unknown,
// deleted, off-shelf and not-shippable ids fail alone with NOT_FOUND.
func TestFetchThroughTheProcess(t *testing.T) {
	s := sim.ServeTest(t, sim.Options{Products: 200, Seed: 42})
	p := launch(t, config(s, nil))
	ids := append(s.IDs(), "999", "1005000000000001", "abc")
	reasons := map[string]int{}
	for _, id := range ids {
		prod, perr, err := fetchOne(t, p, id)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		exp := s.Expect(id)
		if err := exp.Check(prod, perr); err != nil {
			t.Error(err)
		}
		reasons[exp.Reason]++
	}
	for _, r := range []string{"", "unknown", "deleted", "offline", "ship_to"} {
		if reasons[r] == 0 {
			t.Errorf("no product of kind %q was fetched; %v", r, reasons)
		}
	}
	// One request per id, but none for "abc", which names no product.
	if n := s.Stats().Requests; n != int64(len(ids)-1) {
		t.Errorf("%d requests for %d ids", n, len(ids))
	}
}

func TestFetchInAnotherLanguageAndCurrency(t *testing.T) {
	s := sim.ServeTest(t, sim.Options{Products: 60})
	p := launch(t, config(s, func(v map[string]any) {
		v[collector.FieldTargetLanguage] = "RU"
		v[collector.FieldTargetCurrency] = "KRW"
		v[collector.FieldShipToCountry] = "BR"
	}))
	for _, id := range s.IDs() {
		prod, perr, err := fetchOne(t, p, id)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.ExpectIn(id, "BR", "KRW", "RU").Check(prod, perr); err != nil {
			t.Error(err)
		}
	}
}

func TestBatchCapOverTheWire(t *testing.T) {
	s := sim.ServeTest(t, sim.Options{Products: 20})
	p := launch(t, config(s, nil))
	_, err := host.Call[*model.FetchProductsResponse](context.Background(), p, &model.FetchProductsRequest{Ids: s.ListedIDs()[:2]})
	if !errorsIs(err, sdk.KindInvalid, "batch_too_large") {
		t.Errorf("two ids: %v", err)
	}
}

func TestListAllPagesThroughTheProcess(t *testing.T) {
	s := sim.ServeTest(t, sim.Options{Products: 500})
	p := launch(t, config(s, nil))
	for _, tc := range []struct {
		scope string
		size  int32
		want  []string
	}{
		{"", 0, s.ListedIDs()},
		{s.ShopID(), 45, s.ListedIDs()},
		{"another-owner", 10, nil},
	} {
		var ids []string
		cursor, calls := "", 0
		for {
			resp, err := host.Call[*model.ListProductsResponse](context.Background(), p, &model.ListProductsRequest{Cursor: cursor, PageSize: tc.size, Scope: tc.scope})
			if err != nil {
				t.Fatal(err)
			}
			calls++
			ids = append(ids, resp.GetIds()...)
			if cursor = resp.GetNextCursor(); cursor == "" {
				break
			}
		}
		if !slices.Equal(ids, tc.want) {
			t.Errorf("scope %q: %d ids in %d pages, want %d", tc.scope, len(ids), calls, len(tc.want))
		}
	}
}

func TestResolveURLsThroughTheProcess(t *testing.T) {
	s := sim.ServeTest(t, sim.Options{Products: 10})
	p := launch(t, config(s, nil))
	urls := []string{
		"https://www.aliexpress.com/item/1005006057059635.html?spm=a2g0o",
		"https://www.aliexpress.us/item/3256805870744883.html",
		"https://m.aliexpress.com/item/1005006057059635.html",
		"https://aliexpress.ru/item/1005006057059635.html",
		"https://a.aliexpress.com/_mKxyzAb",
		"https://item.taobao.com/item.htm?id=1",
	}
	resp, err := host.Call[*model.ResolveURLsResponse](context.Background(), p, &model.ResolveURLsRequest{Urls: urls})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"1005006057059635", "3256805870744883", "1005006057059635", "1005006057059635", "", ""}
	for i, r := range resp.GetResults() {
		if r.GetId() != want[i] || (want[i] == "") != (r.GetError().GetKind() == model.ErrorKind_ERROR_KIND_INVALID) {
			t.Errorf("%s: %v", urls[i], r)
		}
	}
	if n := s.Stats().Requests; n != 0 {
		t.Errorf("resolving made %d requests", n)
	}
}

func TestRateLimitingOverTheWire(t *testing.T) {
	s := sim.ServeTest(t, sim.Options{Products: 20})
	s.SetRateLimit(1, 1)
	p := launch(t, config(s, nil))
	id := s.ListedIDs()[0]
	if _, _, err := fetchOne(t, p, id); err != nil {
		t.Fatal(err)
	}
	_, _, err := fetchOne(t, p, id)
	e, ok := host.AsError(err)
	if !ok || e.Kind != sdk.KindRateLimited || e.Code != "ApiCallLimit" || e.RetryAfter != time.Second {
		t.Fatalf("second call in the same second: %v", err)
	}
	s.Clock.Advance(time.Second)
	if _, _, err := fetchOne(t, p, id); err != nil {
		t.Errorf("after the ban: %v", err)
	}

	// A 429 from something in front of the gateway, with Retry-After.
	s.SetRateLimit(0, 0)
	s.Injector().Add(faultinject.Rule{Fault: faultinject.TooManyRequests(12 * time.Second), When: faultinject.Next(1)})
	_, _, err = fetchOne(t, p, id)
	if e, ok := host.AsError(err); !ok || e.Kind != sdk.KindRateLimited || e.RetryAfter != 12*time.Second {
		t.Errorf("429: %v", err)
	}
}

func TestBadTokenIsAuth(t *testing.T) {
	s := sim.ServeTest(t, sim.Options{Products: 20})
	p := launch(t, config(s, func(v map[string]any) { v[collector.FieldAccessToken] = "expired" }))
	_, _, err := fetchOne(t, p, s.ListedIDs()[0])
	if !errorsIs(err, sdk.KindAuth, "IllegalAccessToken") {
		t.Errorf("fetch: %v", err)
	}
	_, err = host.Call[*model.ListProductsResponse](context.Background(), p, &model.ListProductsRequest{})
	if !errorsIs(err, sdk.KindAuth, "IllegalAccessToken") {
		t.Errorf("list: %v", err)
	}
}

func TestPlatformTroubleIsUnavailable(t *testing.T) {
	s := sim.ServeTest(t, sim.Options{Products: 20})
	p := launch(t, config(s, nil))
	for _, f := range []faultinject.Fault{faultinject.Status(503, nil), faultinject.Reset(), faultinject.Truncated(), faultinject.Garbage(32)} {
		s.Injector().Clear()
		s.Injector().Add(faultinject.Rule{Fault: f, When: faultinject.Next(1)})
		_, _, err := fetchOne(t, p, s.ListedIDs()[0])
		if !errorsIs(err, sdk.KindUnavailable, "") {
			t.Errorf("%s: %v", f.Kind(), err)
		}
	}
}

func TestBadConfigIsRefused(t *testing.T) {
	s := sim.ServeTest(t, sim.Options{Products: 5})
	p, err := host.Launch(context.Background(), host.Options{Path: binary})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Kill()
	for name, cfg := range map[string][]byte{
		"no credentials":   []byte(`{}`),
		"unknown field":    config(s, func(v map[string]any) { v["colour"] = "red" }),
		"bad currency":     config(s, func(v map[string]any) { v[collector.FieldTargetCurrency] = "usd" }),
		"bad timeout":      config(s, func(v map[string]any) { v[collector.FieldTimeout] = "soon" }),
		"endpoint not URL": config(s, func(v map[string]any) { v[collector.FieldEndpoint] = "api-sg.aliexpress.com" }),
	} {
		if err := p.Configure(context.Background(), cfg); !errorsIs(err, sdk.KindInvalid, "") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func errorsIs(err error, kind sdk.ErrorKind, code string) bool {
	e, ok := host.AsError(err)
	return ok && e.Kind == kind && (code == "" || e.Code == code)
}
