package quotabench

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	ali1688 "github.com/marketsync/marketsync/plugins/alibaba1688/collector"
	ali1688sim "github.com/marketsync/marketsync/plugins/alibaba1688/sim"
	aliexpress "github.com/marketsync/marketsync/plugins/aliexpress/collector"
	aliexpresssim "github.com/marketsync/marketsync/plugins/aliexpress/sim"
	pdd "github.com/marketsync/marketsync/plugins/pinduoduo/collector"
	pddsim "github.com/marketsync/marketsync/plugins/pinduoduo/sim"
	"github.com/marketsync/marketsync/plugins/sandbox/market"
	taobao "github.com/marketsync/marketsync/plugins/taobao/collector"
	taobaosim "github.com/marketsync/marketsync/plugins/taobao/sim"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/simkit"
)

// limit is a platform's call limit.
type limit struct {
	rate  float64
	burst int
}

// served is a simulator set up for one cell of the matrix: the plugin
// pointed at it, the ids one call asks for, and the simulator's own count
// of the calls its limit took and refused.
type served struct {
	plugin sdk.Collector
	config []byte
	ids    []string
	counts func() simkit.Counts
}

// marketplace is one simulator and its plugin, with the refusal variants
// its platform can give.
type marketplace struct {
	name    string
	signals []simkit.Throttle
	// serve starts the simulator limited to l, answering refusals as th
	// says, until tb ends. It runs outside the bubble: the HTTP server's
	// goroutines must not be in it.
	serve func(tb testing.TB, l limit, th simkit.Throttle) *served
}

var marketplaces = []marketplace{
	{"taobao", []simkit.Throttle{simkit.ThrottleBan, simkit.ThrottleRetryAfter, simkit.ThrottleNoHint}, serveTaobao},
	{"aliexpress", []simkit.Throttle{simkit.ThrottleBan, simkit.ThrottleRetryAfter, simkit.ThrottleNoHint}, serveAliExpress},
	{"alibaba1688", []simkit.Throttle{simkit.ThrottleRetryAfter, simkit.ThrottleNoHint}, serve1688},
	{"pinduoduo", []simkit.Throttle{simkit.ThrottleRetryAfter, simkit.ThrottleNoHint}, servePinduoduo},
	{"sandbox", []simkit.Throttle{simkit.ThrottleBan, simkit.ThrottleRetryAfter, simkit.ThrottleNoHint}, serveSandbox},
}

// bubbleClock is a simulator's clock when the simulator is served over
// loopback HTTP to a plugin inside a synctest bubble: the server's
// goroutines are outside the bubble and read the real clock, so the
// plugin marks the bubble's time before each call. While a call is on the
// wire the bubble's clock cannot move (a goroutine blocked on the network
// is not durably blocked), so the mark is the bubble's time when the
// request arrives.
type bubbleClock struct{ ns atomic.Int64 }

func (c *bubbleClock) Now() time.Time { return time.Unix(0, c.ns.Load()) }

func (c *bubbleClock) mark() { c.ns.Store(time.Now().UnixNano()) }

// clocked is a plugin that marks the bubble's time before each call.
type clocked struct {
	sdk.Collector
	clock *bubbleClock
}

func (c clocked) Configure(ctx context.Context, cfg *sdk.Config) error {
	c.clock.mark()
	return c.Collector.Configure(ctx, cfg)
}

func (c clocked) FetchProducts(ctx context.Context, req *sdk.FetchProductsRequest) (*sdk.FetchProductsResponse, error) {
	c.clock.mark()
	return c.Collector.FetchProducts(ctx, req)
}

// serveHTTP serves h on a loopback port until tb ends, closing every
// connection after its answer: an idle keep-alive connection's reader,
// inside the bubble, would stop its clock.
func serveHTTP(tb testing.TB, h http.Handler) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		h.ServeHTTP(w, r)
	}))
	tb.Cleanup(srv.Close)
	return srv.URL
}

