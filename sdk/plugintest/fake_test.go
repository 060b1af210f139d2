package plugintest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/faultinject"
	"github.com/marketsync/marketsync/sdk/httpclient"
	"github.com/marketsync/marketsync/sdk/simkit"
)

// shop is a small collector and store that follows every rule of the kit
// unless one of its faults is switched on. Each fault breaks one rule the
// way a real plugin gets it wrong.
type shop struct {
	faults
	// limited is the simulator's quota switch, shared by the processes of
	// one target.
	limited *atomic.Bool

	// gw is the platform's HTTP gateway, which the kit can put faults on;
	// nil for a shop with no platform behind it.
	gw *gateway

	mu       sync.Mutex
	badToken bool
	stuck    bool              // rateStuck: saw a rate limit once
	handles  map[string]int    // statefulCursor: cursor → offset
	store    map[string]string // remote id → title
	byKey    map[string]string // idempotency key → remote id
	// back holds what the shop's products are in the store, shared by
	// the processes of one target so the target's hooks reach it; nil
	// keeps the shop's answers fixed.
	back *backend
}

// backend is the store behind a shop: products as written, stock per
// variant, stock writes by idempotency key and merchant edits racing the
// next write.
type backend struct {
	mu       sync.Mutex
	products map[string]sdk.Product
	stock    map[string]int64
	written  map[string]bool
	races    map[string]int64
	// fence is the store's conditional writes by fencing token.
	fence *simkit.Fence
}

func newBackend() *backend {
	return &backend{products: map[string]sdk.Product{}, stock: map[string]int64{}, written: map[string]bool{}, races: map[string]int64{},
		fence: simkit.NewFence()}
}

func (b *backend) setStock(_ testing.TB, remote, sku string, n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stock[remote+"/"+sku] = n
}

func (b *backend) race(_ testing.TB, remote, sku string, n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.races[remote+"/"+sku] = n
}

type faults struct {
	updateKeepsVariants bool // an update keeps the variants left out
	acceptsRefused      bool // writes what the store should refuse
	refusedWithoutField bool // refuses without naming the field
	overwritesRace      bool // a stock write ignores the stock it expected and changes since it read
	ignoresExpected     bool // a stock write only checks for changes since it read
	replayWrites        bool // a replayed stock write writes again
	incompleteDescribe  bool
	truncate            bool // answers at most half its cap, silently
	wholeCallNotFound   bool // fails the whole call for an unknown id
	unorderedIDs        bool // answers the first result under the wrong id
	cursorLoop          bool // cursor goes back to the start after page 2
	statefulCursor      bool // cursor is a handle into this process's memory
	acceptGarbage       bool // an unknown cursor lists from the start
	invalidProduct      bool // prices without a currency
	rateAsUnavailable   bool
	noRetryAfter        bool
	rateStuck           bool // keeps refusing after the platform recovered
	authAsInvalid       bool
	notIdempotent       bool
	wholeWriteFails     bool
	dropsPriceToken     bool // sends price writes without their fencing token
	foreignURLFails     bool // fails the whole call for a URL of no product
	lenientConfig       bool // accepts negative pages
	configureCalls      bool // calls the platform from Configure
	resolveCalls        bool // calls the platform to resolve URLs
	listIgnoresToken    bool // lists under refused credentials
	garbageAsInvalid    bool // reports a body it cannot read as INVALID
}

// gateway is a platform's HTTP front: every call of the shop is first a
// request to it, which the kit's faults can break. It answers {"ok":true},
// or {"error":"code"} for the platform's own trouble.
type gateway struct {
	url      string
	client   *httpclient.Client
	inj      *faultinject.Injector
	requests atomic.Int64
}

func newGateway(t testing.TB) *gateway {
	g := &gateway{inj: faultinject.New(faultinject.Options{})}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.requests.Add(1)
		fmt.Fprint(w, `{"ok":true}`)
	})
	srv := httptest.NewServer(faultinject.Wrap(h, g.inj))
	t.Cleanup(srv.Close)
	g.url = srv.URL
	var err error
	if g.client, err = httpclient.New(httpclient.Options{Timeout: 10 * time.Second}); err != nil {
		t.Fatal(err)
	}
	return g
}

// call makes one request to the gateway and reports its trouble.
func (s *shop) call(ctx context.Context) error {
	if s.gw == nil {
		return nil
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.gw.url, nil)
	resp, err := s.gw.client.Do(ctx, req)
	if err != nil {
		return err
	}
	if e := resp.StatusError(); e != nil {
		return e
	}
	var body struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	switch err := json.Unmarshal(resp.Body, &body); {
	case err != nil && s.garbageAsInvalid:
		return sdk.Invalid("bad_body", err.Error())
	case err != nil:
		return sdk.Unavailable("bad_body", err.Error())
	case body.Error != "":
		return sdk.Unavailable(body.Error, "the platform is in trouble")
	}
	return nil
}

