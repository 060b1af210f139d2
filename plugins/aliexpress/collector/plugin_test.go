package collector

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/marketsync/marketsync/plugins/aliexpress/sim"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/simkit"
)

type fixture struct {
	sim    *sim.Running
	clock  *simkit.FakeClock
	plugin *Plugin
}

func start(t *testing.T, o sim.Options) *fixture {
	t.Helper()
	if o.Products == 0 {
		o.Products = 300
	}
	r := sim.ServeTest(t, o)
	f := &fixture{sim: r, clock: r.Clock}
	f.plugin = f.configure(t, nil)
	return f
}

// config is a valid config block for the simulator, changed by edit.
func (f *fixture) config(edit func(map[string]any)) map[string]any {
	c := f.sim.Credentials()
	values := map[string]any{
		FieldAppKey: c.AppKey, FieldAppSecret: c.AppSecret, FieldAccessToken: c.AccessToken, FieldEndpoint: f.sim.URL,
	}
	if edit != nil {
		edit(values)
	}
	return values
}

func (f *fixture) configure(t *testing.T, edit func(map[string]any)) *Plugin {
	t.Helper()
	p := New()
	p.now = f.clock.Now
	cfg, err := sdk.NewConfig(p.Describe().Config, f.config(edit))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Configure(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	return p
}

func fetch(t *testing.T, p *Plugin, req *sdk.FetchProductsRequest) *sdk.FetchProductsResponse {
	t.Helper()
	resp, err := p.FetchProducts(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Results) != len(req.IDs) {
		t.Fatalf("%d results for %d ids", len(resp.Results), len(req.IDs))
	}
	return resp
}

func TestDescribe(t *testing.T) {
	d := New().Describe()
	if d.Name != "aliexpress" || d.Version == "" {
		t.Errorf("%+v", d)
	}
	if err := d.Config.Validate(); err != nil {
		t.Fatal(err)
	}
	if d.Limits.MaxBatch(sdk.OpFetchProducts, 0) != 1 || d.Limits.MaxBatch(sdk.OpListProducts, 0) != 99 || d.Limits.Rate <= 0 || d.Limits.Burst < 1 {
		t.Errorf("limits %+v", d.Limits)
	}
	for _, name := range []string{FieldAppSecret, FieldAccessToken} {
		if !slices.Contains(d.Config.Sensitive(), name) {
			t.Errorf("%s is not sensitive", name)
		}
	}
	if f, _ := d.Config.Field(FieldEndpoint); f.Default != "https://api-sg.aliexpress.com" {
		t.Errorf("endpoint default %v", f.Default)
	}
}

// Every product of a catalogue, fetched one by one, matches what the
// simulator says it must be: variants, options, prices in minor units,
// stock, title and its language, pictures, and NOT_FOUND for the
// off-shelf, deleted and not-shippable ones.
func TestFetchEveryProductMatchesTheCatalogue(t *testing.T) {
	f := start(t, sim.Options{Products: 300})
	notFound := 0
	for _, id := range f.sim.IDs() {
		r := fetch(t, f.plugin, &sdk.FetchProductsRequest{IDs: []string{id}}).Results[0]
		exp := f.sim.Expect(id)
		if err := exp.Check(normalized(r.Product), r.Err); err != nil {
			t.Error(err)
		}
		if exp.NotFound {
			notFound++
		}
	}
	if notFound == 0 || notFound == len(f.sim.IDs()) {
		t.Errorf("%d of %d not found", notFound, len(f.sim.IDs()))
	}
}

func TestFetchFollowsRequestedLanguageAndCurrency(t *testing.T) {
	f := start(t, sim.Options{})
	for _, tc := range []struct {
		locales          []string
		currency         string
		language, target string
	}{
		{[]string{"ru-RU"}, "RUB", "RU", "RUB"},
		{[]string{"zh-CN", "es"}, "JPY", "ES", "JPY"},
		{[]string{"xx"}, "ZZZ", "EN", "USD"}, // nothing the platform serves: the config's
		{nil, "", "EN", "USD"},
	} {
		for _, id := range f.sim.ListedIDs()[:20] {
			r := fetch(t, f.plugin, &sdk.FetchProductsRequest{IDs: []string{id}, Locales: tc.locales, Currency: tc.currency}).Results[0]
			if err := f.sim.ExpectIn(id, "US", tc.target, tc.language).Check(normalized(r.Product), r.Err); err != nil {
				t.Errorf("%v %s: %v", tc.locales, tc.currency, err)
			}
		}
	}
}

func TestFetchConfiguredShipToCountry(t *testing.T) {
	f := start(t, sim.Options{})
	p := f.configure(t, func(v map[string]any) {
		v[FieldShipToCountry] = "BR"
		v[FieldTargetCurrency] = "BRL"
		v[FieldTargetLanguage] = "ES"
	})
	brazil := 0
	for _, id := range f.sim.IDs() {
		r := fetch(t, p, &sdk.FetchProductsRequest{IDs: []string{id}}).Results[0]
		exp := f.sim.ExpectIn(id, "BR", "BRL", "ES")
		if err := exp.Check(normalized(r.Product), r.Err); err != nil {
			t.Error(err)
		}
		if exp.Reason == "ship_to" {
			brazil++
		}
	}
	if brazil == 0 {
		t.Error("no product in the catalogue is barred from Brazil; the case is untested")
	}
}

func TestFetchUnknownIDsFailAlone(t *testing.T) {
	f := start(t, sim.Options{})
	ids := []string{f.sim.ListedIDs()[0], "999", "abc", "0123", "", f.sim.ListedIDs()[1]}
	resp := fetch(t, f.plugin, &sdk.FetchProductsRequest{IDs: ids})
	for i, r := range resp.Results {
		if r.ID != ids[i] {
			t.Errorf("result %d for %q", i, r.ID)
		}
		switch i {
		case 0, 5:
			if r.Err != nil {
				t.Errorf("%s: %v", r.ID, r.Err)
			}
		default:
			if r.Err == nil || r.Err.Kind != sdk.KindNotFound {
				t.Errorf("%q: %v, want NOT_FOUND", r.ID, r.Err)
			}
		}
	}
	if n := f.sim.Stats().Calls["aliexpress.ds.product.get"]; n != 2 {
		t.Errorf("%d product calls; malformed ids must not reach the platform", n)
	}
}

func TestCallFailuresAreWholeCallErrors(t *testing.T) {
	f := start(t, sim.Options{Rate: 1, Burst: 1})
	id := f.sim.ListedIDs()[0]
	fetch(t, f.plugin, &sdk.FetchProductsRequest{IDs: []string{id}})
	_, err := f.plugin.FetchProducts(context.Background(), &sdk.FetchProductsRequest{IDs: []string{id}})
	if e, ok := sdk.AsError(err); !ok || e.Kind != sdk.KindRateLimited || e.Code != "ApiCallLimit" || e.RetryAfter != time.Second {
		t.Errorf("over the limit: %v", err)
	}
	_, err = f.plugin.ListProducts(context.Background(), &sdk.ListProductsRequest{})
	if e, ok := sdk.AsError(err); !ok || e.Kind != sdk.KindRateLimited {
		t.Errorf("listing over the limit: %v", err)
	}
	f.clock.Advance(time.Second)
	bad := f.configure(t, func(v map[string]any) { v[FieldAccessToken] = "revoked" })
	_, err = bad.FetchProducts(context.Background(), &sdk.FetchProductsRequest{IDs: []string{id}})
	if e, ok := sdk.AsError(err); !ok || e.Kind != sdk.KindAuth || e.Code != "IllegalAccessToken" {
		t.Errorf("bad token: %v", err)
	}
}

func TestListAllPagesWithResumableCursor(t *testing.T) {
	f := start(t, sim.Options{Products: 250})
	for _, scope := range []string{"", f.sim.ShopID()} {
		var ids []string
		cursor, pages := "", 0
		for {
			// A fresh plugin for every page: the cursor alone resumes.
			p := f.configure(t, nil)
			resp, err := p.ListProducts(context.Background(), &sdk.ListProductsRequest{Cursor: cursor, PageSize: 37, Scope: scope})
			if err != nil {
				t.Fatal(err)
			}
			pages++
			if len(resp.IDs) > 37 {
				t.Fatalf("page of %d", len(resp.IDs))
			}
			ids = append(ids, resp.IDs...)
			if resp.NextCursor == "" {
				break
			}
			if resp.NextCursor == cursor {
				t.Fatal("cursor did not move")
			}
			cursor = resp.NextCursor
		}
		if !slices.Equal(ids, f.sim.ListedIDs()) {
			t.Errorf("scope %q: listed %d ids in %d pages, want the %d on sale in order", scope, len(ids), pages, len(f.sim.ListedIDs()))
		}
	}
}

func TestListPageSizeAndScopes(t *testing.T) {
	f := start(t, sim.Options{Products: 250})
	ctx := context.Background()
	resp, err := f.plugin.ListProducts(ctx, &sdk.ListProductsRequest{PageSize: 1000})
	if err != nil || len(resp.IDs) != 99 {
		t.Errorf("page size above the cap: %d ids, %v", len(resp.IDs), err)
	}
	resp, err = f.plugin.ListProducts(ctx, &sdk.ListProductsRequest{Scope: "someone-else"})
	if err != nil || len(resp.IDs) != 0 || resp.NextCursor != "" {
		t.Errorf("another owner: %+v %v", resp, err)
	}
	first, _ := f.plugin.ListProducts(ctx, &sdk.ListProductsRequest{PageSize: 10})
	for name, req := range map[string]*sdk.ListProductsRequest{
		"cursor of another scope": {Cursor: first.NextCursor, Scope: "someone-else"},
		"garbage":                 {Cursor: "not-a-cursor"},
		"forged page 0":           {Cursor: cursor{page: 0, size: 10}.encode()},
		"forged size":             {Cursor: cursor{page: 2, size: 500}.encode()},
	} {
		_, err := f.plugin.ListProducts(ctx, req)
		if e, ok := sdk.AsError(err); !ok || e.Kind != sdk.KindInvalid || e.Code != CodeBadCursor {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestConfigureChecksWithoutCallingThePlatform(t *testing.T) {
	f := start(t, sim.Options{})
	for name, edit := range map[string]func(map[string]any){
		"blank secret":       func(v map[string]any) { v[FieldAppSecret] = " " },
		"ftp endpoint":       func(v map[string]any) { v[FieldEndpoint] = "ftp://example.com" },
		"relative endpoint":  func(v map[string]any) { v[FieldEndpoint] = "/sync" },
		"zero timeout":       func(v map[string]any) { v[FieldTimeout] = "0s" },
		"lower-case country": func(v map[string]any) { v[FieldShipToCountry] = "us" },
		"unserved currency":  func(v map[string]any) { v[FieldTargetCurrency] = "CNY" },
		"unknown language":   func(v map[string]any) { v[FieldTargetLanguage] = "ZH" },
		"bad proxy":          func(v map[string]any) { v[FieldProxies] = []string{"gopher://p:70"} },
	} {
		t.Run(name, func(t *testing.T) {
			p := New()
			cfg, err := sdk.NewConfig(p.Describe().Config, f.config(edit))
			if err != nil {
				t.Fatal(err)
			}
			err = p.Configure(context.Background(), cfg)
			if e, ok := sdk.AsError(err); !ok || e.Kind != sdk.KindInvalid {
				t.Errorf("got %v, want INVALID", err)
			}
		})
	}
	if _, err := New().FetchProducts(context.Background(), &sdk.FetchProductsRequest{IDs: []string{"1"}}); err == nil {
		t.Error("an unconfigured plugin fetched")
	}
	if n := f.sim.Stats().Requests; n != 0 {
		t.Errorf("configuring made %d requests", n)
	}
}

// Collecting 1,000 products costs ⌈1,000 ÷ 1⌉ calls of
// aliexpress.ds.product.get and nothing else: the description, the
// pictures, the attributes and the update time come in the same answer.
// Counted on the simulator's side.
func TestCallsPerThousandProducts(t *testing.T) {
	f := start(t, sim.Options{Products: 1000})
	f.sim.ResetStats()
	limit := f.plugin.Describe().Limits.MaxBatch(sdk.OpFetchProducts, 0)
	ids := f.sim.IDs()
	for start := 0; start < len(ids); start += limit {
		fetch(t, f.plugin, &sdk.FetchProductsRequest{IDs: ids[start:min(start+limit, len(ids))]})
	}
	st := f.sim.Stats()
	calls := st.Calls[sim.MethodProductGet]
	for _, n := range st.Errors {
		calls += n // 605 and 482 are answers of the same call
	}
	if limit != 1 || calls != 1000 || st.Requests != 1000 || len(st.Calls) != 1 {
		t.Errorf("batch %d: %d requests, calls by method %v, errors %v; want 1,000 calls of %s", limit, st.Requests, st.Calls, st.Errors, sim.MethodProductGet)
	}
}
