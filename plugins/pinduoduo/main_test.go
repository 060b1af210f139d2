package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

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
	if o.Goods == 0 {
		o.Goods = 1200
	}
	s := sim.New(o)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return s, srv.URL + sim.Path
}

// config is the plugin's config block for s, with edits.
func config(t *testing.T, s *sim.Server, endpoint string, edits map[string]any) []byte {
	t.Helper()
	values := s.PluginConfig(endpoint)
	values["timeout"] = "10s"
	for k, v := range edits {
		values[k] = v
	}
	b, err := json.Marshal(values)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func launch(t *testing.T, cfg []byte) *host.Plugin {
	t.Helper()
	ctx := context.Background()
	p, err := host.Launch(ctx, host.Options{Path: binary})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Kill)
	if err := p.Configure(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDescribeOverTheWire(t *testing.T) {
	s, endpoint := gateway(t, sim.Options{Goods: 10})
	d := launch(t, config(t, s, endpoint, nil)).Description()
	if d.Name != "pinduoduo" || !d.Has(sdk.CapabilityCollect) || d.Has(sdk.CapabilityPublish) {
		t.Fatalf("description %+v", d)
	}
	if d.Limits.MaxBatch(sdk.OpFetchProducts, 0) != 1 || d.Limits.MaxBatch(sdk.OpListProducts, 0) != 100 || d.Limits.Rate != 50 {
		t.Errorf("limits %+v", d.Limits)
	}
	for _, name := range []string{"client_secret", "access_token"} {
		if f, ok := d.Config.Field(name); !ok || !f.Sensitive {
			t.Errorf("%s is not a sensitive field", name)
		}
	}
}

// Every kind of goods, an unknown id and a malformed one, fetched through
// the plugin process one id per call (the declared cap), each checked
// against the simulator's own account of the goods.
func TestFetchEndToEnd(t *testing.T) {
	s, endpoint := gateway(t, sim.Options{Seed: 11})
	p := launch(t, config(t, s, endpoint, nil))
	ids := []string{s.UnknownID(), "12x", "0"}
	for k := sim.KindMultiSKU; k <= sim.KindSKUOffSale; k++ {
		ids = append(ids, s.Sample(k))
	}
	ids = append(ids, s.IDs()[100:160]...)
	for _, id := range ids {
		resp, err := host.Call[*model.FetchProductsResponse](context.Background(), p, &model.FetchProductsRequest{Ids: []string{id}})
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		r := resp.GetResults()[0]
		var perr *sdk.Error
		if r.GetError() != nil {
			perr = host.ErrorFromModel(r.GetError())
		}
		var prod *sdk.Product
		if r.GetProduct() != nil {
			prod = host.ProductFromModel(r.GetProduct())
		}
		for _, d := range s.Expect(id).Diff(prod, perr) {
			t.Errorf("%s: %s", id, d)
		}
	}
	// The host enforces the cap the plugin declared.
	_, err := host.Call[*model.FetchProductsResponse](context.Background(), p, &model.FetchProductsRequest{Ids: []string{s.IDs()[0], s.IDs()[1]}})
	if !errors.Is(err, &model.Error{Kind: model.KindInvalid, Code: "batch_too_large"}) {
		t.Errorf("two ids in one call: %v", err)
	}
}

func TestListAllPagesEndToEnd(t *testing.T) {
	s, endpoint := gateway(t, sim.Options{Seed: 12})
	p := launch(t, config(t, s, endpoint, nil))
	var ids []string
	cursor, pages := "", 0
	for {
		resp, err := host.Call[*model.ListProductsResponse](context.Background(), p, &model.ListProductsRequest{Cursor: cursor, PageSize: 100, Scope: s.ShopID})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		ids = append(ids, resp.GetIds()...)
		if cursor = resp.GetNextCursor(); cursor == "" {
			break
		}
	}
	want := s.ListedIDs()
	if !slices.Equal(ids, want) {
		t.Errorf("listed %d ids, want %d", len(ids), len(want))
	}
	if wantPages := (len(want) + 99) / 100; pages != wantPages {
		t.Errorf("%d pages, want %d", pages, wantPages)
	}
	_, err := host.Call[*model.ListProductsResponse](context.Background(), p, &model.ListProductsRequest{Scope: "777"})
	if !errors.Is(err, &model.Error{Kind: model.KindInvalid}) {
		t.Errorf("another mall's scope: %v", err)
	}
}

func TestResolveURLsEndToEnd(t *testing.T) {
	s, endpoint := gateway(t, sim.Options{Goods: 10})
	p := launch(t, config(t, s, endpoint, nil))
	urls := []string{
		"https://mobile.yangkeduo.com/goods.html?goods_id=126050052488&_wvx=10",
		"https://mobile.yangkeduo.com/goods2.html?goods_id=126050060407",
		"https://yangkeduo.com/goods.html?goods_id=3",
		"https://pinduoduo.com/goods.html?goods_id=4",
		"https://p.pinduoduo.com/HT6lDsK3",
		"https://detail.tmall.com/item.htm?id=5",
	}
	resp, err := host.Call[*model.ResolveURLsResponse](context.Background(), p, &model.ResolveURLsRequest{Urls: urls})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"126050052488", "126050060407", "3", "4", "", ""}
	for i, r := range resp.GetResults() {
		if r.GetId() != want[i] || (want[i] == "") != (r.GetError().GetKind() == model.ErrorKind_ERROR_KIND_INVALID) {
			t.Errorf("%s: id %q error %v", urls[i], r.GetId(), r.GetError())
		}
	}
	if n := s.Stats().Requests; n != 0 {
		t.Errorf("resolving made %d calls", n)
	}
}

func TestRateLimitedEndToEnd(t *testing.T) {
	s, endpoint := gateway(t, sim.Options{Goods: 10})
	p := launch(t, config(t, s, endpoint, nil))
	// One call per 20s with no burst: the second call is refused and told
	// to wait about 20s. The gateway's clock is real, so the wait is read
	// back from the Retry-After header rounded up to whole seconds.
	s.SetRateLimit(0.05, 1)
	req := &model.FetchProductsRequest{Ids: []string{s.Sample(sim.KindMultiSKU)}}
	if _, err := host.Call[*model.FetchProductsResponse](context.Background(), p, req); err != nil {
		t.Fatal(err)
	}
	_, err := host.Call[*model.FetchProductsResponse](context.Background(), p, req)
	e, ok := host.AsError(err)
	if !ok || e.Kind != sdk.KindRateLimited || e.Code != "70031" || e.RetryAfter < 19*time.Second || e.RetryAfter > 20*time.Second {
		t.Fatalf("got %v, want RATE_LIMITED 70031 after ~20s", err)
	}
	if s.Stats().Errors[70031] != 1 {
		t.Errorf("stats %+v", s.Stats())
	}
}

func TestBadTokenEndToEnd(t *testing.T) {
	s, endpoint := gateway(t, sim.Options{Goods: 10})
	p := launch(t, config(t, s, endpoint, map[string]any{"access_token": "revoked-token"}))
	_, err := host.Call[*model.ListProductsResponse](context.Background(), p, &model.ListProductsRequest{})
	if !errors.Is(err, &model.Error{Kind: model.KindAuth, Code: "20032"}) {
		t.Errorf("got %v, want AUTH 20032", err)
	}
}

func TestBadConfigIsRefused(t *testing.T) {
	s, endpoint := gateway(t, sim.Options{Goods: 10})
	p, err := host.Launch(context.Background(), host.Options{Path: binary})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Kill()
	for name, cfg := range map[string][]byte{
		"missing secret": []byte(`{"client_id":"c","access_token":"t"}`),
		"unknown field":  config(t, s, endpoint, map[string]any{"app_key": "x"}),
		"bad endpoint":   config(t, s, endpoint, map[string]any{"endpoint": "gw-api.pinduoduo.com"}),
		"bad price type": config(t, s, endpoint, map[string]any{"price_type": "vip"}),
	} {
		if err := p.Configure(context.Background(), cfg); !errors.Is(err, &model.Error{Kind: model.KindInvalid}) {
			t.Errorf("%s: %v, want INVALID", name, err)
		}
	}
	if n := s.Stats().Requests; n != 0 {
		t.Errorf("configuring made %d calls", n)
	}
}
