package plugintest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/faultinject"
	"github.com/marketsync/marketsync/sdk/internal/rpc"
	"github.com/marketsync/marketsync/sdk/model"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// recorder is a testing.TB that records failures and skips instead of
// reporting them, so a test can assert that a check fails.
type recorder struct {
	testing.TB
	mu       sync.Mutex
	failed   bool
	skipped  bool
	lines    []string
	cleanups []func()
}

func (r *recorder) Helper() {}

func (r *recorder) log(failed bool, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = r.failed || failed
	r.lines = append(r.lines, msg)
}

func (r *recorder) Log(args ...any)                 { r.log(false, fmt.Sprint(args...)) }
func (r *recorder) Logf(format string, args ...any) { r.log(false, fmt.Sprintf(format, args...)) }
func (r *recorder) Error(args ...any)               { r.log(true, fmt.Sprint(args...)) }
func (r *recorder) Errorf(format string, args ...any) {
	r.log(true, fmt.Sprintf(format, args...))
}
func (r *recorder) Fail()             { r.log(true, "Fail") }
func (r *recorder) FailNow()          { r.Fail(); runtime.Goexit() }
func (r *recorder) Fatal(args ...any) { r.Error(args...); runtime.Goexit() }
func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}
func (r *recorder) Skip(args ...any)                 { r.Log(args...); r.SkipNow() }
func (r *recorder) Skipf(format string, args ...any) { r.Logf(format, args...); r.SkipNow() }
func (r *recorder) SkipNow() {
	r.mu.Lock()
	r.skipped = true
	r.mu.Unlock()
	runtime.Goexit()
}
func (r *recorder) Failed() bool  { r.mu.Lock(); defer r.mu.Unlock(); return r.failed }
func (r *recorder) Skipped() bool { r.mu.Lock(); defer r.mu.Unlock(); return r.skipped }
func (r *recorder) Cleanup(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cleanups = append(r.cleanups, f)
}

func (r *recorder) output() string { return strings.Join(r.lines, "\n") }

// record runs check against target on its own goroutine, as the testing
// package runs a test, and returns what it reported.
func record(t *testing.T, check Check, target Target) *recorder {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			for i := len(r.cleanups) - 1; i >= 0; i-- {
				r.cleanups[i]()
			}
		}()
		check.Run(r, target)
	}()
	<-done
	return r
}

// shopTarget is the target for a shop with the given faults; its
// simulator's quota switch and gateway are shared by every process of the
// target.
func shopTarget(t testing.TB, f faults) Target {
	limited := &atomic.Bool{}
	gw := newGateway(t)
	back := newBackend()
	var listed []string
	for i := range shopSize {
		listed = append(listed, shopID(i+1))
	}
	return Target{
		New: func() sdk.Plugin {
			s := newShop(f, limited, gw)
			s.back = back
			return s
		},
		Config:      `{"token": "good"}`,
		KnownIDs:    []string{"p1", "p2", "p7"},
		UnknownIDs:  []string{"p11", "nope"},
		ProductURLs: map[string]string{shopURL + "p1": "p1", shopURL + "p9": "p9"},
		ForeignURLs: []string{"https://other.example/p/p1"},
		Requests:    gw.requests.Load,
		AuthConfig:  `{"token": "bad"}`,
		AuthCode:    "40001",
		BadConfigs:  map[string]string{"negative pages": `{"token": "good", "pages": -1}`},
		Declared: &Declared{
			Name: "shop", Capabilities: []sdk.Capability{sdk.CapabilityPublish, sdk.CapabilityCollect}, Rate: 5,
			MaxBatch:  map[sdk.Operation]int{sdk.OpFetchProducts: shopBatch},
			Sensitive: []string{"token"},
			Fields:    []sdk.ConfigField{{Name: "timeout", Type: sdk.FieldDuration, Default: "1s"}, {Name: "pages"}},
		},
		RateLimit: &RateLimit{
			Start: func(testing.TB) func() {
				limited.Store(true)
				return func() { limited.Store(false) }
			},
			RetryAfter: true,
			Code:       "429",
			Wait:       2 * time.Second,
		},
		Faults: &Faults{
			Inject: Injector(gw.inj),
			Errors: []FaultError{{Name: "the platform's busy answer", Kind: sdk.KindUnavailable, Code: "busy",
				Fault: faultinject.ErrorBody(func(*http.Request) []byte { return []byte(`{"error":"busy"}`) })}},
		},
		Expect: &Expect{
			IDs: []string{"p1", "p11", "p2", "nope"},
			Check: func(id string, p *sdk.Product, e *sdk.Error) error {
				if id == "p11" || id == "nope" {
					if e == nil || e.Kind != sdk.KindNotFound {
						return fmt.Errorf("got %v, want NOT_FOUND", e)
					}
					return nil
				}
				if p == nil || p.Title["zh-CN"] != shopProduct(id).Title["zh-CN"] {
					return fmt.Errorf("got %v, want the product", e)
				}
				return nil
			},
		},
		Listed: listed,
		Publish: &Publish{
			Products: []sdk.Product{*twoVariants("a"), *shopProduct("b")},
			Refused: []Refusal{{Name: "a title the store refuses", Item: sdk.UpsertItem{Product: *refused()},
				Kind: sdk.KindInvalid, Code: "too_long", Field: "title"}},
			RaceStock:     back.race,
			MerchantStock: back.setStock,
			Fencing:       back.fence.State,
		},
	}
}

