package e2e

import (
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	ali1688 "github.com/marketsync/marketsync/plugins/alibaba1688/collector"
	ali1688sim "github.com/marketsync/marketsync/plugins/alibaba1688/sim"
	aliexpress "github.com/marketsync/marketsync/plugins/aliexpress/collector"
	aliexpresssim "github.com/marketsync/marketsync/plugins/aliexpress/sim"
	pdd "github.com/marketsync/marketsync/plugins/pinduoduo/collector"
	pddsim "github.com/marketsync/marketsync/plugins/pinduoduo/sim"
	taobao "github.com/marketsync/marketsync/plugins/taobao/collector"
	taobaosim "github.com/marketsync/marketsync/plugins/taobao/sim"
	"github.com/marketsync/marketsync/sdk"
)

// plugins are the plugin binaries the tests build and run.
var plugins = []string{"taobao", "alibaba1688", "pinduoduo", "aliexpress"}

// simulator is what the four simulators have in common.
type simulator interface {
	// Handler is the gateway, to serve on a loopback port.
	Handler() http.Handler
	// IDs lists the catalogue in order, on sale or not.
	IDs() []string
	// SetRateLimit sets the per-app limit; the quota starts unused.
	SetRateLimit(rate float64, burst int)
}

// market is one marketplace's simulator served on a loopback port, with
// what the tests need of it in the same shape for all four: the simulators
// differ in how they name these things, not in what they offer.
type market struct {
	simulator
	// plugin names the plugin, and the platform block the tests give it.
	plugin string
	// url is where the simulator is served; config is the platform's
	// config {} block pointed at it.
	url    string
	config func(url string) map[string]string
	// unknown is an id of the platform's shape that the catalogue does not
	// hold.
	unknown string
	// pages are product page URL forms the plugin documents, desktop and
	// mobile, with %s where the id goes.
	pages []string
	// found says whether collecting id must give a product. check compares
	// what the agent holds for id — a product, or the item's error — with
	// the simulator's own account of it.
	found func(id string) bool
	check func(id string, p *sdk.Product, perr *sdk.Error) error
	// requests counts every request that reached the simulator, limited
	// those it refused with the platform's rate-limit error.
	requests func() int64
	limited  func() int64
	// lookups counts the requests a plugin makes inside its calls to name
	// what an answer gives by id (category attributes); nil for none.
	lookups func() int64
}

// markets serves the four simulators until the test ends.
func markets(tb testing.TB) []*market {
	ms := []*market{newTaobao(), new1688(), newPinduoduo(), newAliExpress()}
	for _, m := range ms {
		srv := httptest.NewServer(m.Handler())
		tb.Cleanup(srv.Close)
		m.url = srv.URL
	}
	return ms
}

func newTaobao() *market {
	s := taobaosim.New(taobaosim.Options{Seed: 1})
	c := s.Credentials()
	return &market{
		simulator: s,
		plugin:    "taobao",
		config: func(url string) map[string]string {
			return map[string]string{
				taobao.FieldAppKey: c.AppKey, taobao.FieldAppSecret: c.AppSecret, taobao.FieldSession: c.Session,
				taobao.FieldEndpoint: url + taobaosim.Path,
			}
		},
		unknown: "999999999999",
		pages: []string{
			"https://item.taobao.com/item.htm?id=%s",
			"https://h5.m.taobao.com/awp/core/detail.htm?id=%s",
			"https://detail.tmall.com/item.htm?id=%s&skuId=1",
			"https://detail.m.tmall.com/item.htm?id=%s",
			"https://a.m.taobao.com/i%s.htm",
		},
		found: func(id string) bool { return s.Expect(id).Found },
		check: func(id string, p *sdk.Product, perr *sdk.Error) error {
			want := s.Expect(id)
			if !want.Found {
				return notFound(id, want.Reason, p, perr)
			}
			return want.Check(p)
		},
		requests: func() int64 { return s.Stats().Requests },
		limited:  func() int64 { return s.Stats().Refused["7/accesscontrol.limited-by-app-access-count"] },
	}
}

// notFound checks the result of an id the catalogue says must fail alone
// with NOT_FOUND, for why.
func notFound(id, why string, p *sdk.Product, perr *sdk.Error) error {
	if p != nil || perr == nil || perr.Kind != sdk.KindNotFound {
		return fmt.Errorf("%s (%s): got product %v, error %v; want NOT_FOUND", id, why, p != nil, perr)
	}
	return nil
}

