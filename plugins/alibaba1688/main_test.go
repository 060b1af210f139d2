package main

import (
	"testing"
	"time"

	"github.com/marketsync/marketsync/plugins/alibaba1688/collector"
	"github.com/marketsync/marketsync/plugins/alibaba1688/sim"
	"github.com/marketsync/marketsync/sdk"
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