func twoVariants(id string) *sdk.Product {
	p := shopProduct(id)
	v := p.Variants[0]
	v.SKU = id + "-2"
	p.Variants = append(p.Variants, v)
	return p
}

func refused() *sdk.Product {
	p := shopProduct("r")
	p.Title["zh-CN"] = "REFUSE"
	return p
}

func TestAConformingPluginPassesEveryCheck(t *testing.T) {
	// The fenced-write check goes last: after it the store refuses
	// writes without a token.
	Run(t, shopTarget(t, faults{}), append(DefaultChecks(), CheckFencedWrites())...)
}

func TestEachCheckFailsThePluginThatBreaksItsRule(t *testing.T) {
	for name, tc := range map[string]struct {
		faults faults
		serve  func(ctx context.Context, p sdk.Plugin) (*plugin.ReattachConfig, <-chan struct{}, error)
		edit   func(*Target)
		check  Check
		want   []string
	}{
		"describe says other than documented": {
			edit: func(tg *Target) {
				tg.Declared = &Declared{Name: "store", Capabilities: []sdk.Capability{sdk.CapabilityCollect}, Rate: 9,
					MaxBatch: map[sdk.Operation]int{sdk.OpFetchProducts: 5}, Sensitive: []string{"token", "pages"},
					Fields: []sdk.ConfigField{{Name: "timeout", Default: "2s"}, {Name: "pages", Type: sdk.FieldString}, {Name: "absent"}}}
			},
			check: CheckDeclared(),
			want: []string{`name "shop", want "store"`, "capabilities [collect publish], want [collect]", "limits.rate 5, want 9",
				"limits.operations[fetch_products] max batch 4, want 5", `sensitive config fields ["token"], want ["token" "pages"]`,
				`config field "timeout" defaults to 1s, want 2s`, `config field "pages" is a int, want a string`, `no config field "absent"`},
		},
		"bad config accepted": {
			faults: faults{lenientConfig: true}, check: CheckBadConfigs(),
			want: []string{`negative pages: the config must be refused as INVALID; Configure({"token": "good", "pages": -1}) returned no error`},
		},
		"configure calls the platform": {
			faults: faults{configureCalls: true}, check: CheckBadConfigs(),
			want: []string{"configuring made 2 requests to the platform; Configure must not call it"},
		},
		"rate limit without the platform's code": {
			edit:  func(tg *Target) { tg.RateLimit.Code = "7/limited" },
			check: CheckRateLimited(),
			want:  []string{`must carry the platform's code "7/limited"; it carries "429"`},
		},
		"rate limit with another wait": {
			edit:  func(tg *Target) { tg.RateLimit.Wait, tg.RateLimit.Slack = 4*time.Second, time.Second },
			check: CheckRateLimited(),
			want:  []string{"the platform asked to wait 4s but the RATE_LIMITED error carries a retry-after of 2s"},
		},
		"bad credentials without the platform's code": {
			edit:  func(tg *Target) { tg.AuthCode = "27/invalid-session" },
			check: CheckAuth(),
			want:  []string{"must fail as AUTH 27/invalid-session so the operator is told; it returned AUTH 40001"},
		},
		"listing ignores bad credentials": {
			faults: faults{listIgnoresToken: true}, check: CheckAuth(),
			want: []string{"listing with credentials the platform refuses must fail as AUTH 40001; it returned no error"},
		},
		"unreadable body reported as invalid": {
			faults: faults{garbageAsInvalid: true}, check: CheckPlatformFaults(),
			want: []string{"a garbage body must fail the call as UNAVAILABLE; it returned INVALID bad_body",
				"a truncated answer must fail the call as UNAVAILABLE; it returned INVALID bad_body"},
		},
		"platform error under another code": {
			edit:  func(tg *Target) { tg.Faults.Errors[0].Code = "overloaded" },
			check: CheckPlatformFaults(),
			want:  []string{"the platform's busy answer must fail the call as UNAVAILABLE overloaded; it returned UNAVAILABLE busy"},
		},
		"products other than the platform's": {
			faults: faults{unorderedIDs: true}, check: CheckExpected(),
			want: []string{`asked for "p11", the product returned has id "p1"`, "p1: got NOT_FOUND 404: no such item, want the product"},
		},
		"listing other than the platform's": {
			edit:  func(tg *Target) { tg.Listed = tg.Listed[:9] },
			check: CheckListing(),
			want: []string{`must list the 9 ids of Target.Listed, in order; it listed 10: at position 9 want "(end)", got "p10"`,
				"9 ids at 3 a page take 3 pages; the listing took 4"},
		},
		"foreign URL resolved": {
			edit:  func(tg *Target) { tg.ForeignURLs = []string{shopURL + "p3?from=elsewhere"} },
			check: CheckResolveURLs(),
			want:  []string{shopURL + `p3?from=elsewhere names no product of the platform and must resolve to a per-item INVALID; it resolved to id "p3?from=elsewhere"`},
		},
		"resolving calls the platform": {
			faults: faults{resolveCalls: true}, check: CheckResolveURLs(),
			want: []string{"resolving URLs made 1 requests to the platform"},
		},
		"incomplete describe": {
			faults: faults{incompleteDescribe: true}, check: CheckDescribe(),
			want: []string{`version "1.0" is not a semantic version`, "summary is empty", "limits.burst is 0",
				"limits.operations[list_products] declares no max batch", `config field "pages" has no description`},
		},
		"config schema not enforced": {
			serve: serveWith(dropUnknownConfig), check: CheckConfigSchema(),
			want: []string{"a config with an unknown field must be refused as INVALID"},
		},
		"whole call fails for an unknown id": {
			faults: faults{wholeCallNotFound: true}, check: CheckPerItemResults(),
			want: []string{"never fail the whole call", "failed as a whole: NOT_FOUND"},
		},
		"results under the wrong ids": {
			faults: faults{unorderedIDs: true}, check: CheckPerItemResults(),
			want: []string{`known id "p1" (position 0) must come back as its product; it came back as the error NOT_FOUND`,
				`unknown id "p11" (position 1) must come back as a per-item NOT_FOUND; it came back as the product "p1"`},
		},
		"batch silently truncated": {
			faults: faults{truncate: true}, check: CheckBatchCaps(),
			want: []string{"fetch_products: a batch of exactly the cap (4 items) must be answered in full; 2 items came back without a result"},
		},
		"batch over the cap accepted": {
			serve: serveWith(trimFetchToCap), check: CheckBatchCaps(),
			want: []string{"fetch_products: a batch over the cap must be refused as INVALID, not truncated; a batch of 5 items (cap 4) was accepted and 1 came back without a result"},
		},
		"rate limit reported as unavailable": {
			faults: faults{rateAsUnavailable: true}, check: CheckRateLimited(),
			want: []string{"must fail as RATE_LIMITED so the host backs off; it failed with UNAVAILABLE 429"},
		},
		"rate limit without retry-after": {
			faults: faults{noRetryAfter: true}, check: CheckRateLimited(),
			want: []string{"carries no retry-after"},
		},
		"rate limit remembered": {
			faults: faults{rateStuck: true}, check: CheckRateLimited(),
			want: []string{"after the platform recovered, a call still failed with RATE_LIMITED"},
		},
		"bad credentials reported as invalid": {
			faults: faults{authAsInvalid: true}, check: CheckAuth(),
			want: []string{"must fail as AUTH 40001 so the operator is told; it returned INVALID 40001"},
		},
		"invalid product": {
			faults: faults{invalidProduct: true}, check: CheckProducts(),
			want: []string{`product "p1" breaks the canonical model, so the host replaced it with INVALID plugin_invalid_product`},
		},
		"cursor loops": {
			faults: faults{cursorLoop: true}, check: CheckCursor(),
			want: []string{`the cursor after page 3 ("o3") is the one that followed page 1: the listing loops`},
		},
		"cursor held in process memory": {
			faults: faults{statefulCursor: true}, check: CheckCursor(),
			want: []string{`listing page 1 (cursor "h2") failed: INVALID bad_cursor`},
		},
		"garbage cursor accepted": {
			faults: faults{acceptGarbage: true}, check: CheckCursor(),
			want: []string{"must be refused as INVALID; it was accepted and listed 3 ids"},
		},
		"foreign URL fails the call": {
			faults: faults{foreignURLFails: true}, check: CheckResolveURLs(),
			want: []string{"a URL of no product must fail alone, per item; resolving 4 URLs failed as a whole: INVALID bad_url"},
		},
		"upsert not idempotent": {
			faults: faults{notIdempotent: true}, check: CheckUpsertIdempotent(),
			want: []string{"must not create a second product: it first created \"r1\", then \"r3\""},
		},
		"one bad write fails the call": {
			faults: faults{wholeWriteFails: true}, check: CheckWritesPerItem(),
			want: []string{"an upsert with one rejected item failed as a whole: NOT_FOUND"},
		},
		"update keeps variants left out": {
			faults: faults{updateKeepsVariants: true}, check: CheckUpsertUpdate(),
			want: []string{`was updated with the one variant "a-1" but reads back with variants ["a-1" "a-2"]`},
		},
		"refused write accepted": {
			faults: faults{acceptsRefused: true}, check: CheckRefusedItems(),
			want: []string{"upsert_products (a title the store refuses): the item the store must refuse succeeded"},
		},
		"refusal without the field": {
			faults: faults{refusedWithoutField: true}, check: CheckRefusedItems(),
			want: []string{`a title the store refuses: the error must name the field "title" for the operator; it says "too long"`},
		},
		"stock write overwrites a racing change": {
			faults: faults{overwritesRace: true}, check: CheckStockConflict(),
			want: []string{"a stock write expecting 3 after a change racing the write left 8 must fail as CONFLICT; it returned success", "must leave the store's stock 8; it reads 6"},
		},
		"stock write ignores the expected stock": {
			faults: faults{ignoresExpected: true}, check: CheckStockExpected(),
			want: []string{"a stock write expecting 3 after a sale left 12 must fail as CONFLICT; it returned success", "refused after a sale must leave the store's stock 12; it reads 6"},
		},
		"price write without its fencing token": {
			faults: faults{dropsPriceToken: true}, check: CheckFencedWrites(),
			want: []string{"set_prices under the current fencing token 100 must succeed; it returned CONFLICT stale_fencing_token",
				"the store refused 2 writes under the stale token and 1 without one"},
		},
		"replayed stock write writes again": {
			faults: faults{replayWrites: true}, check: CheckStockReplay(),
			want: []string{"must change nothing; the merchant's stock 10 became 5"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			target := shopTarget(t, tc.faults)
			target.serve = tc.serve
			if tc.edit != nil {
				tc.edit(&target)
			}
			r := record(t, tc.check, target)
			if !r.Failed() {
				t.Fatalf("check %s passed a plugin that breaks its rule; it said:\n%s", tc.check.Name, r.output())
			}
			for _, w := range tc.want {
				if !strings.Contains(r.output(), w) {
					t.Errorf("check %s did not say %q; it said:\n%s", tc.check.Name, w, r.output())
				}
			}
		})
	}
}

