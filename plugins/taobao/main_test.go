package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/marketsync/marketsync/plugins/taobao/sim"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/faultinject"
	"github.com/marketsync/marketsync/sdk/host"
	"github.com/marketsync/marketsync/sdk/model"
	"github.com/marketsync/marketsync/sdk/plugintest"
)

// binary is the plugin built once for the package's tests, so they drive
// the real process through the handshake and gRPC.
var binary string

func TestMain(m *testing.M) { plugintest.Main(m, "taobao", &binary) }

// platform is a simulator on a loopback port. Its clock stands still at
// the moment it started: the plugin process stamps requests with the real
// time, which stays within the gateway's ten minutes for the length of a
// test, while the call limit, which never refills on a clock that does
// not move, answers the same way on every run.
type platform struct {
	*sim.Server
	url string
}

func startPlatform(t *testing.T, items int) *platform {
	t.Helper()
	frozen := time.Now()
	s := sim.New(sim.Options{Seed: 11, Items: items, Now: func() time.Time { return frozen }})
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return &platform{Server: s, url: srv.URL + sim.Path}
}

// config is the plugin's config block for the platform; change overrides
// fields.
func (p *platform) config(change map[string]any) []byte {
	c := p.Credentials()
	values := map[string]any{
		"app_key": c.AppKey, "app_secret": c.AppSecret, "session": c.Session,
		"endpoint": p.url, "seller_id": p.ShopID, "timeout": "10s",
	}
	for k, v := range change {
		values[k] = v
	}
	b, _ := json.Marshal(values)
	return b
}

func launch(t *testing.T, config []byte) *host.Plugin {
	t.Helper()
	ctx := context.Background()
	p, err := host.Launch(ctx, host.Options{Path: binary})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Kill)
	if err := p.Configure(ctx, config); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDescribeOverTheWire(t *testing.T) {
	p := launch(t, startPlatform(t, 10).config(nil))
	d := p.Description()
	if d.Name != "taobao" || !d.Has(sdk.CapabilityCollect) || d.Limits.MaxBatch(sdk.OpFetchProducts, 0) != 20 {
		t.Errorf("%+v", d)
	}
	if f, ok := d.Config.Field("app_secret"); !ok || !f.Sensitive {
		t.Errorf("app_secret %+v", f)
	}
}

// Every item of the catalogue, fetched in batches of 20 through the
// process, is what the simulator says it must be, or NOT_FOUND where it
// is deleted, off-shelf or unknown.
func TestFetchEveryItem(t *testing.T) {
	gw := startPlatform(t, 600)
	p := launch(t, gw.config(nil))
	ids := append(gw.IDs(), "1", "999999999999")
	found, missing := 0, 0
	for start := 0; start < len(ids); start += 20 {
		batch := ids[start:min(start+20, len(ids))]
		resp, err := host.Call[*model.FetchProductsResponse](context.Background(), p, &model.FetchProductsRequest{Ids: batch})
		if err != nil {
			t.Fatalf("batch at %d: %v", start, err)
		}
		for i, r := range resp.GetResults() {
			want := gw.Expect(batch[i])
			if !want.Found {
				missing++
				if r.GetError().GetKind() != model.ErrorKind_ERROR_KIND_NOT_FOUND {
					t.Errorf("%s (%s): %v, want NOT_FOUND", batch[i], want.Reason, r)
				}
				continue
			}
			found++
			if r.GetError() != nil {
				t.Errorf("%s: %v", batch[i], r.GetError())
				continue
			}
			if err := want.Check(host.ProductFromModel(r.GetProduct())); err != nil {
				t.Error(err)
			}
		}
	}
	if found == 0 || missing < 3 {
		t.Errorf("%d found, %d not found: the catalogue should have both", found, missing)
	}
	if n := gw.Stats().ByAPI["taobao.items.seller.list.get"]; n != int64((len(ids)+19)/20) {
		t.Errorf("%d calls for %d ids", n, len(ids))
	}
}

func TestListEveryPage(t *testing.T) {
	gw := startPlatform(t, 1500)
	p := launch(t, gw.config(nil))
	var got []string
	req := &model.ListProductsRequest{PageSize: 200, Scope: gw.ShopID}
	for page := 1; ; page++ {
		if page > 50 {
			t.Fatal("listing does not end")
		}
		resp, err := host.Call[*model.ListProductsResponse](context.Background(), p, req)
		if err != nil {
			t.Fatalf("page %d: %v", page, err)
		}
		got = append(got, resp.GetIds()...)
		if resp.GetNextCursor() == "" {
			break
		}
		req = &model.ListProductsRequest{Cursor: resp.GetNextCursor(), PageSize: 200, Scope: gw.ShopID}
	}
	if strings.Join(got, ",") != strings.Join(gw.OnSaleIDs(), ",") {
		t.Errorf("listed %d ids, want the %d on sale, in order", len(got), len(gw.OnSaleIDs()))
	}
}