func configJSON(tb testing.TB, v map[string]any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// overHTTP is a simulator served on a loopback port until tb ends, its
// plugin configured by config(url).
func overHTTP(tb testing.TB, clock *bubbleClock, h http.Handler, plugin sdk.Collector, config func(url string) map[string]any, ids []string, counts func() simkit.Counts) *served {
	return &served{plugin: clocked{plugin, clock}, config: configJSON(tb, config(serveHTTP(tb, h))), ids: ids, counts: counts}
}

func serveTaobao(tb testing.TB, l limit, th simkit.Throttle) *served {
	clock := &bubbleClock{}
	s := taobaosim.New(taobaosim.Options{Seed: 1, Now: clock.Now, Rate: l.rate, Burst: l.burst, Throttle: th})
	c := s.Credentials()
	return overHTTP(tb, clock, s.Handler(), taobao.New(), func(url string) map[string]any {
		return map[string]any{
			taobao.FieldAppKey: c.AppKey, taobao.FieldAppSecret: c.AppSecret, taobao.FieldSession: c.Session,
			taobao.FieldEndpoint: url + taobaosim.Path,
		}
	}, s.IDs()[:taobao.MaxFetchBatch], s.LimitCounts)
}

func serveAliExpress(tb testing.TB, l limit, th simkit.Throttle) *served {
	clock := &bubbleClock{}
	s := aliexpresssim.New(aliexpresssim.Options{Seed: 1, Now: clock.Now, Rate: l.rate, Burst: l.burst, Throttle: th})
	c := s.Credentials()
	return overHTTP(tb, clock, s.Handler(), aliexpress.New(), func(url string) map[string]any {
		return map[string]any{
			aliexpress.FieldAppKey: c.AppKey, aliexpress.FieldAppSecret: c.AppSecret, aliexpress.FieldAccessToken: c.AccessToken,
			aliexpress.FieldEndpoint: url,
		}
	}, s.IDs()[:1], s.LimitCounts)
}

func serve1688(tb testing.TB, l limit, th simkit.Throttle) *served {
	clock := &bubbleClock{}
	s := ali1688sim.New(ali1688sim.Options{Seed: 1, Now: clock.Now, Rate: l.rate, Burst: l.burst, Throttle: th})
	c := s.Credentials()
	return overHTTP(tb, clock, s.Handler(), ali1688.New(), func(url string) map[string]any {
		return map[string]any{
			ali1688.FieldAppKey: c.AppKey, ali1688.FieldAppSecret: c.AppSecret, ali1688.FieldAccessToken: c.AccessToken,
			ali1688.FieldEndpoint: url + "/openapi",
		}
	}, s.IDs()[:1], s.LimitCounts)
}

func servePinduoduo(tb testing.TB, l limit, th simkit.Throttle) *served {
	clock := &bubbleClock{}
	s := pddsim.New(pddsim.Options{Seed: 1, Now: clock.Now, Rate: l.rate, Burst: l.burst, Throttle: th})
	c := s.Credentials()
	return overHTTP(tb, clock, s.Handler(), pdd.New(), func(url string) map[string]any {
		return map[string]any{
			pdd.FieldClientID: c.ClientID, pdd.FieldClientSecret: c.ClientSecret, pdd.FieldAccessToken: c.AccessToken,
			pdd.FieldMallID: s.ShopID, pdd.FieldEndpoint: url + pddsim.Path,
		}
	}, s.IDs()[:1], s.LimitCounts)
}

// serveSandbox runs the sandbox in process (it reads the bubble's clock
// itself). The sandbox answers a refusal with the exact wait and reports
// its quota on every answer; throttled rewrites that into the variant
// asked for and counts what the sandbox took and refused.
func serveSandbox(tb testing.TB, l limit, th simkit.Throttle) *served {
	t := &throttled{Collector: market.New(), as: th}
	return &served{
		plugin: t,
		config: configJSON(tb, map[string]any{"rate_limit": l.rate, "burst": l.burst}),
		ids:    []string{"100001"},
		counts: t.counts,
	}
}

// throttled stands between the sandbox and its host, saying when to
// come back the way a platform with variant as would: ThrottleBan rounds
// the wait up to whole seconds and drops the quota feedback, as TOP and
// IOP do; ThrottleRetryAfter keeps the sandbox's own answer (the exact
// wait and its quota); ThrottleNoHint drops both.
type throttled struct {
	sdk.Collector
	as simkit.Throttle

	mu    sync.Mutex
	tally simkit.Counts
}

func (t *throttled) counts() simkit.Counts {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.tally
}

func (t *throttled) FetchProducts(ctx context.Context, req *sdk.FetchProductsRequest) (*sdk.FetchProductsResponse, error) {
	resp, err := t.Collector.FetchProducts(ctx, req)
	var e *sdk.Error
	limited := errors.As(err, &e) && e.Kind == sdk.KindRateLimited
	t.mu.Lock()
	if limited {
		t.tally.Refused++
	} else {
		t.tally.Taken++
	}
	t.mu.Unlock()
	if t.as == simkit.ThrottleRetryAfter {
		return resp, err
	}
	if resp != nil {
		resp.Quota = nil
	}
	if limited {
		wait := e.RetryAfter
		e.RetryAfter = 0
		if t.as == simkit.ThrottleBan {
			e.RetryAfter = time.Duration(simkit.BanSeconds(wait)) * time.Second
		}
	}
	return resp, err
}
