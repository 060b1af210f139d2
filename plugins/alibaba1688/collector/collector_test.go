package collector_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/marketsync/marketsync/plugins/alibaba1688/collector"
	"github.com/marketsync/marketsync/plugins/alibaba1688/sim"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/faultinject"
	"github.com/marketsync/marketsync/sdk/host"
	"github.com/marketsync/marketsync/sdk/model"
	"github.com/marketsync/marketsync/sdk/simkit"
)

type fixture struct {
	sim      *sim.Server
	endpoint string
	clock    *simkit.FakeClock
}

// newFixture starts the simulator with a stopped clock set to the real
// time, so the plugin's timestamps (from the real clock) fall in its
// window while its quota moves only when the test says so.
func newFixture(t *testing.T, o sim.Options) *fixture {
	t.Helper()
	c := simkit.NewFakeClock(time.Now())
	o.Now = c.Now
	s := sim.New(o)
	return &fixture{sim: s, endpoint: s.Serve(t), clock: c}
}

func (f *fixture) plugin(t *testing.T, over map[string]any) *host.Plugin {
	t.Helper()
	p, err := host.InProcess(context.Background(), collector.New())
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Configure(context.Background(), f.sim.PluginConfig(f.endpoint, over)); err != nil {
		t.Fatal(err)
	}
	return p
}

func fetch(t *testing.T, p *host.Plugin, ids ...string) (*model.FetchProductsResponse, error) {
	t.Helper()
	return host.Call[*model.FetchProductsResponse](context.Background(), p, &model.FetchProductsRequest{Ids: ids})
}

func (f *fixture) first(t *testing.T, want sim.Outcome) string {
	t.Helper()
	ids := f.sim.IDsWith(want)
	if len(ids) == 0 {
		t.Fatalf("no offer is %s", want)
	}
	return ids[0]
}

func TestDescribe(t *testing.T) {
	d := collector.New().Describe()
	if d.Name != "alibaba1688" || d.Limits.MaxBatch(sdk.OpFetchProducts, 0) != 1 || d.Limits.MaxBatch(sdk.OpListProducts, 0) != 50 {
		t.Errorf("description %+v", d)
	}
	if err := d.Config.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{collector.FieldAppSecret, collector.FieldAccessToken} {
		if f, _ := d.Config.Field(name); !f.Sensitive || !f.Required {
			t.Errorf("%s must be required and sensitive: %+v", name, f)
		}
	}
	if f, _ := d.Config.Field(collector.FieldEndpoint); f.Default != "https://gw.open.1688.com/openapi" {
		t.Errorf("endpoint default %v", f.Default)
	}
}

// Every offer of a small catalogue, fetched through the host's protocol
// conversion and product validation, matches what the simulator expects.
func TestFetchEveryOfferMatchesExpectations(t *testing.T) {
	f := newFixture(t, sim.Options{Items: 300})
	p := f.plugin(t, nil)
	seen := map[sim.Outcome]int{}
	for _, id := range f.sim.IDs() {
		resp, err := fetch(t, p, id)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		r := resp.GetResults()[0]
		e := f.sim.Expect(id)
		seen[e.Outcome]++
		if err := e.Verify(host.ProductFromModel(r.GetProduct()), host.ErrorFromModel(r.GetError())); err != nil {
			t.Error(err)
		}
	}
	if seen[sim.Found] == 0 || seen[sim.NotFound] == 0 || seen[sim.Refused] == 0 {
		t.Errorf("outcomes %v", seen)
	}
}

func TestFetchIDsThatAreNoOffer(t *testing.T) {
	f := newFixture(t, sim.Options{Items: 50})
	p := f.plugin(t, nil)
	for _, id := range []string{"999999999999", "not-an-id", "0123", ""} {
		resp, err := fetch(t, p, id)
		if err != nil {
			t.Fatalf("%q: %v", id, err)
		}
		if e := resp.GetResults()[0].GetError(); e.GetKind() != model.ErrorKind_ERROR_KIND_NOT_FOUND {
			t.Errorf("%q: %v, want NOT_FOUND", id, resp.GetResults()[0])
		}
	}
	if got := f.sim.Stats().Served[sim.APIProductInfo]; got != 1 {
		t.Errorf("%d calls reached the gateway; only the numeric id should", got)
	}
}