func TestResolveURLsOverTheWire(t *testing.T) {
	gw := startPlatform(t, 10)
	p := launch(t, gw.config(nil))
	urls := []string{
		"https://item.taobao.com/item.htm?id=620000000001",
		"https://detail.tmall.com/item.htm?id=600123456789&skuId=1",
		"https://h5.m.taobao.com/awp/core/detail.htm?id=620000000002",
		"https://m.intl.taobao.com/detail/detail.html?id=620000000003",
		"https://a.m.taobao.com/i620000000004.htm",
		"https://item.jd.com/100012043978.html",
	}
	resp, err := host.Call[*model.ResolveURLsResponse](context.Background(), p, &model.ResolveURLsRequest{Urls: urls})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"620000000001", "600123456789", "620000000002", "620000000003", "620000000004", ""}
	for i, r := range resp.GetResults() {
		if r.GetId() != want[i] {
			t.Errorf("%s: id %q, want %q", urls[i], r.GetId(), want[i])
		}
	}
	if e := resp.GetResults()[5].GetError(); e.GetKind() != model.ErrorKind_ERROR_KIND_INVALID {
		t.Errorf("JD URL: %v, want INVALID", e)
	}
	if n := gw.Stats().Requests; n != 0 {
		t.Errorf("resolving URLs made %d platform calls", n)
	}
}

func TestRateLimitedWithRetryAfter(t *testing.T) {
	gw := startPlatform(t, 40)
	p := launch(t, gw.config(nil))
	gw.SetRateLimit(0.25, 2)
	req := &model.FetchProductsRequest{Ids: gw.IDs()[:5]}
	for i := range 2 {
		if _, err := host.Call[*model.FetchProductsResponse](context.Background(), p, req); err != nil {
			t.Fatalf("call %d within the burst: %v", i+1, err)
		}
	}
	_, err := host.Call[*model.FetchProductsResponse](context.Background(), p, req)
	e, ok := host.AsError(err)
	if !ok || e.Kind != sdk.KindRateLimited || e.Code != "7/accesscontrol.limited-by-app-access-count" || e.RetryAfter != 4*time.Second {
		t.Fatalf("got %v, want RATE_LIMITED with retry-after 4s", err)
	}
}

func TestBadTokenIsAuth(t *testing.T) {
	gw := startPlatform(t, 10)
	p := launch(t, gw.config(map[string]any{"session": "6100expired"}))
	_, err := host.Call[*model.FetchProductsResponse](context.Background(), p, &model.FetchProductsRequest{Ids: gw.IDs()[:1]})
	if !errors.Is(err, &model.Error{Kind: model.KindAuth, Code: "27/invalid-sessionkey"}) {
		t.Errorf("got %v, want AUTH 27/invalid-sessionkey", err)
	}
	_, err = host.Call[*model.ListProductsResponse](context.Background(), p, &model.ListProductsRequest{})
	if !errors.Is(err, &model.Error{Kind: model.KindAuth}) {
		t.Errorf("list: got %v, want AUTH", err)
	}
}

func TestPlatformFaultsOverTheWire(t *testing.T) {
	gw := startPlatform(t, 10)
	p := launch(t, gw.config(map[string]any{"sign_method": "md5"}))
	err := gw.Faults().Add(
		faultinject.Rule{Name: "busy", When: faultinject.Next(1), Fault: faultinject.Status(http.StatusServiceUnavailable, nil).WithHeader("Retry-After", "7")},
		faultinject.Rule{Name: "isp", When: faultinject.Requests(2, 2), Fault: faultinject.ErrorBody(func(*http.Request) []byte {
			return []byte(`{"error_response":{"code":15,"msg":"Remote service error","sub_code":"isp.top-remote-service-unavailable","sub_msg":"服务暂不可用"}}`)
		})},
	)
	if err != nil {
		t.Fatal(err)
	}
	req := &model.FetchProductsRequest{Ids: gw.IDs()[:3]}
	for _, want := range []*sdk.Error{
		{Kind: sdk.KindUnavailable, Code: "http_503", RetryAfter: 7 * time.Second},
		{Kind: sdk.KindUnavailable, Code: "15/isp.top-remote-service-unavailable"},
	} {
		_, err := host.Call[*model.FetchProductsResponse](context.Background(), p, req)
		if e, ok := host.AsError(err); !ok || e.Kind != want.Kind || e.Code != want.Code || e.RetryAfter != want.RetryAfter {
			t.Errorf("got %v, want %v", err, want)
		}
	}
	if _, err := host.Call[*model.FetchProductsResponse](context.Background(), p, req); err != nil {
		t.Errorf("after the faults: %v", err)
	}
}
