package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/marketsync/marketsync/plugins/taobao/collector"
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
func (p *platform) config(change map[string]any) string {
	c := p.Credentials()
	values := map[string]any{
		"app_key": c.AppKey, "app_secret": c.AppSecret, "session": c.Session,
		"endpoint": p.url, "seller_id": p.ShopID, "timeout": "10s",
	}
	for k, v := range change {
		values[k] = v
	}
	b, _ := json.Marshal(values)
	return string(b)
}

// target is the conformance kit's view of the plugin against a small
// simulated shop: small enough that walking the listing three ids a page
// stays quick. Unknown ids are the deleted and off-shelf items, ids the
// shop never had, and, so that the batch checks send ids the platform
// could hold, more of them than the batch cap.
func (p *platform) target() plugintest.Target {
	var known, unknown []string
	for _, id := range p.IDs() {
		switch e := p.Expect(id); {
		case e.Found && len(known) < 12:
			known = append(known, id)
		case !e.Found:
			unknown = append(unknown, id)
		}
	}
	unknown = append(unknown, "1", "999999999999")
	for i := 0; len(known)+len(unknown) <= collector.MaxFetchBatch+1; i++ {
		unknown = append(unknown, strconv.Itoa(700000000000+i))
	}
	urls := map[string]string{
		"https://item.taobao.com/item.htm?id=620000000001":             "620000000001",
		"https://detail.tmall.com/item.htm?id=600123456789&skuId=1":    "600123456789",
		"https://h5.m.taobao.com/awp/core/detail.htm?id=620000000002":  "620000000002",
		"https://m.intl.taobao.com/detail/detail.html?id=620000000003": "620000000003",
		"https://a.m.taobao.com/i620000000004.htm":                     "620000000004",
	}
	for _, id := range known[:3] {
		urls["https://item.taobao.com/item.htm?id="+id] = id
		urls["https://a.m.taobao.com/i"+id+".htm"] = id
	}
	return plugintest.Target{
		Binary:     binary,
		New:        func() sdk.Plugin { return collector.New() },
		Config:     p.config(nil),
		KnownIDs:   known,
		UnknownIDs: unknown,
		Declared: &plugintest.Declared{
			Name: "taobao", Capabilities: []sdk.Capability{sdk.CapabilityCollect},
			MaxBatch:  map[sdk.Operation]int{sdk.OpFetchProducts: collector.MaxFetchBatch, sdk.OpListProducts: collector.MaxPageSize},
			Sensitive: []string{collector.FieldAppSecret, collector.FieldSession},
		},
		BadConfigs: map[string]string{
			"unknown sign method": p.config(map[string]any{collector.FieldSignMethod: "sha1"}),
			"endpoint not a URL":  p.config(map[string]any{collector.FieldEndpoint: "gw.api.taobao.com"}),
		},
		AuthConfig: p.config(map[string]any{collector.FieldSession: "6100expired"}),
		AuthCode:   "27/invalid-sessionkey",
		RateLimit: &plugintest.RateLimit{
			// A call every 4s and no burst: every call is refused and told
			// to wait 4s, on a clock that does not move.
			Start: plugintest.Throttle(p.SetRateLimit, 0.25),
			Code:  "7/accesscontrol.limited-by-app-access-count",
			Wait:  4 * time.Second,
		},
		Faults: &plugintest.Faults{
			Inject: plugintest.Injector(p.Faults()),
			Errors: []plugintest.FaultError{
				{Name: "a 503", Fault: faultinject.Status(503, nil).WithHeader("Retry-After", "7"),
					Kind: sdk.KindUnavailable, Code: "http_503", RetryAfter: 7 * time.Second},
				{Name: "the gateway's remote service error", Fault: faultinject.ErrorBody(func(*http.Request) []byte {
					return []byte(`{"error_response":{"code":15,"msg":"Remote service error","sub_code":"isp.top-remote-service-unavailable","sub_msg":"服务暂不可用"}}`)
				}), Kind: sdk.KindUnavailable, Code: "15/isp.top-remote-service-unavailable"},
			},
		},
		Expect: &plugintest.Expect{
			// Every item of the shop, and ids it never had: each is what
			// the simulator says it must be, or NOT_FOUND where it is
			// deleted, off-shelf or unknown.
			IDs: append(p.IDs(), "1", "999999999999"),
			Check: func(id string, prod *sdk.Product, perr *sdk.Error) error {
				want := p.Expect(id)
				if !want.Found {
					if perr == nil || perr.Kind != sdk.KindNotFound {
						return fmt.Errorf("%s: got %v, want NOT_FOUND", want.Reason, perr)
					}
					return nil
				}
				if perr != nil {
					return perr
				}
				return want.Check(prod)
			},
		},
		ProductURLs: urls,
		ForeignURLs: []string{"https://item.jd.com/100012043978.html"},
		Requests:    func() int64 { return p.Stats().Requests },
		Scope:       p.ShopID,
		Listed:      p.OnSaleIDs(),
	}
}

func TestConformance(t *testing.T) {
	p := startPlatform(t, 60)
	found, missing := 0, 0
	for _, id := range p.IDs() {
		if p.Expect(id).Found {
			found++
		} else {
			missing++
		}
	}
	if found == 0 || missing < 3 {
		t.Fatalf("%d found, %d not found: the catalogue should have both", found, missing)
	}
	plugintest.Run(t, p.target())
}

// The requests are signed with md5 as well as with the default digest.
func TestMD5Signature(t *testing.T) {
	p := startPlatform(t, 60)
	target := p.target()
	target.Config = p.config(map[string]any{collector.FieldSignMethod: "md5"})
	plugintest.Run(t, target, plugintest.CheckExpected(), plugintest.CheckPlatformFaults())
}

// A batch of details is one call of taobao.items.seller.list.get.
func TestOneCallPerBatch(t *testing.T) {
	p := startPlatform(t, 60)
	plug := plugintest.Launch(t, p.target(), "")
	ids := p.IDs()[:collector.MaxFetchBatch]
	if _, err := host.Call[*model.FetchProductsResponse](context.Background(), plug, &model.FetchProductsRequest{Ids: ids}); err != nil {
		t.Fatal(err)
	}
	if n := p.Stats().ByAPI["taobao.items.seller.list.get"]; n != 1 {
		t.Errorf("%d calls for a batch of %d ids", n, len(ids))
	}
}