const (
	shopSize  = 10
	shopBatch = 4
)

var (
	_ sdk.Collector   = (*shop)(nil)
	_ sdk.Publisher   = (*shop)(nil)
	_ sdk.URLResolver = (*shop)(nil)
)

const shopURL = "https://shop.example/p/"

func (s *shop) ResolveURLs(ctx context.Context, req *sdk.ResolveURLsRequest) (*sdk.ResolveURLsResponse, error) {
	if s.resolveCalls {
		if err := s.call(ctx); err != nil {
			return nil, err
		}
	}
	resp := &sdk.ResolveURLsResponse{}
	for _, u := range req.URLs {
		id, ok := strings.CutPrefix(u, shopURL)
		r := sdk.ResolveResult{URL: u, ID: id}
		if !ok {
			if s.foreignURLFails {
				return nil, sdk.Invalid("bad_url", u+" is not a shop URL")
			}
			r = sdk.ResolveResult{URL: u, Err: sdk.Invalid("bad_url", "not a shop URL")}
		}
		resp.Results = append(resp.Results, r)
	}
	return resp, nil
}

func newShop(f faults, limited *atomic.Bool, gw *gateway) *shop {
	return &shop{faults: f, limited: limited, gw: gw, store: map[string]string{}, byKey: map[string]string{}, handles: map[string]int{}}
}

func (s *shop) Describe() sdk.Description {
	ops := map[sdk.Operation]sdk.OperationLimit{}
	for _, op := range sdk.Operations {
		ops[op] = sdk.OperationLimit{MaxBatch: shopBatch}
	}
	d := sdk.Description{
		Name: "shop", Version: "1.2.0", Summary: "A shop for testing the kit",
		Limits: sdk.Limits{Rate: 5, Burst: 2, Operations: ops},
		Config: sdk.ConfigSpec{
			{Name: "token", Type: sdk.FieldString, Required: true, Sensitive: true, Description: "API token."},
			{Name: "pages", Type: sdk.FieldInt, Default: 1, Description: "Unused."},
			{Name: "share", Type: sdk.FieldFloat, Default: 0.5, Description: "Unused."},
			{Name: "strict", Type: sdk.FieldBool, Default: true, Description: "Unused."},
			{Name: "timeout", Type: sdk.FieldDuration, Default: "1s", Description: "Unused."},
			{Name: "tags", Type: sdk.FieldStringList, Description: "Unused."},
		},
	}
	if s.incompleteDescribe {
		d.Version, d.Summary, d.Limits.Burst = "1.0", "", 0
		delete(ops, sdk.OpListProducts)
		d.Config[1].Description = ""
	}
	return d
}

