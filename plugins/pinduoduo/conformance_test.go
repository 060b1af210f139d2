package main

import (
	"encoding/json"
	"testing"

	"github.com/marketsync/marketsync/plugins/pinduoduo/collector"
	"github.com/marketsync/marketsync/plugins/pinduoduo/sim"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/plugintest"
)

// target is the conformance kit's view of the plugin against a small
// simulated mall: known ids of every sellable shape (all on the shelf, so
// listed under the mall's scope), unknown, off-shelf and deleted ids, a
// revoked token, and the simulator's own rate limit as the quota refusal.
func target(t *testing.T) plugintest.Target {
	s, endpoint := gateway(t, sim.Options{Seed: 5, Goods: 60})
	block := func(edits map[string]any) string {
		values := s.PluginConfig(endpoint)
		for k, v := range edits {
			values[k] = v
		}
		b, err := json.Marshal(values)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	return plugintest.Target{
		Config: block(nil),
		KnownIDs: []string{
			s.Sample(sim.KindMultiSKU), s.Sample(sim.KindSpecLess), s.Sample(sim.KindNoImages),
			s.Sample(sim.KindProtocolRelative), s.Sample(sim.KindSoldOut), s.Sample(sim.KindSKUOffSale),
		},
		UnknownIDs: []string{s.UnknownID(), s.Sample(sim.KindOffShelf), s.Sample(sim.KindDeleted)},
		AuthConfig: block(map[string]any{"access_token": "revoked-token"}),
		RateLimit: &plugintest.RateLimit{
			Start: func(testing.TB) func() {
				s.ExhaustRateLimit()
				return func() { s.SetRateLimit(0, 0) }
			},
			RetryAfter: true,
		},
		ProductURLs: map[string]string{
			"https://mobile.yangkeduo.com/goods.html?goods_id=" + s.IDs()[0]:  s.IDs()[0],
			"https://mobile.yangkeduo.com/goods2.html?goods_id=" + s.IDs()[1]: s.IDs()[1],
			"https://yangkeduo.com/goods.html?goods_id=" + s.IDs()[2]:         s.IDs()[2],
			"https://www.pinduoduo.com/goods.html?goods_id=" + s.IDs()[3]:     s.IDs()[3],
		},
		Scope: s.ShopID,
	}
}

func TestConformanceBinary(t *testing.T) {
	tg := target(t)
	tg.Binary = binary
	plugintest.Collector(t, tg)
}

func TestConformanceInProcess(t *testing.T) {
	tg := target(t)
	tg.New = func() sdk.Plugin { return collector.New() }
	plugintest.Collector(t, tg)
}
