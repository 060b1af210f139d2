package market

import (
	"context"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/simkit"
)

// Version of the sandbox plugin.
const Version = "0.1.0"

// Config field names.
const (
	fieldSeed         = "seed"
	fieldProducts     = "products"
	fieldLatency      = "latency"
	fieldErrorRate    = "error_rate"
	fieldRateLimit    = "rate_limit"
	fieldBurst        = "burst"
	fieldOffShelfRate = "offshelf_rate"
	fieldCrashAfter   = "crash_after"
	fieldHangAfter    = "hang_after"
	fieldSlowRate     = "slow_rate"
	fieldMalformed    = "malformed_rate"
	fieldBanEvery     = "ban_every"
	fieldBanFor       = "ban_for"
	fieldStderrFlood  = "stderr_flood"
	fieldRejectAuth   = "reject_credentials"
)

// Documented limits of the sandbox, as a real plugin declares its
// platform's. The rate it enforces is the rate_limit knob.
const (
	maxFetchBatch = 50
	maxListPage   = 100
	maxWriteBatch = 100
)

var spec = sdk.ConfigSpec{
	{Name: fieldSeed, Type: sdk.FieldInt, Default: 1, Description: "Seed of the generated catalogue; the same seed gives the same products."},
	{Name: fieldProducts, Type: sdk.FieldInt, Default: 5000, Description: "Number of products in the catalogue."},
	{Name: fieldLatency, Type: sdk.FieldDuration, Default: "0s", Description: "Time every call takes."},
	{Name: fieldErrorRate, Type: sdk.FieldFloat, Default: 0.0, Description: "Share of calls (0 to 1) that fail as UNAVAILABLE."},
	{Name: fieldRateLimit, Type: sdk.FieldFloat, Default: 0.0, Description: "Calls per second the sandbox accepts before answering RATE_LIMITED with retry-after; 0 for no limit."},
	{Name: fieldBurst, Type: sdk.FieldInt, Default: 10, Description: "Burst allowed on top of rate_limit."},
	{Name: fieldOffShelfRate, Type: sdk.FieldFloat, Default: 0.0, Description: "Share of products (0 to 1) that are off-shelf: fetching them gives a per-item NOT_FOUND."},
	{Name: fieldCrashAfter, Type: sdk.FieldInt, Default: 0, Description: "Exit the plugin process abruptly on this data call (counted from process start); 0 never."},
	{Name: fieldHangAfter, Type: sdk.FieldInt, Default: 0, Description: "From this data call on, never answer (the process stays up and answers health checks); 0 never."},
	{Name: fieldSlowRate, Type: sdk.FieldFloat, Default: 0.0, Description: "Share of calls (0 to 1) that do not answer until the caller gives up: timeouts."},
	{Name: fieldMalformed, Type: sdk.FieldFloat, Default: 0.0, Description: "Share of returned products (0 to 1) that break the model (negative stock, unknown currency, empty SKU), as a buggy mapping would."},
	{Name: fieldBanEvery, Type: sdk.FieldDuration, Default: "0s", Description: "Start a rate-limit ban this often (bursts of RATE_LIMITED answers with the time left as retry-after, as Taobao's bans); 0s never."},
	{Name: fieldBanFor, Type: sdk.FieldDuration, Default: "1s", Description: "How long each ban lasts."},
	{Name: fieldStderrFlood, Type: sdk.FieldInt, Default: 0, Description: "Lines per second the plugin writes to its standard error, to show the host contains a noisy plugin; 0 none."},
	{Name: fieldRejectAuth, Type: sdk.FieldBool, Default: false, Description: "Refuse every data call as AUTH, as a platform rejects a wrong app secret; set it back to false and reload to \"fix the credentials\"."},
}

// codeBadSignature is the code of a call refused by reject_credentials.
const codeBadSignature = "SANDBOX_SIGNATURE"

// Market is the sandbox plugin: a collectable catalogue and a store.
type Market struct {
	mu      sync.Mutex
	catalog Catalog
	knobs   knobs
	rng     *rand.Rand
	// bucket plays the platform's gateway, refusing calls over the
	// configured rate; nil for no limit. It is deliberately not the
	// agent's limiter, so the two can disagree as real ones do.
	bucket *simkit.Bucket
	calls  int64
	store  *store
	// exit ends the process for crash_after; tests replace it.
	exit  func(code int)
	clock simkit.Clock
	// epoch is when the sandbox was configured; bans are timed from it.
	epoch time.Time
	flood *flood
}

type knobs struct {
	latency    time.Duration
	errorRate  float64
	crashAfter int64
	hangAfter  int64
	slowRate   float64
	malformed  float64
	banEvery   time.Duration
	banFor     time.Duration
	rejectAuth bool
}