func (s *shop) Configure(ctx context.Context, cfg *sdk.Config) error {
	if s.configureCalls {
		if err := s.call(ctx); err != nil {
			return err
		}
	}
	if cfg.Int("pages") < 0 && !s.lenientConfig {
		return sdk.Invalid("config", "pages must not be negative")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.badToken = cfg.String("token") == "bad"
	return nil
}

// admit plays the platform's gateway.
func (s *shop) admit(ctx context.Context) error {
	if err := s.call(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	bad := s.badToken
	s.mu.Unlock()
	switch {
	case bad && s.listIgnoresToken && ctx.Value(listing{}) != nil:
	case bad && s.authAsInvalid:
		return sdk.Invalid("40001", "invalid token")
	case bad:
		return sdk.Auth("40001", "invalid token")
	}
	s.mu.Lock()
	limited := s.limited != nil && s.limited.Load()
	s.stuck = s.stuck || limited && s.rateStuck
	limited = limited || s.stuck
	s.mu.Unlock()
	if !limited {
		return nil
	}
	if s.rateAsUnavailable {
		return sdk.Unavailable("429", "too many requests")
	}
	if s.noRetryAfter {
		return sdk.RateLimited(0, "429", "too many requests")
	}
	return sdk.RateLimited(2*time.Second, "429", "too many requests")
}

func shopID(i int) string { return "p" + strconv.Itoa(i) }

func shopProduct(id string) *sdk.Product {
	cur := "CNY"
	return &sdk.Product{ID: id, Source: "shop", Title: map[string]string{"zh-CN": "商品 " + id},
		Variants: []sdk.Variant{{SKU: id + "-1", Price: sdk.Money{Amount: 1999, Currency: cur}, Stock: 3}}}
}

func (s *shop) FetchProducts(ctx context.Context, req *sdk.FetchProductsRequest) (*sdk.FetchProductsResponse, error) {
	if err := s.admit(ctx); err != nil {
		return nil, err
	}
	ids := req.IDs
	if s.truncate {
		ids = ids[:min(len(ids), shopBatch/2)]
	}
	resp := &sdk.FetchProductsResponse{}
	for _, id := range ids {
		n, err := strconv.Atoi(strings.TrimPrefix(id, "p"))
		if err != nil || n < 1 || n > shopSize || shopID(n) != id {
			if s.wholeCallNotFound {
				return nil, sdk.NotFound("404", "no such item "+id)
			}
			resp.Results = append(resp.Results, sdk.ProductResult{ID: id, Err: sdk.NotFound("404", "no such item")})
			continue
		}
		p := shopProduct(id)
		if s.invalidProduct {
			p.Variants[0].Price.Currency = ""
		}
		resp.Results = append(resp.Results, sdk.ProductResult{ID: id, Product: p})
	}
	if s.unorderedIDs && len(resp.Results) > 1 {
		resp.Results[0].ID, resp.Results[1].ID = resp.Results[1].ID, resp.Results[0].ID
	}
	return resp, nil
}

// listing marks the context of a listing call.
type listing struct{}

func (s *shop) ListProducts(ctx context.Context, req *sdk.ListProductsRequest) (*sdk.ListProductsResponse, error) {
	if err := s.admit(context.WithValue(ctx, listing{}, true)); err != nil {
		return nil, err
	}
	offset, err := s.decodeCursor(req.Cursor)
	if err != nil {
		return nil, err
	}
	size := min(max(req.PageSize, 1), shopBatch)
	resp := &sdk.ListProductsResponse{}
	for i := offset; i < min(offset+size, shopSize); i++ {
		resp.IDs = append(resp.IDs, shopID(i+1))
	}
	if next := offset + size; next < shopSize {
		if s.cursorLoop && next >= 2*size {
			next = 0
		}
		resp.NextCursor = s.encodeCursor(next)
	}
	return resp, nil
}

func (s *shop) encodeCursor(offset int) string {
	if !s.statefulCursor {
		return "o" + strconv.Itoa(offset)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := fmt.Sprintf("h%d", len(s.handles)+1)
	s.handles[c] = offset
	return c
}

func (s *shop) decodeCursor(c string) (int, error) {
	if c == "" {
		return 0, nil
	}
	if n, err := strconv.Atoi(strings.TrimPrefix(c, "o")); err == nil && strings.HasPrefix(c, "o") {
		return n, nil
	}
	s.mu.Lock()
	offset, ok := s.handles[c]
	s.mu.Unlock()
	if ok {
		return offset, nil
	}
	if s.acceptGarbage {
		return 0, nil
	}
	return 0, sdk.Invalid("bad_cursor", "cursor not issued here")
}

// fenced admits a write under token at the store's fence: done, to call
// once it is applied, or the refusal of a stale token.
func (s *shop) fenced(token uint64) (done func(bool), err error) {
	if s.back == nil {
		return func(bool) {}, nil
	}
	header := ""
	if token > 0 {
		header = strconv.FormatUint(token, 10)
	}
	done, err = s.back.fence.Admit(header)
	var stale *simkit.StaleTokenError
	if errors.As(err, &stale) {
		return nil, sdk.Conflict(sdk.CodeStaleFencingToken, stale.Error())
	}
	return done, err
}

func (s *shop) UpsertProducts(ctx context.Context, req *sdk.UpsertProductsRequest) (*sdk.UpsertProductsResponse, error) {
	if err := s.admit(ctx); err != nil {
		return nil, err
	}
	done, err := s.fenced(req.FencingToken)
	if err != nil {
		return nil, err
	}
	defer done(true)
	s.mu.Lock()
	defer s.mu.Unlock()
	resp := &sdk.UpsertProductsResponse{}
	for _, it := range req.Items {
		r := sdk.WriteResult{IdempotencyKey: it.IdempotencyKey}
		id := it.RemoteID
		switch {
		case id != "" && s.store[id] == "":
			if s.wholeWriteFails {
				return nil, sdk.NotFound("404", "no remote product "+id)
			}
			r.Err = sdk.NotFound("404", "no remote product "+id)
		case id == "" && s.byKey[it.IdempotencyKey] != "" && !s.notIdempotent:
			id = s.byKey[it.IdempotencyKey]
		case id == "":
			id = "r" + strconv.Itoa(len(s.store)+1)
			s.byKey[it.IdempotencyKey] = id
		}
		if r.Err == nil && strings.Contains(it.Product.Title["zh-CN"], "REFUSE") && !s.acceptsRefused {
			r.Err = sdk.Invalid("too_long", "title: too long")
			if s.refusedWithoutField {
				r.Err.Message = "too long"
			}
		}
		if r.Err == nil {
			s.store[id] = it.Product.Title["zh-CN"]
			r.RemoteID = id
			s.remember(id, it.Product)
		}
		resp.Results = append(resp.Results, r)
	}
	return resp, nil
}

// setEach answers a stock or price write per item: a known remote id
// succeeds, an unknown one is NOT_FOUND.
func setEach[T any](ctx context.Context, s *shop, items []T, key func(T) (idempotency, remote string)) ([]sdk.WriteResult, error) {
	if err := s.admit(ctx); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]sdk.WriteResult, len(items))
	for i, it := range items {
		k, id := key(it)
		out[i] = sdk.WriteResult{IdempotencyKey: k, RemoteID: id}
		if s.store[id] == "" {
			out[i].Err = sdk.NotFound("404", "no remote product "+id)
		}
	}
	return out, nil
}

func (s *shop) SetInventory(ctx context.Context, req *sdk.SetInventoryRequest) (*sdk.SetInventoryResponse, error) {
	done, err := s.fenced(req.FencingToken)
	if err != nil {
		return nil, err
	}
	defer done(true)
	rs, err := setEach(ctx, s, req.Items, func(it sdk.InventoryItem) (string, string) { return it.IdempotencyKey, it.RemoteID })
	if err != nil || s.back == nil {
		return &sdk.SetInventoryResponse{Results: rs}, err
	}
	b := s.back
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, it := range req.Items {
		if rs[i].Err != nil {
			continue
		}
		v := it.RemoteID + "/" + it.SKU
		if b.written[it.IdempotencyKey] && !s.replayWrites {
			continue
		}
		n, raced := b.races[v]
		if raced {
			delete(b.races, v)
			b.stock[v] = n
		}
		stale := raced || !s.ignoresExpected && it.ExpectedStock != nil && *it.ExpectedStock != b.stock[v]
		if stale && !s.overwritesRace {
			rs[i].Err = sdk.Conflict("stale", "the stock changed since it was read")
			b.written[it.IdempotencyKey] = true
			continue
		}
		b.stock[v] = it.Stock
		b.written[it.IdempotencyKey] = true
	}
	return &sdk.SetInventoryResponse{Results: rs}, nil
}

// remember keeps what an upsert wrote in the backend.
func (s *shop) remember(id string, p sdk.Product) {
	if s.back == nil {
		return
	}
	b := s.back
	b.mu.Lock()
	defer b.mu.Unlock()
	if old, ok := b.products[id]; ok && s.updateKeepsVariants {
		p.Variants = old.Variants
	}
	b.products[id] = p
	for _, v := range p.Variants {
		if _, ok := b.stock[id+"/"+v.SKU]; !ok {
			b.stock[id+"/"+v.SKU] = v.Stock
		}
	}
}

func (s *shop) SetPrices(ctx context.Context, req *sdk.SetPricesRequest) (*sdk.SetPricesResponse, error) {
	token := req.FencingToken
	if s.dropsPriceToken {
		token = 0
	}
	done, err := s.fenced(token)
	if err != nil {
		return nil, err
	}
	defer done(true)
	rs, err := setEach(ctx, s, req.Items, func(it sdk.PriceItem) (string, string) { return it.IdempotencyKey, it.RemoteID })
	return &sdk.SetPricesResponse{Results: rs}, err
}

func (s *shop) GetRemoteProducts(ctx context.Context, req *sdk.GetRemoteProductsRequest) (*sdk.GetRemoteProductsResponse, error) {
	if err := s.admit(ctx); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	resp := &sdk.GetRemoteProductsResponse{}
	for _, id := range req.RemoteIDs {
		if s.store[id] == "" {
			resp.Results = append(resp.Results, sdk.ProductResult{ID: id, Err: sdk.NotFound("404", "no remote product")})
			continue
		}
		p := shopProduct(id)
		if s.back != nil {
			s.back.mu.Lock()
			if stored, ok := s.back.products[id]; ok {
				stored.Variants = slices.Clone(stored.Variants)
				for j, v := range stored.Variants {
					stored.Variants[j].Stock = s.back.stock[id+"/"+v.SKU]
				}
				p = &stored
			}
			s.back.mu.Unlock()
		}
		resp.Results = append(resp.Results, sdk.ProductResult{ID: id, Product: p})
	}
	return resp, nil
}