func TestListEveryPageAndResume(t *testing.T) {
	f := newFixture(t, sim.Options{Items: 400})
	want := f.sim.ShopOfferIDs(f.sim.ShopID())
	p := f.plugin(t, nil)
	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages == 2 {
			// A fresh plugin resumes from the cursor alone.
			p = f.plugin(t, nil)
		}
		resp, err := host.Call[*model.ListProductsResponse](context.Background(), p, &model.ListProductsRequest{Scope: f.sim.ShopID(), Cursor: cursor, PageSize: 30})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, resp.GetIds()...)
		if cursor = resp.GetNextCursor(); cursor == "" {
			break
		}
		if pages > 100 {
			t.Fatal("listing does not end")
		}
	}
	if len(got) != len(want) {
		t.Fatalf("listed %d ids, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("id %d is %s, want %s", i, got[i], want[i])
		}
	}
}

func TestListScopeAndCursorRules(t *testing.T) {
	f := newFixture(t, sim.Options{Items: 200})
	ctx := context.Background()
	p := f.plugin(t, nil)
	if _, err := host.Call[*model.ListProductsResponse](ctx, p, &model.ListProductsRequest{}); !errors.Is(err, &model.Error{Kind: model.KindInvalid, Code: "no_scope"}) {
		t.Errorf("no scope: %v", err)
	}
	withDefault := f.plugin(t, map[string]any{collector.FieldShop: f.sim.ShopID()})
	resp, err := host.Call[*model.ListProductsResponse](ctx, withDefault, &model.ListProductsRequest{PageSize: 500})
	if err != nil || len(resp.GetIds()) != 50 {
		t.Fatalf("default shop, page size capped at 50: %d ids, %v", len(resp.GetIds()), err)
	}
	other := f.sim.ShopIDs()[1]
	if _, err := host.Call[*model.ListProductsResponse](ctx, p, &model.ListProductsRequest{Scope: other, Cursor: resp.GetNextCursor()}); !errors.Is(err, &model.Error{Kind: model.KindInvalid, Code: collector.CodeBadCursor}) {
		t.Errorf("cursor of another shop: %v", err)
	}
	if _, err := host.Call[*model.ListProductsResponse](ctx, p, &model.ListProductsRequest{Scope: other, Cursor: "forged"}); !errors.Is(err, &model.Error{Kind: model.KindInvalid, Code: collector.CodeBadCursor}) {
		t.Errorf("forged cursor: %v", err)
	}
	empty, err := host.Call[*model.ListProductsResponse](ctx, p, &model.ListProductsRequest{Scope: "BBBnobody"})
	if err != nil || len(empty.GetIds()) != 0 || empty.GetNextCursor() != "" {
		t.Errorf("unknown shop: %v, %v", empty, err)
	}
}

func TestCredentialsAndSigningErrors(t *testing.T) {
	f := newFixture(t, sim.Options{Items: 20})
	id := f.first(t, sim.Found)
	for name, tc := range map[string]struct {
		over map[string]any
		kind sdk.ErrorKind
		code string
	}{
		"wrong token":   {map[string]any{collector.FieldAccessToken: "expired-token"}, sdk.KindAuth, "401"},
		"wrong secret":  {map[string]any{collector.FieldAppSecret: "wrong"}, sdk.KindAuth, "gw.SignatureInvalid"},
		"wrong app key": {map[string]any{collector.FieldAppKey: "1234567"}, sdk.KindAuth, "gw.AppKeyNotFound"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := fetch(t, f.plugin(t, tc.over), id)
			if !errors.Is(err, &model.Error{Kind: model.ErrorKind(tc.kind), Code: tc.code}) {
				t.Errorf("got %v, want %s %s", err, tc.kind, tc.code)
			}
		})
	}
}

func TestRateLimitedWithRetryAfter(t *testing.T) {
	for name, tc := range map[string]struct {
		noHeader bool
		want     time.Duration
	}{
		"Retry-After header": {false, 2 * time.Second},
		"body only":          {true, 0},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, sim.Options{Items: 20, NoRetryAfter: tc.noHeader})
			f.sim.SetRateLimit(0.5, 1)
			p := f.plugin(t, nil)
			id := f.first(t, sim.Found)
			if _, err := fetch(t, p, id); err != nil {
				t.Fatal(err)
			}
			_, err := fetch(t, p, id)
			e, ok := host.AsError(err)
			if !ok || e.Kind != sdk.KindRateLimited || e.Code != "gw.QosAppFrequencyLimit" || e.RetryAfter != tc.want {
				t.Fatalf("got %v, want RATE_LIMITED gw.QosAppFrequencyLimit after %s", err, tc.want)
			}
			f.clock.Advance(2 * time.Second)
			if _, err := fetch(t, p, id); err != nil {
				t.Errorf("after the wait: %v", err)
			}
		})
	}
}