func TestChecksWithoutTheirFixturesSkip(t *testing.T) {
	target := shopTarget(t, faults{})
	target.RateLimit, target.AuthConfig, target.UnknownIDs = nil, "", nil
	target.Declared, target.BadConfigs, target.Faults, target.Expect, target.Listed = nil, nil, nil, nil, nil
	pub := *target.Publish
	pub.Refused, pub.RaceStock, pub.MerchantStock, pub.Fencing = nil, nil, nil, nil
	target.Publish = &pub
	for _, c := range []struct {
		field string
		check Check
	}{
		{"Publish.Refused", CheckRefusedItems()}, {"Publish.RaceStock", CheckStockConflict()},
		{"Publish.MerchantStock", CheckStockReplay()}, {"Publish.MerchantStock", CheckStockExpected()},
		{"RateLimit", CheckRateLimited()}, {"AuthConfig", CheckAuth()}, {"UnknownIDs", CheckPerItemResults()},
		{"Declared", CheckDeclared()}, {"BadConfigs", CheckBadConfigs()}, {"Faults.Inject", CheckPlatformFaults()},
		{"Expect.Check", CheckExpected()}, {"Listed", CheckListing()}, {"Publish.Fencing", CheckFencedWrites()},
	} {
		field, check := c.field, c.check
		r := record(t, check, target)
		if !r.Skipped() || r.Failed() || !strings.Contains(r.output(), "set Target."+field) {
			t.Errorf("%s without Target.%s: skipped %v, failed %v, said %q", check.Name, field, r.Skipped(), r.Failed(), r.output())
		}
	}
}

