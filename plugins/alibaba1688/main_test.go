package main

import (
	"context"
	"errors"
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

type world struct {
	sim   *sim.Server
	clock *simkit.FakeClock
	url   string
}

// newWorld starts a simulator on 127.0.0.1 (plain http). Its clock is
// stopped at the real time: the plugin process stamps requests with the
// real clock, which stays inside the simulator's window, while the quota
// moves only when the test advances the clock.
func newWorld(t *testing.T, o sim.Options) *world {
	t.Helper()
	c := simkit.NewFakeClock(time.Now())
	o.Now = c.Now
	s := sim.New(o)
	return &world{sim: s, clock: c, url: s.Serve(t)}
}

func (w *world) launch(t *testing.T, over map[string]any) *host.Plugin {
	t.Helper()
	ctx := context.Background()
	p, err := host.Launch(ctx, host.Options{Path: binary})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Kill)
	if err := p.Configure(ctx, w.sim.PluginConfig(w.url, over)); err != nil {
		t.Fatal(err)
	}
	return p
}

func fetchOne(t *testing.T, p *host.Plugin, id string) (*model.ProductResult, error) {
	t.Helper()
	resp, err := host.Call[*model.FetchProductsResponse](context.Background(), p, &model.FetchProductsRequest{Ids: []string{id}})
	if err != nil {
		return nil, err
	}
	return resp.GetResults()[0], nil
}

func TestDescribeOverTheWire(t *testing.T) {
	p := newWorld(t, sim.Options{Items: 10}).launch(t, nil)
	d := p.Description()
	if d.Name != "alibaba1688" || !d.Has(sdk.CapabilityCollect) || d.Has(sdk.CapabilityPublish) {
		t.Fatalf("description %+v", d)
	}
	if d.Limits.MaxBatch(sdk.OpFetchProducts, 0) != 1 || d.Limits.MaxBatch(sdk.OpListProducts, 0) != 50 || d.Limits.Rate <= 0 {
		t.Errorf("limits %+v", d.Limits)
	}
	sensitive := d.Config.Sensitive()
	if len(sensitive) != 2 {
		t.Errorf("sensitive fields %v", sensitive)
	}
}

// Offers of every kind, each fetched through the real process, match
// what the simulator expects of them: products field by field, and
// NOT_FOUND for deleted, off-shelf and unknown ones.
func TestFetchEndToEnd(t *testing.T) {
	w := newWorld(t, sim.Options{Items: 400})
	p := w.launch(t, nil)
	ids := append([]string{}, w.sim.IDs()[:60]...)
	ids = append(ids, "999999999999", "not-an-offer")
	for _, o := range []sim.Outcome{sim.Found, sim.NotFound, sim.Refused} {
		ids = append(ids, w.sim.IDsWith(o)[0])
	}
	counts := map[sim.Outcome]int{}
	for _, id := range ids {
		r, err := fetchOne(t, p, id)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if r.GetId() != id {
			t.Errorf("result for %s names %s", id, r.GetId())
		}
		e := w.sim.Expect(id)
		counts[e.Outcome]++
		if err := e.Verify(host.ProductFromModel(r.GetProduct()), host.ErrorFromModel(r.GetError())); err != nil {
			t.Error(err)
		}
	}
	if counts[sim.Found] < 30 || counts[sim.NotFound] < 3 {
		t.Errorf("outcomes %v", counts)
	}
}

func TestListAllPagesEndToEnd(t *testing.T) {
	w := newWorld(t, sim.Options{Items: 600})
	p := w.launch(t, nil)
	want := w.sim.ShopOfferIDs(w.sim.ShopID())
	var got []string
	cursor, pages := "", 0
	for {
		resp, err := host.Call[*model.ListProductsResponse](context.Background(), p, &model.ListProductsRequest{Scope: w.sim.ShopID(), Cursor: cursor, PageSize: 50})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		got = append(got, resp.GetIds()...)
		if cursor = resp.GetNextCursor(); cursor == "" {
			break
		}
	}
	if len(got) != len(want) || pages != (len(want)+49)/50 {
		t.Fatalf("%d ids in %d pages, want %d ids in %d", len(got), pages, len(want), (len(want)+49)/50)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("id %d: %s, want %s", i, got[i], want[i])
		}
	}
}

