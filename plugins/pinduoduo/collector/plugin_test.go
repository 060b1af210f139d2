package collector_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/marketsync/marketsync/plugins/pinduoduo/collector"
	"github.com/marketsync/marketsync/plugins/pinduoduo/pdd"
	"github.com/marketsync/marketsync/plugins/pinduoduo/sim"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/faultinject"
	"github.com/marketsync/marketsync/sdk/host"
	"github.com/marketsync/marketsync/sdk/httpclient"
	"github.com/marketsync/marketsync/sdk/model"
)

// setup starts a simulator on a local port and a plugin configured for it;
// edit may change the config values before Configure.
func setup(t *testing.T, o sim.Options, edit func(map[string]any)) (*collector.Plugin, *sim.Server) {
	t.Helper()
	if o.Goods == 0 {
		o.Goods = 400
	}
	s := sim.New(o)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	values := s.PluginConfig(srv.URL + sim.Path)
	values["timeout"] = "5s"
	if edit != nil {
		edit(values)
	}
	p := collector.New()
	cfg, err := sdk.NewConfig(p.Describe().Config, values)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Configure(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if n := s.Stats().Requests; n != 0 {
		t.Fatalf("Configure made %d calls", n)
	}
	return p, s
}

func fetch(t *testing.T, p *collector.Plugin, id string) sdk.ProductResult {
	t.Helper()
	resp, err := p.FetchProducts(context.Background(), &sdk.FetchProductsRequest{IDs: []string{id}})
	if err != nil {
		t.Fatalf("fetch %s: %v", id, err)
	}
	if len(resp.Results) != 1 || resp.Results[0].ID != id {
		t.Fatalf("fetch %s: results %+v", id, resp.Results)
	}
	return resp.Results[0]
}

// checkAgainst compares a result with what the simulator says a correct
// client makes of the goods.
func checkAgainst(t *testing.T, e sim.Expected, r sdk.ProductResult) {
	t.Helper()
	for _, d := range e.Diff(normalized(r.Product), r.Err) {
		t.Errorf("%s: %s", r.ID, d)
	}
}

// normalized is p as the host stores it: repeated pictures once,
// attributes that restate a variant option dropped (model.Normalize).
func normalized(p *sdk.Product) *sdk.Product {
	if p == nil {
		return nil
	}
	m := host.ProductToModel(p)
	model.Normalize(m)
	return host.ProductFromModel(m)
}

func TestFetchEveryGoodsMatchesTheCatalogue(t *testing.T) {
	p, s := setup(t, sim.Options{Seed: 3}, nil)
	ids := append(s.IDs(), s.UnknownID(), "not-an-id")
	for _, id := range ids {
		checkAgainst(t, s.Expect(id), fetch(t, p, id))
	}
	// One detail call a goods and one template call a category.
	lookups := s.CategoryLookups(s.IDs())
	if st := s.Stats(); st.Errors[50001] != 1 || st.Served != int64(len(s.IDs())+lookups) || st.ByType[sim.TypeCatTemplate] != int64(lookups) {
		t.Errorf("gateway saw %+v, want %d template calls: the malformed id should not have been sent", st, lookups)
	}
}

func TestGroupPriceSetting(t *testing.T) {
	p, s := setup(t, sim.Options{}, func(v map[string]any) { v["price_type"] = "group" })
	id := s.Sample(sim.KindMultiSKU)
	r := fetch(t, p, id)
	for i, sku := range s.Expect(id).SKUs {
		if got := r.Product.Variants[i].Price.Amount; got != sku.GroupPrice {
			t.Errorf("variant %d: %d, want group price %d", i, got, sku.GroupPrice)
		}
	}
}

func list(t *testing.T, p *collector.Plugin, scope string, size int) []string {
	t.Helper()
	var ids []string
	cursor := ""
	for pages := 0; ; pages++ {
		resp, err := p.ListProducts(context.Background(), &sdk.ListProductsRequest{Cursor: cursor, PageSize: size, Scope: scope})
		if err != nil {
			t.Fatalf("page %d: %v", pages+1, err)
		}
		ids = append(ids, resp.IDs...)
		if resp.NextCursor == "" {
			return ids
		}
		if pages > 1000 {
			t.Fatal("listing does not end")
		}
		cursor = resp.NextCursor
	}
}

func TestListPagesThroughTheShop(t *testing.T) {
	p, s := setup(t, sim.Options{}, nil)
	want := s.ListedIDs()
	for _, size := range []int{0, 37, 100, 1000} {
		if got := list(t, p, s.ShopID, size); !slices.Equal(got, want) {
			t.Errorf("page size %d: %d ids, want %d", size, len(got), len(want))
		}
	}
	if got := list(t, p, "", 50); !slices.Equal(got, want) {
		t.Errorf("empty scope: %d ids", len(got))
	}
	// 400 goods, some off the shelf: ceil(n/100) calls for the size-0 run.
	if calls := s.Stats().ByType[sim.TypeGoodsList]; calls == 0 {
		t.Error("no list calls")
	}
}

func TestListCursorResumesAndIsChecked(t *testing.T) {
	p, s := setup(t, sim.Options{}, nil)
	ctx := context.Background()
	first, err := p.ListProducts(ctx, &sdk.ListProductsRequest{PageSize: 40, Scope: s.ShopID})
	if err != nil || first.NextCursor == "" {
		t.Fatal(first, err)
	}
	// A fresh plugin process resumes from the cursor, and the page size
	// rides in it.
	p2, _ := setup(t, sim.Options{}, nil)
	second, err := p2.ListProducts(ctx, &sdk.ListProductsRequest{Cursor: first.NextCursor, PageSize: 7, Scope: s.ShopID})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(append(first.IDs, second.IDs...), s.ListedIDs()[:80]) {
		t.Errorf("resumed listing does not continue the first page")
	}
	for name, req := range map[string]*sdk.ListProductsRequest{
		"other mall":          {Scope: "999"},
		"cursor of scope":     {Cursor: first.NextCursor, Scope: ""},
		"forged cursor":       {Cursor: "bm90LWEtY3Vyc29y", Scope: s.ShopID},
		"cursor out of range": {Cursor: "eyJzIjoiIiwicCI6MCwibiI6MTAwfQ", Scope: ""},
	} {
		_, err := p.ListProducts(ctx, req)
		if !errors.Is(err, &sdk.Error{Kind: sdk.KindInvalid}) {
			t.Errorf("%s: %v, want INVALID", name, err)
		}
	}
	unscoped, _ := setup(t, sim.Options{}, func(v map[string]any) { v["mall_id"] = "" })
	if _, err := unscoped.ListProducts(ctx, &sdk.ListProductsRequest{Scope: s.ShopID}); !errors.Is(err, &sdk.Error{Kind: sdk.KindInvalid}) {
		t.Errorf("scope without mall_id: %v", err)
	}
}

func TestRefusalsOfTheCall(t *testing.T) {
	ctx := context.Background()
	t.Run("wrong token is AUTH", func(t *testing.T) {
		p, s := setup(t, sim.Options{}, func(v map[string]any) { v["access_token"] = "stolen" })
		_, err := p.FetchProducts(ctx, &sdk.FetchProductsRequest{IDs: []string{s.Sample(sim.KindSpecLess)}})
		if !errors.Is(err, &sdk.Error{Kind: sdk.KindAuth, Code: "20032"}) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("expired token is AUTH", func(t *testing.T) {
		p, s := setup(t, sim.Options{}, nil)
		s.ExpireToken()
		_, err := p.ListProducts(ctx, &sdk.ListProductsRequest{})
		if !errors.Is(err, &sdk.Error{Kind: sdk.KindAuth, Code: "10019"}) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("wrong secret is AUTH", func(t *testing.T) {
		p, _ := setup(t, sim.Options{}, func(v map[string]any) { v["client_secret"] = "not-the-secret" })
		_, err := p.ListProducts(ctx, &sdk.ListProductsRequest{})
		if !errors.Is(err, &sdk.Error{Kind: sdk.KindAuth, Code: "20004"}) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("clock skew is INVALID", func(t *testing.T) {
		// The gateway's clock runs 15 minutes ahead of the plugin's.
		ahead := func() time.Time { return time.Now().Add(15 * time.Minute) }
		p, s := setup(t, sim.Options{Now: ahead}, nil)
		_, err := p.FetchProducts(ctx, &sdk.FetchProductsRequest{IDs: []string{s.Sample(sim.KindSpecLess)}})
		if !errors.Is(err, &sdk.Error{Kind: sdk.KindInvalid, Code: "10001"}) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("rate limit is RATE_LIMITED with retry-after", func(t *testing.T) {
		// A burst of two: the first fetch spends one detail call and one
		// template call.
		p, s := setup(t, sim.Options{Rate: 0.25, Burst: 2}, nil)
		id := s.Sample(sim.KindMultiSKU)
		if r := fetch(t, p, id); r.Err != nil {
			t.Fatal(r.Err)
		}
		_, err := p.FetchProducts(ctx, &sdk.FetchProductsRequest{IDs: []string{id}})
		e, ok := sdk.AsError(err)
		if !ok || e.Kind != sdk.KindRateLimited || e.Code != "70031" || e.RetryAfter < 3*time.Second || e.RetryAfter > 4*time.Second {
			t.Errorf("got %v", err)
		}
	})
}

// Faults injected in front of the gateway reach the plugin's caller as the
// typed errors the host acts on.
func TestFaultsReachTheCallerTyped(t *testing.T) {
	errorBody := func(code int, msg string) faultinject.Fault {
		return faultinject.ErrorBody(func(*http.Request) []byte {
			return []byte(`{"error_response":{"error_code":` + strconv.Itoa(code) + `,"error_msg":"` + msg + `","sub_code":null,"sub_msg":"","request_id":"1"}}`)
		})
	}
	for name, tc := range map[string]struct {
		fault faultinject.Fault
		kind  sdk.ErrorKind
		code  string
		after time.Duration
	}{
		"429 seconds":       {faultinject.TooManyRequests(3 * time.Second), sdk.KindRateLimited, "http_429", 3 * time.Second},
		"503":               {faultinject.Status(503, nil).WithHeader("Retry-After", "2"), sdk.KindUnavailable, "http_503", 2 * time.Second},
		"502":               {faultinject.Status(502, []byte("bad gateway")), sdk.KindUnavailable, "http_502", 0},
		"reset":             {faultinject.Reset(), sdk.KindUnavailable, httpclient.CodeConnection, 0},
		"truncated":         {faultinject.Truncated(), sdk.KindUnavailable, pdd.CodeBadResponse, 0},
		"garbage":           {faultinject.Garbage(80), sdk.KindUnavailable, pdd.CodeBadResponse, 0},
		"interface limited": {errorBody(52101, "当前接口被限流，请稍后重试"), sdk.KindRateLimited, "52101", 0},
		"internal error":    {errorBody(50000, "系统内部错误"), sdk.KindUnavailable, "50000", 0},
		"maintenance":       {errorBody(70033, "当前接口因系统维护，暂时下线，请稍后再试！"), sdk.KindUnavailable, "70033", 0},
		"app at risk":       {errorBody(70034, "当前用户或应用存在风险，禁止调用！"), sdk.KindAuth, "70034", 0},
		"limited w/ header": {errorBody(52101, "当前接口被限流，请稍后重试").WithHeader("Retry-After", "9"), sdk.KindRateLimited, "52101", 9 * time.Second},
	} {
		t.Run(name, func(t *testing.T) {
			p, s := setup(t, sim.Options{}, nil)
			if err := s.Faults.Add(faultinject.Rule{Name: "f", Fault: tc.fault, When: faultinject.Next(1)}); err != nil {
				t.Fatal(err)
			}
			_, err := p.FetchProducts(context.Background(), &sdk.FetchProductsRequest{IDs: []string{s.Sample(sim.KindSpecLess)}})
			e, ok := sdk.AsError(err)
			if !ok || e.Kind != tc.kind || e.Code != tc.code || e.RetryAfter != tc.after {
				t.Fatalf("got %v, want %s %s after %s", err, tc.kind, tc.code, tc.after)
			}
			// The next call goes through.
			if r := fetch(t, p, s.Sample(sim.KindSpecLess)); r.Err != nil {
				t.Errorf("after the fault: %v", r.Err)
			}
			if st := s.Faults.Stats(); st.ByRule["f"] != 1 {
				t.Errorf("fault stats %+v", st)
			}
		})
	}
}

// An answer held back past the plugin's timeout is UNAVAILABLE with the
// client's timeout code; the held answer is never released, so nothing
// sleeps.
func TestSlowAnswerTimesOut(t *testing.T) {
	never := func(time.Duration) <-chan time.Time { return nil }
	p, s := setup(t, sim.Options{FaultAfter: never}, func(v map[string]any) { v["timeout"] = "150ms" })
	if err := s.Faults.Add(faultinject.Rule{Fault: faultinject.Slow(time.Hour), When: faultinject.Next(1)}); err != nil {
		t.Fatal(err)
	}
	_, err := p.FetchProducts(context.Background(), &sdk.FetchProductsRequest{IDs: []string{s.Sample(sim.KindSpecLess)}})
	if !errors.Is(err, &sdk.Error{Kind: sdk.KindUnavailable, Code: httpclient.CodeTimeout}) {
		t.Errorf("got %v, want UNAVAILABLE %s", err, httpclient.CodeTimeout)
	}
}

func TestConfigureRefusesBadSettings(t *testing.T) {
	p := collector.New()
	base := map[string]any{"client_id": "c", "client_secret": "s", "access_token": "t"}
	for name, edit := range map[string]func(map[string]any){
		"relative endpoint": func(v map[string]any) { v["endpoint"] = "/api/router" },
		"ftp endpoint":      func(v map[string]any) { v["endpoint"] = "ftp://gw-api.pinduoduo.com/api/router" },
		"price type":        func(v map[string]any) { v["price_type"] = "lowest" },
		"mall id":           func(v map[string]any) { v["mall_id"] = "shop-1" },
		"proxy":             func(v map[string]any) { v["proxies"] = []string{"gopher://proxy:70"} },
		"empty secret":      func(v map[string]any) { v["client_secret"] = "" },
		"zero timeout":      func(v map[string]any) { v["timeout"] = "0s" },
	} {
		t.Run(name, func(t *testing.T) {
			values := map[string]any{}
			for k, v := range base {
				values[k] = v
			}
			edit(values)
			cfg, err := sdk.NewConfig(p.Describe().Config, values)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Configure(context.Background(), cfg); !errors.Is(err, &sdk.Error{Kind: sdk.KindInvalid}) {
				t.Errorf("got %v, want INVALID", err)
			}
		})
	}
	// Unconfigured, a data call says so instead of panicking.
	if _, err := collector.New().FetchProducts(context.Background(), &sdk.FetchProductsRequest{IDs: []string{"1"}}); !errors.Is(err, &sdk.Error{Kind: sdk.KindInvalid}) {
		t.Errorf("unconfigured: %v", err)
	}
}

func TestDescribe(t *testing.T) {
	d := collector.New().Describe()
	if d.Name != "pinduoduo" || d.Limits.MaxBatch(sdk.OpFetchProducts, 0) != 1 || d.Limits.MaxBatch(sdk.OpListProducts, 0) != 100 {
		t.Errorf("description %+v", d)
	}
	if d.Limits.Rate != 50 || d.Limits.Cost(sdk.OpListProducts) != 3 || d.Limits.Cost(sdk.OpResolveURLs) != 0 {
		t.Errorf("limits %+v", d.Limits)
	}
	if got := d.Config.Sensitive(); !slices.Equal(got, []string{"client_secret", "access_token"}) {
		t.Errorf("sensitive fields %v", got)
	}
	if err := d.Config.Validate(); err != nil {
		t.Error(err)
	}
}

// TestTemplatePermissionMissing: an app without the template API's
// permission package still collects; its goods properties are left out,
// and the refusal is asked once a category, not once a goods.
func TestTemplatePermissionMissing(t *testing.T) {
	p, s := setup(t, sim.Options{Seed: 3}, nil)
	s.Deny(sim.TypeCatTemplate)
	ids := s.IDs()
	for _, id := range ids {
		r := fetch(t, p, id)
		if r.Err != nil && !s.Expect(id).NotFound {
			t.Fatalf("%s failed: %v", id, r.Err)
		}
		if r.Product != nil {
			for _, a := range normalized(r.Product).Attributes {
				t.Errorf("%s: attribute %q without a template to name it", id, a.Name)
			}
		}
	}
	st := s.Stats()
	if lookups := s.CategoryLookups(ids); st.Errors[20031] != int64(lookups) || st.ByType[sim.TypeCatTemplate] != int64(lookups) {
		t.Errorf("template calls %d, refused %d; want one a category (%d)", st.ByType[sim.TypeCatTemplate], st.Errors[20031], lookups)
	}
}