func TestRateLimitByConfig(t *testing.T) {
	// A simulator whose quota is a config knob: the kit calls until the
	// platform refuses one.
	calls := &atomic.Int64{}
	target := shopTarget(t, faults{})
	target.New = func() sdk.Plugin { return &quotaByConfig{shop: newShop(faults{}, nil, nil), calls: calls} }
	target.RateLimit = &RateLimit{Config: `{"token": "good", "pages": 3}`, RetryAfter: true}
	if r := record(t, CheckRateLimited(), target); r.Failed() {
		t.Fatalf("check failed:\n%s", r.output())
	}
	if got := calls.Load(); got != 4 {
		t.Errorf("the kit made %d calls, want 4 (three allowed, then the refusal)", got)
	}
}

// quotaByConfig refuses calls for quota after "pages" calls.
type quotaByConfig struct {
	*shop
	calls *atomic.Int64
	quota int64
}

func (q *quotaByConfig) Configure(ctx context.Context, cfg *sdk.Config) error {
	q.quota = cfg.Int("pages")
	return q.shop.Configure(ctx, cfg)
}

func (q *quotaByConfig) FetchProducts(ctx context.Context, req *sdk.FetchProductsRequest) (*sdk.FetchProductsResponse, error) {
	if q.calls.Add(1) > q.quota {
		return nil, sdk.RateLimited(time.Minute, "429", "quota used up")
	}
	return q.shop.FetchProducts(ctx, req)
}