var (
	_ sdk.Plugin      = (*Market)(nil)
	_ sdk.Collector   = (*Market)(nil)
	_ sdk.URLResolver = (*Market)(nil)
	_ sdk.Publisher   = (*Market)(nil)
)

// New returns an unconfigured sandbox with the default catalogue.
func New() *Market {
	return &Market{
		catalog: Catalog{Seed: 1, Count: 5000},
		rng:     rand.New(rand.NewPCG(1, 2)),
		store:   newStore(),
		exit:    os.Exit,
		clock:   simkit.Wall,
	}
}

// Describe implements sdk.Plugin.
func (m *Market) Describe() sdk.Description {
	return sdk.Description{
		Name:    "sandbox",
		Version: Version,
		Summary: "Simulated marketplace and store with a deterministic catalogue and injectable faults",
		Limits: sdk.Limits{
			Rate:  100,
			Burst: 20,
			Operations: map[sdk.Operation]sdk.OperationLimit{
				sdk.OpFetchProducts:     {MaxBatch: maxFetchBatch},
				sdk.OpListProducts:      {MaxBatch: maxListPage},
				sdk.OpUpsertProducts:    {MaxBatch: maxFetchBatch},
				sdk.OpSetInventory:      {MaxBatch: maxWriteBatch},
				sdk.OpSetPrices:         {MaxBatch: maxWriteBatch},
				sdk.OpGetRemoteProducts: {MaxBatch: maxFetchBatch},
				sdk.OpResolveURLs:       {MaxBatch: maxListPage},
			},
		},
		Config: spec,
	}
}