// Faults injected in front of the gateway reach the host as the typed
// errors the platform actor acts on.
func TestInjectedFaults(t *testing.T) {
	for name, tc := range map[string]struct {
		fault faultinject.Fault
		kind  sdk.ErrorKind
		code  string
		after time.Duration
	}{
		"502":              {faultinject.Status(http.StatusBadGateway, []byte("<html>bad gateway</html>")), sdk.KindUnavailable, "http_502", 0},
		"503 with wait":    {faultinject.Status(http.StatusServiceUnavailable, nil).WithHeader("Retry-After", "4"), sdk.KindUnavailable, "http_503", 4 * time.Second},
		"429":              {faultinject.TooManyRequests(5 * time.Second), sdk.KindRateLimited, "http_429", 5 * time.Second},
		"connection reset": {faultinject.Reset(), sdk.KindUnavailable, "http_connection", 0},
		"truncated body":   {faultinject.Truncated(), sdk.KindUnavailable, collector.CodeBadResponse, 0},
		"garbage body":     {faultinject.Garbage(64), sdk.KindUnavailable, collector.CodeBadResponse, 0},
		"quota error in a 200": {faultinject.ErrorBody(func(*http.Request) []byte {
			return []byte(`{"error_code":"gw.QosAppFrequencyLimit","error_message":"App call exceeds limited frequency, ban will last 3 more seconds"}`)
		}), sdk.KindRateLimited, "gw.QosAppFrequencyLimit", 3 * time.Second},
		"ACL refusal": {faultinject.ErrorBody(func(*http.Request) []byte {
			return []byte(`{"error_code":"gw.APIACLDecline","error_message":"AppKey is not allowed(acl)"}`)
		}), sdk.KindAuth, "gw.APIACLDecline", 0},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, sim.Options{Items: 20, Seed: 3})
			if err := f.sim.Injector().Add(faultinject.Rule{Name: "fault", Fault: tc.fault, When: faultinject.Next(1)}); err != nil {
				t.Fatal(err)
			}
			p := f.plugin(t, nil)
			id := f.first(t, sim.Found)
			_, err := fetch(t, p, id)
			e, ok := host.AsError(err)
			if !ok || e.Kind != tc.kind || e.Code != tc.code || e.RetryAfter != tc.after {
				t.Fatalf("got %v, want %s %s after %s", err, tc.kind, tc.code, tc.after)
			}
			if _, err := fetch(t, p, id); err != nil {
				t.Errorf("the next call, without fault: %v", err)
			}
			if s := f.sim.Injector().Stats(); s.ByRule["fault"] != 1 {
				t.Errorf("injector stats %+v", s)
			}
		})
	}
}

func TestSlowGatewayTimesOut(t *testing.T) {
	// The held answer is released when the test ends: net/http does not
	// cancel a handler that has not read the request body when its client
	// goes away, so without this the server's Close would wait for ever.
	release := make(chan time.Time)
	f := newFixture(t, sim.Options{Items: 20, After: func(time.Duration) <-chan time.Time { return release }})
	t.Cleanup(func() { close(release) })
	if err := f.sim.Injector().Add(faultinject.Rule{Fault: faultinject.Slow(time.Hour), When: faultinject.Next(1)}); err != nil {
		t.Fatal(err)
	}
	p := f.plugin(t, map[string]any{collector.FieldTimeout: "50ms"})
	_, err := fetch(t, p, f.first(t, sim.Found))
	if !errors.Is(err, &model.Error{Kind: model.KindUnavailable, Code: "http_timeout"}) {
		t.Errorf("got %v, want UNAVAILABLE http_timeout", err)
	}
}