func TestDescribeNameMustMatchTheBinary(t *testing.T) {
	d := newShop(faults{}, nil, nil).Describe()
	d.Capabilities = []sdk.Capability{sdk.CapabilityCollect, sdk.CapabilityPublish}
	if got := describeProblems(d, &Target{Binary: "/tmp/x/marketsync-plugin-shop"}, false); len(got) != 0 {
		t.Errorf("a complete description was faulted: %q", got)
	}
	got := strings.Join(describeProblems(d, &Target{Binary: "/tmp/x/marketsync-plugin-store"}, false), "\n")
	if !strings.Contains(got, `name "shop" does not match the binary "marketsync-plugin-store"`) {
		t.Errorf("a name that does not match the binary was not faulted: %q", got)
	}
}

func TestATargetWithoutAPluginIsRefused(t *testing.T) {
	r := record(t, CheckDescribe(), Target{Config: `{}`})
	if !r.Failed() || !strings.Contains(r.output(), "Target needs Binary") {
		t.Errorf("got %q", r.output())
	}
}

// serveWith serves a plugin in-process with a gRPC interceptor below the
// SDK's server, to play a plugin that does not enforce what the SDK does.
func serveWith(icpt grpc.UnaryServerInterceptor) func(context.Context, sdk.Plugin) (*plugin.ReattachConfig, <-chan struct{}, error) {
	return func(ctx context.Context, p sdk.Plugin) (*plugin.ReattachConfig, <-chan struct{}, error) {
		h, err := rpc.Adapt(p)
		if err != nil {
			return nil, nil, err
		}
		s, err := rpc.NewServer(h)
		if err != nil {
			return nil, nil, err
		}
		reattach := make(chan *plugin.ReattachConfig, 1)
		closed := make(chan struct{})
		go plugin.Serve(&plugin.ServeConfig{
			HandshakeConfig:  rpc.Handshake,
			VersionedPlugins: rpc.VersionedPlugins(s),
			GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
				return plugin.DefaultGRPCServer(append(opts, grpc.ChainUnaryInterceptor(icpt)))
			},
			Logger: hclog.NewNullLogger(),
			Test:   &plugin.ServeTestConfig{Context: ctx, ReattachConfigCh: reattach, CloseCh: closed},
		})
		select {
		case rc := <-reattach:
			return rc, closed, nil
		case <-time.After(10 * time.Second):
			return nil, nil, fmt.Errorf("plugin did not start serving")
		}
	}
}

// trimFetchToCap cuts an over-cap fetch down to the cap before the SDK's
// server sees it, as a plugin that truncates silently would.
func trimFetchToCap(ctx context.Context, req any, _ *grpc.UnaryServerInfo, next grpc.UnaryHandler) (any, error) {
	if r, ok := req.(*model.FetchProductsRequest); ok && len(r.Ids) > shopBatch {
		r.Ids = r.Ids[:shopBatch]
	}
	return next(ctx, req)
}

// dropUnknownConfig removes fields the spec does not know before the
// SDK's server sees the config, as a lenient plugin would.
func dropUnknownConfig(ctx context.Context, req any, info *grpc.UnaryServerInfo, next grpc.UnaryHandler) (any, error) {
	if info.FullMethod != rpc.FullMethod("Configure") {
		return next(ctx, req)
	}
	m := req.(proto.Message).ProtoReflect()
	field := m.Descriptor().Fields().ByName("config_json")
	values := map[string]any{}
	if json.Unmarshal(m.Get(field).Bytes(), &values) == nil {
		delete(values, "plugintest_unknown_field")
		b, _ := json.Marshal(values)
		m.Set(field, protoreflect.ValueOfBytes(b))
	}
	return next(ctx, req)
}