// Configure implements sdk.Plugin.
func (m *Market) Configure(_ context.Context, cfg *sdk.Config) error {
	if n := cfg.Int(fieldProducts); n < 0 || n > 10_000_000 {
		return sdk.Invalid("config", fmt.Sprintf("products must be between 0 and 10000000, got %d", n))
	}
	for _, f := range []string{fieldErrorRate, fieldOffShelfRate, fieldSlowRate, fieldMalformed} {
		if r := cfg.Float(f); r < 0 || r > 1 {
			return sdk.Invalid("config", fmt.Sprintf("%s must be between 0 and 1, got %v", f, r))
		}
	}
	if cfg.Float(fieldRateLimit) < 0 || cfg.Int(fieldBurst) < 1 {
		return sdk.Invalid("config", "rate_limit must not be negative and burst must be at least 1")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	seed := uint64(cfg.Int(fieldSeed))
	m.catalog = Catalog{Seed: seed, Count: int(cfg.Int(fieldProducts)), OffShelfRate: cfg.Float(fieldOffShelfRate)}
	m.knobs = knobs{
		latency: cfg.Duration(fieldLatency), errorRate: cfg.Float(fieldErrorRate), crashAfter: cfg.Int(fieldCrashAfter),
		hangAfter: cfg.Int(fieldHangAfter), slowRate: cfg.Float(fieldSlowRate), malformed: cfg.Float(fieldMalformed),
		banEvery: cfg.Duration(fieldBanEvery), banFor: cfg.Duration(fieldBanFor), rejectAuth: cfg.Bool(fieldRejectAuth),
	}
	m.epoch = m.clock.Now()
	if n := cfg.Int(fieldStderrFlood); n > 0 && m.flood == nil {
		m.flood = startFlood(int(n))
	}
	m.rng = rand.New(rand.NewPCG(seed, 0x5eed))
	m.bucket = nil
	if r := cfg.Float(fieldRateLimit); r > 0 {
		m.bucket = simkit.NewBucket(r, int(cfg.Int(fieldBurst)))
	}
	return nil
}

// admit runs the knobs for one data call, in the order a real platform
// would: the process may die, the call takes its time, the gateway may
// refuse the credentials or refuse it for quota, and the backend may fail
// it.
func (m *Market) admit(ctx context.Context) (*sdk.Quota, error) {
	m.mu.Lock()
	m.calls++
	k := m.knobs
	now := m.clock.Now()
	crash := k.crashAfter > 0 && m.calls >= k.crashAfter
	hang := (k.hangAfter > 0 && m.calls >= k.hangAfter) || (k.slowRate > 0 && m.rng.Float64() < k.slowRate)
	fail := k.errorRate > 0 && m.rng.Float64() < k.errorRate
	var quota *sdk.Quota
	var limited *sdk.Error
	if left := k.banLeft(now.Sub(m.epoch)); left > 0 {
		limited = sdk.RateLimited(left, "SANDBOX_BAN", fmt.Sprintf("This ban will last for %d more seconds", int(left.Round(time.Second)/time.Second)))
	} else if m.bucket != nil {
		if wait, ok := m.bucket.Take(now); !ok {
			limited = sdk.RateLimited(wait, "SANDBOX_429", fmt.Sprintf("rate limit of %g calls/s exceeded", m.bucket.Rate()))
		}
		// Reset, when nothing remains, is when the next call is accepted.
		q := m.bucket.Quota(now)
		quota = &sdk.Quota{Remaining: q.Remaining, Limit: q.Limit, Reset: q.Reset}
	}
	m.mu.Unlock()

	if crash {
		m.exit(3)
	}
	if hang {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if k.latency > 0 {
		t := time.NewTimer(k.latency)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
	}
	if k.rejectAuth {
		// As a real plugin's client package does, the message names the
		// setting to check before the platform's own words.
		return nil, sdk.Auth(codeBadSignature, "the platform rejected the signature — check "+fieldRejectAuth+"; sandbox said: invalid signature")
	}
	if limited != nil {
		return quota, limited
	}
	if fail {
		return quota, sdk.Unavailable("SANDBOX_503", "the sandbox backend is temporarily unavailable")
	}
	return quota, nil
}

// FetchProducts implements sdk.Collector.
func (m *Market) FetchProducts(ctx context.Context, req *sdk.FetchProductsRequest) (*sdk.FetchProductsResponse, error) {
	quota, err := m.admit(ctx)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	cat := m.catalog
	m.mu.Unlock()
	resp := &sdk.FetchProductsResponse{Quota: quota, Results: make([]sdk.ProductResult, len(req.IDs))}
	for i, id := range req.IDs {
		p, perr := cat.Product(id)
		if p != nil && m.spoil() {
			breakProduct(p, i)
		}
		resp.Results[i] = sdk.ProductResult{ID: id, Product: p, Err: perr}
	}
	return resp, nil
}

// ListProducts implements sdk.Collector. The cursor is an opaque encoding
// of the next offset.
func (m *Market) ListProducts(ctx context.Context, req *sdk.ListProductsRequest) (*sdk.ListProductsResponse, error) {
	quota, err := m.admit(ctx)
	if err != nil {
		return nil, err
	}
	offset := 0
	if req.Cursor != "" {
		raw, derr := base64.RawURLEncoding.DecodeString(req.Cursor)
		if derr == nil {
			offset, derr = strconv.Atoi(string(raw))
		}
		if derr != nil || offset < 0 {
			return nil, sdk.Invalid("BAD_CURSOR", fmt.Sprintf("cursor %q was not issued by this sandbox", req.Cursor))
		}
	}
	size := req.PageSize
	if size <= 0 || size > maxListPage {
		size = maxListPage
	}
	m.mu.Lock()
	cat := m.catalog
	m.mu.Unlock()
	resp := &sdk.ListProductsResponse{Quota: quota}
	for i := offset; i < cat.Count && len(resp.IDs) < size; i++ {
		if !cat.OffShelf(i) {
			resp.IDs = append(resp.IDs, cat.ID(i))
		}
		offset = i + 1
	}
	if offset < cat.Count {
		resp.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(offset)))
	}
	return resp, nil
}

// ResolveURLs implements sdk.URLResolver for the sandbox's product pages,
// https://item.sandbox.marketsync.invalid/item/<id>.html, and their mobile
// form https://m.sandbox.marketsync.invalid/item.html?id=<id>.
func (m *Market) ResolveURLs(_ context.Context, req *sdk.ResolveURLsRequest) (*sdk.ResolveURLsResponse, error) {
	resp := &sdk.ResolveURLsResponse{Results: make([]sdk.ResolveResult, len(req.URLs))}
	for i, raw := range req.URLs {
		resp.Results[i] = sdk.ResolveResult{URL: raw}
		id, ok := sandboxID(raw)
		if !ok {
			resp.Results[i].Err = sdk.Invalid("NOT_A_PRODUCT_URL", fmt.Sprintf("%q is not a sandbox product page", raw))
			continue
		}
		resp.Results[i].ID = id
	}
	return resp, nil
}

func sandboxID(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", false
	}
	var id string
	switch u.Host {
	case "item.sandbox.marketsync.invalid":
		name, ok := strings.CutPrefix(u.Path, "/item/")
		if !ok {
			return "", false
		}
		id, ok = strings.CutSuffix(name, ".html")
		if !ok {
			return "", false
		}
	case "m.sandbox.marketsync.invalid":
		if u.Path != "/item.html" {
			return "", false
		}
		id = u.Query().Get("id")
	default:
		return "", false
	}
	if _, err := strconv.ParseUint(id, 10, 64); err != nil {
		return "", false
	}
	return id, true
}
