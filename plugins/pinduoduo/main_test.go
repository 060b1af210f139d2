package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/marketsync/marketsync/plugins/pinduoduo/collector"
	"github.com/marketsync/marketsync/plugins/pinduoduo/sim"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/host"
	"github.com/marketsync/marketsync/sdk/model"
	"github.com/marketsync/marketsync/sdk/plugintest"
)

// binary is the plugin built once for the package's tests, so they drive
// the real process through the handshake and gRPC.
var binary string

func TestMain(m *testing.M) { plugintest.Main(m, "pinduoduo", &binary) }

// gateway starts a simulator on a local port.
func gateway(t *testing.T, o sim.Options) (*sim.Server, string) {
	t.Helper()
	s := sim.New(o)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return s, srv.URL + sim.Path
}

// config is the plugin's config block for s, with edits.
func config(s *sim.Server, endpoint string, edits map[string]any) string {
	values := s.PluginConfig(endpoint)
	values["timeout"] = "10s"
	for k, v := range edits {
		values[k] = v
	}
	b, _ := json.Marshal(values)
	return string(b)
}

// target is the conformance kit's view of the plugin against a small
// simulated mall: known ids of every sellable shape (all on the shelf, so
// listed under the mall's scope), unknown, off-shelf and deleted ids, a
// revoked token, and the simulator's own rate limit as the quota refusal.
// Goods of every kind, an unknown id and malformed ones are checked
// against the simulator's own account of them.
func target(s *sim.Server, endpoint string) plugintest.Target {
	expect := []string{s.UnknownID(), "12x", "0"}
	for k := sim.KindMultiSKU; k <= sim.KindSKUOffSale; k++ {
		expect = append(expect, s.Sample(k))
	}
	return plugintest.Target{
		Binary: binary,
		New:    func() sdk.Plugin { return collector.New() },
		Config: config(s, endpoint, nil),
		KnownIDs: []string{
			s.Sample(sim.KindMultiSKU), s.Sample(sim.KindSpecLess), s.Sample(sim.KindNoImages),
			s.Sample(sim.KindProtocolRelative), s.Sample(sim.KindSoldOut), s.Sample(sim.KindSKUOffSale),
		},
		UnknownIDs: []string{s.UnknownID(), s.Sample(sim.KindOffShelf), s.Sample(sim.KindDeleted)},
		Declared: &plugintest.Declared{
			Name: "pinduoduo", Capabilities: []sdk.Capability{sdk.CapabilityCollect}, Rate: 50,
			MaxBatch:  map[sdk.Operation]int{sdk.OpFetchProducts: 1, sdk.OpListProducts: 100},
			Sensitive: []string{"client_secret", "access_token"},
		},
		BadConfigs: map[string]string{
			"missing secret": `{"client_id":"c","access_token":"t"}`,
			"bad endpoint":   config(s, endpoint, map[string]any{"endpoint": "gw-api.pinduoduo.com"}),
			"bad price type": config(s, endpoint, map[string]any{"price_type": "vip"}),
		},
		AuthConfig: config(s, endpoint, map[string]any{"access_token": "revoked-token"}),
		AuthCode:   "20032",
		RateLimit: &plugintest.RateLimit{
			// One call per 20s, spent: calls are refused and told to wait
			// about 20s. The gateway's clock is real, so the wait is read
			// back from the Retry-After header rounded to whole seconds.
			Start: func(testing.TB) func() {
				s.SetRateLimit(0.05, 1)
				s.ExhaustRateLimit()
				return func() { s.SetRateLimit(0, 0) }
			},
			Code:  "70031",
			Wait:  20 * time.Second,
			Slack: time.Second,
		},
		Faults: &plugintest.Faults{Inject: plugintest.Injector(s.Faults)},
		Expect: &plugintest.Expect{
			IDs: append(expect, s.IDs()...),
			Check: func(id string, p *sdk.Product, e *sdk.Error) error {
				if diff := s.Expect(id).Diff(p, e); len(diff) > 0 {
					return errors.New(strings.Join(diff, "; "))
				}
				return nil
			},
		},
		ProductURLs: map[string]string{
			"https://mobile.yangkeduo.com/goods.html?goods_id=126050052488&_wvx=10": "126050052488",
			"https://mobile.yangkeduo.com/goods2.html?goods_id=126050060407":        "126050060407",
			"https://yangkeduo.com/goods.html?goods_id=3":                           "3",
			"https://pinduoduo.com/goods.html?goods_id=4":                           "4",
			"https://www.pinduoduo.com/goods.html?goods_id=" + s.IDs()[3]:           s.IDs()[3],
		},
		ForeignURLs: []string{"https://p.pinduoduo.com/HT6lDsK3", "https://detail.tmall.com/item.htm?id=5"},
		Requests:    func() int64 { return s.Stats().Requests },
		Scope:       s.ShopID,
		Listed:      s.ListedIDs(),
	}
}