func new1688() *market {
	s := ali1688sim.New(ali1688sim.Options{Seed: 1})
	c := s.Credentials()
	return &market{
		simulator: s,
		plugin:    "alibaba1688",
		config: func(url string) map[string]string {
			return map[string]string{
				ali1688.FieldAppKey: c.AppKey, ali1688.FieldAppSecret: c.AppSecret, ali1688.FieldAccessToken: c.AccessToken,
				ali1688.FieldEndpoint: url + "/openapi",
			}
		},
		unknown: "999999999999",
		pages: []string{
			"https://detail.1688.com/offer/%s.html?spm=a26352.13672862",
			"https://m.1688.com/offer/%s.html",
			"https://detail.m.1688.com/page/index.html?offerId=%s",
		},
		found:    func(id string) bool { return s.Expect(id).Outcome == ali1688sim.Found },
		check:    func(id string, p *sdk.Product, perr *sdk.Error) error { return s.Expect(id).Verify(p, perr) },
		requests: func() int64 { return s.Stats().Requests },
		limited:  func() int64 { return s.Stats().Refused["gw.QosAppFrequencyLimit"] },
		lookups:  func() int64 { return s.Stats().ByAPI[ali1688sim.APICategoryAttrs] },
	}
}

func newPinduoduo() *market {
	s := pddsim.New(pddsim.Options{Seed: 1})
	c := s.Credentials()
	return &market{
		simulator: s,
		plugin:    "pinduoduo",
		config: func(url string) map[string]string {
			return map[string]string{
				pdd.FieldClientID: c.ClientID, pdd.FieldClientSecret: c.ClientSecret, pdd.FieldAccessToken: c.AccessToken,
				pdd.FieldMallID: s.ShopID, pdd.FieldEndpoint: url + pddsim.Path,
			}
		},
		unknown: s.UnknownID(),
		pages: []string{
			"https://mobile.yangkeduo.com/goods.html?goods_id=%s&_wvx=10",
			"https://mobile.yangkeduo.com/goods2.html?goods_id=%s",
			"https://yangkeduo.com/goods.html?goods_id=%s",
			"https://www.pinduoduo.com/goods.html?goods_id=%s",
		},
		found: func(id string) bool { return !s.Expect(id).NotFound },
		check: func(id string, p *sdk.Product, perr *sdk.Error) error {
			if diff := s.Expect(id).Diff(p, perr); len(diff) > 0 {
				return fmt.Errorf("%s: %s", id, strings.Join(diff, "; "))
			}
			return nil
		},
		requests: func() int64 { return s.Stats().Requests },
		limited:  func() int64 { return s.Stats().Errors[70031] },
		lookups:  func() int64 { return s.Stats().ByType[pddsim.TypeCatTemplate] },
	}
}

func newAliExpress() *market {
	s := aliexpresssim.New(aliexpresssim.Options{Seed: 1})
	c := s.Credentials()
	return &market{
		simulator: s,
		plugin:    "aliexpress",
		config: func(url string) map[string]string {
			return map[string]string{
				aliexpress.FieldAppKey: c.AppKey, aliexpress.FieldAppSecret: c.AppSecret, aliexpress.FieldAccessToken: c.AccessToken,
				aliexpress.FieldEndpoint: url,
			}
		},
		unknown: "1005000000000001",
		pages: []string{
			"https://www.aliexpress.com/item/%s.html?spm=a2g0o",
			"https://m.aliexpress.com/item/%s.html",
			"https://www.aliexpress.us/item/%s.html",
			"https://m.aliexpress.com/i/%s.html",
			"https://aliexpress.ru/item/%s.html",
		},
		found:    func(id string) bool { return s.Expect(id).Collected() },
		check:    func(id string, p *sdk.Product, perr *sdk.Error) error { return s.Expect(id).Check(p, perr) },
		requests: func() int64 { return s.Stats().Requests },
		limited:  func() int64 { return s.Stats().Errors["ApiCallLimit"] },
	}
}

// sample returns n ids to collect: the first n-1 of the catalogue, which
// hold off-shelf and deleted ones, and the unknown id.
func (m *market) sample(n int) []string {
	return append(slices.Clone(m.IDs()[:n-1]), m.unknown)
}

// urls names each id by a product page URL, going round the forms.
func (m *market) urls(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = fmt.Sprintf(m.pages[i%len(m.pages)], id)
	}
	return out
}

// rateLimit is a platform's calls per second and burst.
type rateLimit struct {
	rate  float64
	burst int
}

// block is m's platform block for the agent: the rate limit the agent is
// told, and the config that points the plugin at the simulator.
func (m *market) block(agent rateLimit) string {
	var b strings.Builder
	fmt.Fprintf(&b, "platform %q %q {\n", m.plugin, m.plugin)
	fmt.Fprintf(&b, "  rate_limit {\n    rate  = %g\n    burst = %d\n  }\n", agent.rate, agent.burst)
	b.WriteString("  config {\n")
	config := m.config(m.url)
	for _, k := range slices.Sorted(maps.Keys(config)) {
		fmt.Fprintf(&b, "    %s = %q\n", k, config[k])
	}
	b.WriteString("  }\n}\n")
	return b.String()
}
