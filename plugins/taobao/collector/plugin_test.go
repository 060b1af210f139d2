package collector

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/marketsync/marketsync/plugins/taobao/sim"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/faultinject"
)

// configured returns the plugin configured against a fresh simulator
// whose clock is the plugin's.
func configured(t *testing.T, o sim.Options, extra map[string]any) (*Plugin, *sim.Server) {
	t.Helper()
	now := time.Date(2026, 6, 1, 3, 0, 0, 0, time.UTC)
	o.Now = func() time.Time { return now }
	gw := sim.New(o)
	srv := httptest.NewServer(gw.Handler())
	t.Cleanup(srv.Close)
	c := gw.Credentials()
	values := map[string]any{
		FieldAppKey: c.AppKey, FieldAppSecret: c.AppSecret, FieldSession: c.Session,
		FieldEndpoint: srv.URL + sim.Path, FieldSellerID: gw.ShopID,
	}
	for k, v := range extra {
		values[k] = v
	}
	cfg, err := sdk.NewConfig(spec, values)
	if err != nil {
		t.Fatal(err)
	}
	p := New()
	p.now = o.Now
	if err := p.Configure(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	return p, gw
}

func TestDescribe(t *testing.T) {
	d := New().Describe()
	if d.Name != "taobao" || d.Limits.MaxBatch(sdk.OpFetchProducts, 0) != 20 || d.Limits.MaxBatch(sdk.OpListProducts, 0) != 200 {
		t.Errorf("%+v", d)
	}
	if err := d.Config.Validate(); err != nil {
		t.Error(err)
	}
	for _, f := range []string{FieldAppSecret, FieldSession} {
		if field, _ := d.Config.Field(f); !field.Sensitive {
			t.Errorf("%s is not marked sensitive", f)
		}
	}
	if f, _ := d.Config.Field(FieldEndpoint); f.Default != "https://eco.taobao.com/router/rest" {
		t.Errorf("endpoint default %v", f.Default)
	}
}

func TestConfigureRefusesBadValuesWithoutCalling(t *testing.T) {
	base := map[string]any{FieldAppKey: "k", FieldAppSecret: "s", FieldSession: "t"}
	for name, change := range map[string]map[string]any{
		"sign method":   {FieldSignMethod: "sha1"},
		"endpoint":      {FieldEndpoint: "eco.taobao.com/router/rest"},
		"endpoint form": {FieldEndpoint: "ftp://eco.taobao.com/router/rest"},
		"proxy":         {FieldProxies: []string{"gopher://p:70"}},
		"timeout":       {FieldTimeout: "0s"},
		"blank secret":  {FieldAppSecret: "  "},
	} {
		t.Run(name, func(t *testing.T) {
			values := map[string]any{}
			for k, v := range base {
				values[k] = v
			}
			for k, v := range change {
				values[k] = v
			}
			cfg, err := sdk.NewConfig(spec, values)
			if err != nil {
				t.Fatal(err)
			}
			if err := New().Configure(context.Background(), cfg); !errors.Is(err, &sdk.Error{Kind: sdk.KindInvalid}) {
				t.Errorf("got %v, want INVALID", err)
			}
		})
	}
}

func TestFetchAgainstSimulator(t *testing.T) {
	p, gw := configured(t, sim.Options{Seed: 5, Items: 400}, nil)
	// Fourteen items in catalogue order, the first deleted one and the
	// first off-shelf one.
	ids := gw.IDs()[:14:14]
	reasons := map[string]bool{}
	for _, id := range gw.IDs()[14:] {
		if r := gw.Expect(id).Reason; (r == "deleted" || r == "off_shelf") && !reasons[r] {
			reasons[r] = true
			ids = append(ids, id)
		}
	}
	if len(ids) != 16 {
		t.Fatalf("catalogue lacks a deleted or an off-shelf item: %v", reasons)
	}
	ids = append(ids, "1", "not-a-number", ids[0]) // unknown, malformed, repeated
	resp, err := p.FetchProducts(context.Background(), &sdk.FetchProductsRequest{IDs: ids})
	if err != nil {
		t.Fatal(err)
	}
	if got := gw.Stats().ByAPI["taobao.items.seller.list.get"]; got != 1 {
		t.Errorf("%d calls for one batch", got)
	}
	for i, r := range resp.Results {
		if r.ID != ids[i] {
			t.Fatalf("result %d is for %s, want %s", i, r.ID, ids[i])
		}
		want := gw.Expect(r.ID)
		switch {
		case r.ID == "not-a-number":
			if r.Err == nil || r.Err.Kind != sdk.KindInvalid {
				t.Errorf("malformed id: %+v", r)
			}
		case !want.Found:
			if r.Err == nil || r.Err.Kind != sdk.KindNotFound {
				t.Errorf("%s (%s): %+v, want NOT_FOUND", r.ID, want.Reason, r)
			}
		default:
			if r.Err != nil {
				t.Fatalf("%s: %v", r.ID, r.Err)
			}
			if err := want.Check(normalized(r.Product)); err != nil {
				t.Error(err)
			}
		}
	}
	many := append(gw.IDs()[:20:20], gw.IDs()[20])
	if _, err := p.FetchProducts(context.Background(), &sdk.FetchProductsRequest{IDs: many}); !errors.Is(err, &sdk.Error{Kind: sdk.KindInvalid, Code: "batch_too_large"}) {
		t.Errorf("21 ids: %v", err)
	}
}

func TestListResumesWithItsCursor(t *testing.T) {
	p, gw := configured(t, sim.Options{Seed: 6, Items: 700}, nil)
	ctx := context.Background()
	var got []string
	req := &sdk.ListProductsRequest{PageSize: 150, Scope: gw.ShopID}
	for pages := 0; ; pages++ {
		if pages > 20 {
			t.Fatal("listing does not end")
		}
		resp, err := p.ListProducts(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, resp.IDs...)
		if resp.NextCursor == "" {
			break
		}
		// A resumed listing may ask for another page size; the cursor
		// keeps the one it started with.
		req = &sdk.ListProductsRequest{Cursor: resp.NextCursor, PageSize: 7, Scope: gw.ShopID}
	}
	if strings.Join(got, ",") != strings.Join(gw.OnSaleIDs(), ",") {
		t.Errorf("listed %d ids, want the %d on sale in order", len(got), len(gw.OnSaleIDs()))
	}
	for name, req := range map[string]*sdk.ListProductsRequest{
		"other seller":   {Scope: "someone-else"},
		"forged cursor":  {Cursor: "bm90IGEgY3Vyc29y"},
		"cursor, scope":  {Cursor: cursor{Scope: "", Page: 2, Size: 40}.encode(), Scope: gw.ShopID},
		"oversized page": {Cursor: cursor{Page: 2, Size: 500}.encode()},
	} {
		if _, err := p.ListProducts(ctx, req); !errors.Is(err, &sdk.Error{Kind: sdk.KindInvalid}) {
			t.Errorf("%s: %v, want INVALID", name, err)
		}
	}
}

func TestUnconfiguredPluginSaysSo(t *testing.T) {
	_, err := New().FetchProducts(context.Background(), &sdk.FetchProductsRequest{IDs: []string{"1"}})
	if !errors.Is(err, &sdk.Error{Kind: sdk.KindInvalid, Code: "not_configured"}) {
		t.Errorf("got %v", err)
	}
}

// Without total_results a full page is taken to mean more may follow.
func TestListWithoutTotal(t *testing.T) {
	p, gw := configured(t, sim.Options{Seed: 7, Items: 10}, nil)
	answer := func(body string) faultinject.Fault {
		return faultinject.ErrorBody(func(*http.Request) []byte { return []byte(body) })
	}
	gw.Faults().Add(
		faultinject.Rule{When: faultinject.Requests(1, 1), Fault: answer(`{"items_onsale_get_response":{"items":{"item":[{"num_iid":11},{"num_iid":12}]}}}`)},
		faultinject.Rule{When: faultinject.Requests(2, 2), Fault: answer(`{"items_onsale_get_response":{"items":{"item":[{"num_iid":13}]}}}`)},
	)
	resp, err := p.ListProducts(context.Background(), &sdk.ListProductsRequest{PageSize: 2})
	if err != nil || resp.NextCursor == "" || strings.Join(resp.IDs, ",") != "11,12" {
		t.Fatalf("full page: %+v, %v", resp, err)
	}
	resp, err = p.ListProducts(context.Background(), &sdk.ListProductsRequest{PageSize: 2, Cursor: resp.NextCursor})
	if err != nil || resp.NextCursor != "" || strings.Join(resp.IDs, ",") != "13" {
		t.Fatalf("short page: %+v, %v", resp, err)
	}
}

// Collecting 1,000 items costs ⌈1,000 ÷ 20⌉ = 50 calls of
// taobao.items.seller.list.get and nothing else: desc and property_alias
// come in the same call. Counted on the simulator's side.
func TestCallsPerThousandItems(t *testing.T) {
	p, gw := configured(t, sim.Options{Seed: 8, Items: 1000}, nil)
	ids := gw.IDs()
	described := 0
	for start := 0; start < len(ids); start += MaxFetchBatch {
		resp, err := p.FetchProducts(context.Background(), &sdk.FetchProductsRequest{IDs: ids[start:min(start+MaxFetchBatch, len(ids))]})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range resp.Results {
			if r.Product != nil && len(r.Product.Description) > 0 {
				described++
			}
		}
	}
	st := gw.Stats()
	if st.Requests != 50 || st.ByAPI["taobao.items.seller.list.get"] != 50 || len(st.ByAPI) != 1 {
		t.Errorf("%d requests by API %v, want 50 of taobao.items.seller.list.get", st.Requests, st.ByAPI)
	}
	if described == 0 {
		t.Error("no item came with its description")
	}
}