func TestConfigureRefusesAndNeverCalls(t *testing.T) {
	f := newFixture(t, sim.Options{Items: 10})
	ctx := context.Background()
	p, err := host.InProcess(ctx, collector.New())
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Configure(ctx, f.sim.PluginConfig(f.endpoint, nil)); err != nil {
		t.Fatal(err)
	}
	for name, over := range map[string]map[string]any{
		"missing secret": {collector.FieldAppSecret: nil},
		"bad endpoint":   {collector.FieldEndpoint: "gw.open.1688.com"},
		"bad proxy":      {collector.FieldProxies: []string{"ftp://proxy:21"}},
		"empty country":  {collector.FieldCountry: " "},
		"unknown field":  {"color": "red"},
	} {
		t.Run(name, func(t *testing.T) {
			if err := p.Configure(ctx, f.sim.PluginConfig(f.endpoint, over)); !errors.Is(err, &model.Error{Kind: model.KindInvalid}) {
				t.Errorf("got %v, want INVALID", err)
			}
		})
	}
	if n := f.sim.Injector().Stats().Requests; n != 0 {
		t.Errorf("Configure called the platform %d times", n)
	}
}

func TestBatchCapIsEnforced(t *testing.T) {
	f := newFixture(t, sim.Options{Items: 20})
	p := f.plugin(t, nil)
	id := f.first(t, sim.Found)
	if _, err := fetch(t, p, id, id); !errors.Is(err, &model.Error{Kind: model.KindInvalid, Code: "batch_too_large"}) {
		t.Errorf("two ids: %v", err)
	}
}

// The shop search reports its own refusals inside a 200 (result.success
// false with a code), and a garbled page is worth retrying.
func TestListRefusalsAndGarbledPages(t *testing.T) {
	for name, tc := range map[string]struct {
		fault faultinject.Fault
		kind  sdk.ErrorKind
		code  string
	}{
		"refused page": {faultinject.ErrorBody(func(*http.Request) []byte {
			return []byte(`{"result":{"success":false,"code":"400","message":"sellerOpenId is invalid"}}`)
		}), sdk.KindInvalid, "400"},
		"busy": {faultinject.ErrorBody(func(*http.Request) []byte {
			return []byte(`{"result":{"success":"false","code":"500","message":"system busy"}}`)
		}), sdk.KindUnavailable, "500"},
		"garbage":   {faultinject.Garbage(32), sdk.KindUnavailable, collector.CodeBadResponse},
		"truncated": {faultinject.Truncated(), sdk.KindUnavailable, collector.CodeBadResponse},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, sim.Options{Items: 100})
			if err := f.sim.Injector().Add(faultinject.Rule{Fault: tc.fault, When: faultinject.Next(1)}); err != nil {
				t.Fatal(err)
			}
			p := f.plugin(t, nil)
			req := &model.ListProductsRequest{Scope: f.sim.ShopID(), PageSize: 10}
			if _, err := host.Call[*model.ListProductsResponse](context.Background(), p, req); !errors.Is(err, &model.Error{Kind: model.ErrorKind(tc.kind), Code: tc.code}) {
				t.Errorf("got %v, want %s %s", err, tc.kind, tc.code)
			}
			if resp, err := host.Call[*model.ListProductsResponse](context.Background(), p, req); err != nil || len(resp.GetIds()) != 10 {
				t.Errorf("the next page, without fault: %v, %v", resp, err)
			}
		})
	}
}

// The category API's documented "data being prepared" (500_2) fails the
// call, to be retried, and nothing is cached; the retry names the
// options. The offer's own call is made again each time.
func TestCategoryDataBeingPrepared(t *testing.T) {
	f := newFixture(t, sim.Options{Items: 300, Preparing: 1})
	p := f.plugin(t, nil)
	var id string
	for _, cand := range f.sim.IDsWith(sim.Found) {
		if slices.Contains(f.sim.Shapes(cand), "names by id") {
			id = cand
			break
		}
	}
	if id == "" {
		t.Fatal("no offer names its SKU properties by id")
	}
	_, err := fetch(t, p, id)
	var me *model.Error
	if !errors.As(err, &me) || me.GetKind() != model.ErrorKind_ERROR_KIND_UNAVAILABLE || me.GetCode() != "500_2" {
		t.Fatalf("first fetch: %v, want UNAVAILABLE 500_2", err)
	}
	resp, err := fetch(t, p, id)
	if err != nil {
		t.Fatal(err)
	}
	r := resp.GetResults()[0]
	if err := f.sim.Expect(id).Verify(host.ProductFromModel(r.GetProduct()), host.ErrorFromModel(r.GetError())); err != nil {
		t.Error(err)
	}
	if st := f.sim.Stats(); st.ByAPI[sim.APICategoryAttrs] != 2 || st.Served[sim.APIProductInfo] != 2 {
		t.Errorf("gateway saw %+v: want two productInfo and two category calls", st)
	}
}