func TestResolveURLsEndToEnd(t *testing.T) {
	w := newWorld(t, sim.Options{Items: 10})
	p := w.launch(t, nil)
	before := w.sim.Stats().Requests
	urls := []string{
		"https://detail.1688.com/offer/600000007919.html?spm=a26352.13672862",
		"https://m.1688.com/offer/600000007919.html",
		"https://detail.m.1688.com/page/index.html?offerId=600000007919",
		"https://item.taobao.com/item.htm?id=600000007919",
	}
	resp, err := host.Call[*model.ResolveURLsResponse](context.Background(), p, &model.ResolveURLsRequest{Urls: urls})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range resp.GetResults()[:3] {
		if r.GetId() != "600000007919" || r.GetError() != nil {
			t.Errorf("%s: %v", urls[i], r)
		}
	}
	if last := resp.GetResults()[3]; last.GetError().GetKind() != model.ErrorKind_ERROR_KIND_INVALID {
		t.Errorf("taobao URL: %v", last)
	}
	if w.sim.Stats().Requests != before {
		t.Error("resolving URLs called the gateway")
	}
}

func TestRateLimitedEndToEnd(t *testing.T) {
	w := newWorld(t, sim.Options{Items: 20})
	p := w.launch(t, nil)
	w.sim.SetRateLimit(0.25, 2)
	id := w.sim.IDsWith(sim.Found)[0]
	for range 2 {
		if _, err := fetchOne(t, p, id); err != nil {
			t.Fatal(err)
		}
	}
	_, err := fetchOne(t, p, id)
	e, ok := host.AsError(err)
	if !ok || e.Kind != sdk.KindRateLimited || e.Code != "gw.QosAppFrequencyLimit" || e.RetryAfter != 4*time.Second {
		t.Fatalf("got %v, want RATE_LIMITED gw.QosAppFrequencyLimit after 4s", err)
	}
	w.clock.Advance(e.RetryAfter)
	if _, err := fetchOne(t, p, id); err != nil {
		t.Errorf("after waiting as asked: %v", err)
	}
}

func TestBadTokenIsAuthEndToEnd(t *testing.T) {
	w := newWorld(t, sim.Options{Items: 20})
	p := w.launch(t, map[string]any{collector.FieldAccessToken: "f14da3b8-b0b1-4f73-a5de-000000000000"})
	_, err := fetchOne(t, p, w.sim.IDsWith(sim.Found)[0])
	if !errors.Is(err, &model.Error{Kind: model.KindAuth, Code: "401"}) {
		t.Errorf("got %v, want AUTH 401", err)
	}
	_, err = host.Call[*model.ListProductsResponse](context.Background(), p, &model.ListProductsRequest{Scope: w.sim.ShopID()})
	if !errors.Is(err, &model.Error{Kind: model.KindAuth}) {
		t.Errorf("listing: got %v, want AUTH", err)
	}
}

// target is the conformance kit's view of the plugin against a simulator:
// known ids are offers on sale in the listed shop, unknown ids include a
// deleted and an off-shelf offer, the bad-credentials config has a token
// the gateway refuses, and quota refusals are switched on by giving the
// app a quota of nothing.
func (w *world) target() plugintest.Target {
	shop := w.sim.ShopOfferIDs(w.sim.ShopID())
	var known []string
	for _, id := range shop {
		if w.sim.Expect(id).Outcome == sim.Found && len(known) < 3 {
			known = append(known, id)
		}
	}
	unknown := append([]string(nil), w.sim.IDsWith(sim.NotFound)[:2]...)
	unknown = append(unknown, "999999999999")
	return plugintest.Target{
		Config:     string(w.sim.PluginConfig(w.url, nil)),
		KnownIDs:   known,
		UnknownIDs: unknown,
		AuthConfig: string(w.sim.PluginConfig(w.url, map[string]any{collector.FieldAccessToken: "revoked-token"})),
		RateLimit: &plugintest.RateLimit{
			Start: func(testing.TB) func() {
				w.sim.SetRateLimit(1, 0)
				return func() { w.sim.SetRateLimit(0, 0) }
			},
			RetryAfter: true,
		},
		ProductURLs: map[string]string{
			collector.OfferURL(known[0]):                                    known[0],
			"https://m.1688.com/offer/" + known[1] + ".html?spm=a26g8":      known[1],
			"https://detail.m.1688.com/page/index.html?offerId=" + known[2]: known[2],
		},
		Scope:    w.sim.ShopID(),
		PageSize: 7,
	}
}

func TestConformance(t *testing.T) {
	w := newWorld(t, sim.Options{Items: 150})
	target := w.target()
	target.Binary = binary
	plugintest.Collector(t, target)
}

func TestConformanceInProcess(t *testing.T) {
	w := newWorld(t, sim.Options{Items: 150})
	target := w.target()
	target.New = func() sdk.Plugin { return collector.New() }
	plugintest.Collector(t, target)
}
