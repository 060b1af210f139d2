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
func config(s *sim.Running, edit func(map[string]any)) string {
	c := s.Credentials()
	values := map[string]any{
		collector.FieldAppKey: c.AppKey, collector.FieldAppSecret: c.AppSecret,
		collector.FieldAccessToken: c.AccessToken, collector.FieldEndpoint: s.URL,
	}
	if edit != nil {
		edit(values)
	}
	b, _ := json.Marshal(values)
	return string(b)
}

// set returns an edit of the config that sets field to v.
func set(field string, v any) func(map[string]any) {
	return func(values map[string]any) { values[field] = v }
}

// target is the conformance kit's view of the plugin with the simulator as
// the platform: every product of the catalogue, and ids it never had, are
// checked against the simulator's account of them in the default
// destination (US, USD, English).
func target(s *sim.Running) plugintest.Target {
	listed := s.ListedIDs()
	var gone []string // off-shelf and deleted ids, which the platform still names
	for _, id := range s.IDs() {
		if !slices.Contains(listed, id) {
			gone = append(gone, id)
		}
	}
	var known []string
	for _, id := range listed {
		if s.Expect(id).Collected() && len(known) < 3 {
			known = append(known, id)
		}
	}
	return plugintest.Target{
		Binary:     binary,
		New:        func() sdk.Plugin { return collector.New() },
		Config:     config(s, nil),
		KnownIDs:   known,
		UnknownIDs: append([]string{"999", "not-an-id"}, gone[:2]...),
		Declared: &plugintest.Declared{
			Name: "aliexpress", Capabilities: []sdk.Capability{sdk.CapabilityCollect},
			MaxBatch:  map[sdk.Operation]int{sdk.OpFetchProducts: 1, sdk.OpListProducts: 99},
			Sensitive: []string{collector.FieldAppSecret, collector.FieldAccessToken},
			Fields: []sdk.ConfigField{
				{Name: collector.FieldShipToCountry, Default: "US"},
				{Name: collector.FieldTargetCurrency, Default: "USD"},
				{Name: collector.FieldTargetLanguage, Default: "EN"},
				{Name: collector.FieldEndpoint, Default: "https://api-sg.aliexpress.com"},
				{Name: collector.FieldTimeout, Default: "30s"},
			},
		},
		BadConfigs: map[string]string{
			"no credentials":   `{}`,
			"bad currency":     config(s, set(collector.FieldTargetCurrency, "usd")),
			"bad timeout":      config(s, set(collector.FieldTimeout, "soon")),
			"endpoint not URL": config(s, set(collector.FieldEndpoint, "api-sg.aliexpress.com")),
		},
		AuthConfig: config(s, set(collector.FieldAccessToken, "expired")),
		AuthCode:   "IllegalAccessToken",
		RateLimit: &plugintest.RateLimit{
			// The gateway's own refusal, ApiCallLimit with "this ban will
			// last 2 seconds", for as long as the check wants it.
			Start: func(testing.TB) func() {
				s.Injector().Add(faultinject.Rule{Name: "conformance-ban", Fault: sim.BanFault(2 * time.Second)})
				return func() { s.Injector().Remove("conformance-ban") }
			},
			Code: "ApiCallLimit",
			Wait: 2 * time.Second,
		},
		Faults: &plugintest.Faults{Inject: plugintest.Injector(s.Injector())},
		Expect: &plugintest.Expect{
			IDs: append(s.IDs(), "999", "1005000000000001", "abc"),
			Check: func(id string, p *sdk.Product, e *sdk.Error) error {
				return s.Expect(id).Check(p, e)
			},
		},
		ProductURLs: map[string]string{
			"https://www.aliexpress.com/item/1005006057059635.html?spm=a2g0o":    "1005006057059635",
			"https://www.aliexpress.us/item/3256805870744883.html":               "3256805870744883",
			"https://aliexpress.ru/item/1005006057059635.html":                   "1005006057059635",
			"https://m.aliexpress.com/item/" + known[1] + ".html?spm=x":          known[1],
			"https://aliexpress.ru/item/" + known[0] + ".html#nav-specification": known[0],
		},
		ForeignURLs: []string{"https://a.aliexpress.com/_mKxyzAb", "https://item.taobao.com/item.htm?id=1"},
		Requests:    func() int64 { return s.Stats().Requests },
		Scope:       s.ShopID(),
		Listed:      listed,
	}
}

func TestConformance(t *testing.T) {
	s := sim.ServeTest(t, sim.Options{Products: 200, Seed: 42})
	reasons := map[string]int{}
	for _, id := range append(s.IDs(), "999") {
		reasons[s.Expect(id).Reason]++
	}
	for _, r := range []string{"", "unknown", "deleted", "offline", "ship_to"} {
		if reasons[r] == 0 {
			t.Fatalf("no product of kind %q in the catalogue; %v", r, reasons)
		}
	}
	plugintest.Run(t, target(s))
}

// Products are read in the configured destination's language and
// currency, with its shipping.
func TestFetchInAnotherLanguageAndCurrency(t *testing.T) {
	s := sim.ServeTest(t, sim.Options{Products: 60})
	tg := target(s)
	tg.Config = config(s, func(v map[string]any) {
		v[collector.FieldTargetLanguage] = "RU"
		v[collector.FieldTargetCurrency] = "KRW"
		v[collector.FieldShipToCountry] = "BR"
	})
	tg.Expect.Check = func(id string, p *sdk.Product, e *sdk.Error) error {
		return s.ExpectIn(id, "BR", "KRW", "RU").Check(p, e)
	}
	plugintest.Run(t, tg, plugintest.CheckExpected())
}

// The default scope is the authorising seller's store; another owner's
// lists nothing. A listing asked for no page size uses the platform's.
func TestListingScopes(t *testing.T) {
	s := sim.ServeTest(t, sim.Options{Products: 500})
	for _, tc := range []struct {
		scope string
		size  int
		want  []string
	}{
		{"", -1, s.ListedIDs()},
		{s.ShopID(), 45, s.ListedIDs()},
		{"another-owner", 10, []string{}},
	} {
		tg := target(s)
		tg.Scope, tg.PageSize, tg.Listed = tc.scope, tc.size, tc.want
		t.Run("scope="+tc.scope, func(t *testing.T) { plugintest.Run(t, tg, plugintest.CheckListing()) })
	}
}

// One request per id, but none for an id that names no product.
func TestOneRequestPerID(t *testing.T) {
	s := sim.ServeTest(t, sim.Options{Products: 20})
	p := plugintest.Launch(t, target(s), "")
	for id, want := range map[string]int64{"abc": 0, s.ListedIDs()[0]: 1, "999": 1} {
		before := s.Stats().Requests
		if _, err := host.Call[*model.FetchProductsResponse](context.Background(), p, &model.FetchProductsRequest{Ids: []string{id}}); err != nil {
			t.Fatal(err)
		}
		if n := s.Stats().Requests - before; n != want {
			t.Errorf("%s: %d requests, want %d", id, n, want)
		}
	}
}