func TestConformance(t *testing.T) {
	s, endpoint := gateway(t, sim.Options{Seed: 5, Goods: 60})
	plugintest.Run(t, target(s, endpoint))
}

// A scope names the mall whose goods are listed; the token reads only its
// own mall, so another mall's id is refused rather than listed empty.
func TestAnotherMallIsInvalid(t *testing.T) {
	s, endpoint := gateway(t, sim.Options{Seed: 12, Goods: 10})
	p := plugintest.Launch(t, target(s, endpoint), "")
	_, err := host.Call[*model.ListProductsResponse](context.Background(), p, &model.ListProductsRequest{Scope: "777"})
	if !errors.Is(err, &model.Error{Kind: model.KindInvalid}) {
		t.Errorf("another mall's scope: %v", err)
	}
}

// A thousand goods collected through the built plugin and the host, as
// the agent fetches them (one id a call): every one matches the
// simulator's account after the host's normalisation (pictures once,
// goods properties named, sale properties left to the variants), the
// carousel with seven of ten the same picture comes out as four pictures,
// and the gateway, counting on its side, answered one
// pdd.goods.detail.get a goods (⌈1000 ÷ 1⌉) plus one
// pdd.goods.cat.template.get a category.
func TestThousandGoodsCallCount(t *testing.T) {
	s, endpoint := gateway(t, sim.Options{Seed: 1, Goods: 1000})
	p := plugintest.Launch(t, target(s, endpoint), "")
	ids := s.IDs()
	shapes := map[string]int{}
	sevenOfTen := 0
	for _, id := range ids {
		resp, err := host.Call[*model.FetchProductsResponse](t.Context(), p, &model.FetchProductsRequest{Ids: []string{id}})
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		r := resp.GetResults()[0]
		e := s.Expect(id)
		if diff := e.Diff(host.ProductFromModel(r.GetProduct()), host.ErrorFromModel(r.GetError())); len(diff) > 0 {
			t.Errorf("%s: %s", id, strings.Join(diff, "; "))
		}
		if e.NotFound {
			continue
		}
		for _, sh := range s.Shapes(id) {
			shapes[sh]++
			if sh == "repeated images" && len(r.GetProduct().GetImages()) == 4 {
				sevenOfTen++
			}
		}
	}
	st := s.Stats()
	lookups := s.CategoryLookups(ids)
	if got := st.ByType[sim.TypeGoodsDetail]; got != int64(len(ids)) {
		t.Errorf("%d detail calls for %d goods", got, len(ids))
	}
	if got := st.ByType[sim.TypeCatTemplate]; got != int64(lookups) || lookups == 0 || lookups > 10 {
		t.Errorf("%d template calls, want %d (one per category, at most the catalogue's 10)", got, lookups)
	}
	t.Logf("%d goods: %d pdd.goods.detail.get + %d pdd.goods.cat.template.get calls; shapes of the goods on sale: %v",
		len(ids), st.ByType[sim.TypeGoodsDetail], st.ByType[sim.TypeCatTemplate], shapes)
	for _, sh := range []string{"no status", "numbers as strings", "escaped", "repeated images", "sale property listed", "one SKU", "no images"} {
		if shapes[sh] == 0 {
			t.Errorf("no goods on sale had shape %q", sh)
		}
	}
	if sevenOfTen == 0 {
		t.Error("no carousel of ten with seven repeats came out as its four pictures")
	}
}
