package main

import (
	"testing"
	"time"

	"github.com/marketsync/marketsync/plugins/alibaba1688/collector"
	"github.com/marketsync/marketsync/plugins/alibaba1688/sim"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/host"
	"github.com/marketsync/marketsync/sdk/model"
	"github.com/marketsync/marketsync/sdk/plugintest"
	"github.com/marketsync/marketsync/sdk/simkit"
)

// binary is the plugin built once for these tests, so they drive the real
// process through go-plugin's handshake and gRPC.
var binary string

func TestMain(m *testing.M) { plugintest.Main(m, collector.Name, &binary) }

// newSim starts a simulator on 127.0.0.1 (plain http). Its clock is
// stopped at the real time: the plugin process stamps requests with the
// real clock, which stays inside the simulator's window, while the quota
// never refills on its own.
func newSim(t *testing.T, o sim.Options) (*sim.Server, string) {
	t.Helper()
	o.Now = simkit.NewFakeClock(time.Now()).Now
	s := sim.New(o)
	return s, s.Serve(t)
}

// target is the conformance kit's view of the plugin against a simulator:
// known ids are offers on sale in the listed shop, unknown ids include a
// deleted and an off-shelf offer, the bad-credentials config has a token
// the gateway refuses, and quota refusals are switched on by giving the
// app no burst. Every offer, of every outcome, is checked against the
// simulator's own account of it.
func target(s *sim.Server, url string) plugintest.Target {
	shop := s.ShopOfferIDs(s.ShopID())
	var known []string
	for _, id := range shop {
		if s.Expect(id).Outcome == sim.Found && len(known) < 3 {
			known = append(known, id)
		}
	}
	unknown := append(append([]string(nil), s.IDsWith(sim.NotFound)[:2]...), "999999999999")
	expect := append(append([]string(nil), s.IDs()...), "999999999999", "not-an-offer")
	return plugintest.Target{
		Binary:     binary,
		New:        func() sdk.Plugin { return collector.New() },
		Config:     string(s.PluginConfig(url, nil)),
		KnownIDs:   known,
		UnknownIDs: unknown,
		Declared: &plugintest.Declared{
			Name: collector.Name, Capabilities: []sdk.Capability{sdk.CapabilityCollect},
			MaxBatch:  map[sdk.Operation]int{sdk.OpFetchProducts: 1, sdk.OpListProducts: 50},
			Sensitive: []string{collector.FieldAppSecret, collector.FieldAccessToken},
		},
		BadConfigs: map[string]string{
			"empty country": string(s.PluginConfig(url, map[string]any{collector.FieldCountry: " "})),
		},
		AuthConfig: string(s.PluginConfig(url, map[string]any{collector.FieldAccessToken: "f14da3b8-b0b1-4f73-a5de-000000000000"})),
		AuthCode:   "401",
		RateLimit: &plugintest.RateLimit{
			Start: plugintest.Throttle(s.SetRateLimit, 0.25),
			Code:  "gw.QosAppFrequencyLimit",
			Wait:  4 * time.Second,
		},
		Faults: &plugintest.Faults{Inject: plugintest.Injector(s.Injector())},
		Expect: &plugintest.Expect{
			IDs: expect,
			Check: func(id string, p *sdk.Product, e *sdk.Error) error {
				return s.Expect(id).Verify(p, e)
			},
		},
		ProductURLs: map[string]string{
			"https://detail.1688.com/offer/600000007919.html?spm=a26352.13672862": "600000007919",
			"https://m.1688.com/offer/600000007919.html":                          "600000007919",
			"https://detail.m.1688.com/page/index.html?offerId=600000007919":      "600000007919",
			collector.OfferURL(known[0]):                                          known[0],
			"https://m.1688.com/offer/" + known[1] + ".html?spm=a26g8":            known[1],
			"https://detail.m.1688.com/page/index.html?offerId=" + known[2]:       known[2],
		},
		ForeignURLs: []string{"https://item.taobao.com/item.htm?id=600000007919"},
		Requests:    func() int64 { return s.Stats().Requests },
		Scope:       s.ShopID(),
		Listed:      shop,
		PageSize:    7,
	}
}

func TestConformance(t *testing.T) {
	s, url := newSim(t, sim.Options{Items: 400})
	counts := map[sim.Outcome]int{}
	for _, id := range s.IDs() {
		counts[s.Expect(id).Outcome]++
	}
	if counts[sim.Found] < 30 || counts[sim.NotFound] < 3 || counts[sim.Refused] == 0 {
		t.Fatalf("outcomes %v: the catalogue should have offers of every kind", counts)
	}
	plugintest.Run(t, target(s, url))
}

// A thousand offers collected through the built plugin and the host, as
// the agent fetches them (one id a call, the declared batch): every
// product matches the simulator's account after the host's normalisation
// (pictures once, attributes without sale properties, options named as a
// buyer sees them), and the gateway, counting on its side, answered
// exactly ⌈1000 ÷ 1⌉ productInfo calls plus one
// alibaba.category.attribute.get per category whose offers name their
// SKU properties by id alone.
func TestThousandOffersCallCount(t *testing.T) {
	s, url := newSim(t, sim.Options{Items: 1000})
	p := plugintest.Launch(t, target(s, url), "")
	ids := s.IDs()
	shapes := map[string]int{}
	unnamed := 0 // umbrellas in sizes the category does not name
	for _, id := range ids {
		resp, err := host.Call[*model.FetchProductsResponse](t.Context(), p, &model.FetchProductsRequest{Ids: []string{id}})
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		r := resp.GetResults()[0]
		e := s.Expect(id)
		if err := e.Verify(host.ProductFromModel(r.GetProduct()), host.ErrorFromModel(r.GetError())); err != nil {
			t.Error(err)
		}
		if r.GetError().GetCode() == collector.CodeUnnamedOption {
			unnamed++
		}
		if e.Outcome == sim.Found {
			for _, sh := range s.Shapes(id) {
				shapes[sh]++
			}
		}
	}
	st := s.Stats()
	lookups := s.CategoryLookups(ids)
	if got := st.Served[sim.APIProductInfo]; got != int64(len(ids)) {
		t.Errorf("%d productInfo calls for %d offers", got, len(ids))
	}
	if got := st.Served[sim.APICategoryAttrs]; got != int64(lookups) || lookups == 0 || lookups > 12 {
		t.Errorf("%d category calls, want %d (one per category needing names, at most the catalogue's 12)", got, lookups)
	}
	t.Logf("%d offers: %d productInfo + %d alibaba.category.attribute.get calls; shapes of the offers on sale: %v",
		len(ids), st.Served[sim.APIProductInfo], st.Served[sim.APICategoryAttrs], shapes)
	for _, sh := range []string{"names by id", "no status", "numbers as strings", "escaped", "repeated images", "sale property attribute", "SKU tiers", "one SKU", "no SKUs", "no images"} {
		if shapes[sh] == 0 {
			t.Errorf("no offer on sale had shape %q", sh)
		}
	}
	if unnamed == 0 {
		t.Error("no offer failed for a SKU property nobody names")
	}
}
