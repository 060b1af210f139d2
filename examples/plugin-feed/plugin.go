package main

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/marketsync/marketsync/sdk"
	"golang.org/x/text/currency"
	"golang.org/x/text/language"
)

const (
	pluginName = "feed"
	version    = "0.1.0"
)

// Config field names.
const (
	fieldURL        = "url"
	fieldFormat     = "format"
	fieldCurrency   = "currency"
	fieldLocale     = "locale"
	fieldAuthHeader = "auth_header"
	fieldTimeout    = "timeout"
	fieldCacheTTL   = "cache_ttl"
)

// Limits. A feed is one document, downloaded once per cache_ttl, so most
// calls never reach the supplier's server; the rate is what a small
// supplier's web server takes without complaint.
const (
	maxFetchBatch = 100
	maxListPage   = 500
)

var spec = sdk.ConfigSpec{
	{Name: fieldURL, Type: sdk.FieldString, Required: true,
		Description: "URL of the feed document (http or https)."},
	{Name: fieldFormat, Type: sdk.FieldString, Default: "",
		Description: `Feed format, "csv" or "json"; empty to tell from the URL's extension, then the Content-Type.`},
	{Name: fieldCurrency, Type: sdk.FieldString, Default: "CNY",
		Description: "ISO 4217 currency of the feed's prices."},
	{Name: fieldLocale, Type: sdk.FieldString, Default: "zh-CN",
		Description: "BCP 47 language of the feed's titles and descriptions."},
	{Name: fieldAuthHeader, Type: sdk.FieldString, Sensitive: true,
		Description: `Value of the Authorization header sent with each download, e.g. "Bearer <token>".`},
	{Name: fieldTimeout, Type: sdk.FieldDuration, Default: "30s",
		Description: "Time one download may take, connecting and reading included."},
	{Name: fieldCacheTTL, Type: sdk.FieldDuration, Default: "1m",
		Description: "How long a downloaded feed is used before it is revalidated (If-None-Match)."},
}

// Feed is the plugin: a collector over one supplier feed.
type Feed struct {
	// now is the clock of the feed cache; tests replace it.
	now func() time.Time

	mu     sync.Mutex
	source *source
}

var (
	_ sdk.Plugin    = (*Feed)(nil)
	_ sdk.Collector = (*Feed)(nil)
)

// New returns an unconfigured feed plugin.
func New() *Feed { return &Feed{now: time.Now} }

// Describe implements sdk.Plugin.
func (f *Feed) Describe() sdk.Description {
	return sdk.Description{
		Name:    pluginName,
		Version: version,
		Summary: "Supplier product feed (CSV or JSON over HTTP)",
		Limits: sdk.Limits{
			Rate:  2,
			Burst: 5,
			Operations: map[sdk.Operation]sdk.OperationLimit{
				sdk.OpFetchProducts: {MaxBatch: maxFetchBatch},
				sdk.OpListProducts:  {MaxBatch: maxListPage},
			},
		},
		Config: spec,
	}
}

// Configure implements sdk.Plugin. It checks what the spec cannot
// express and prepares the HTTP client; it does not download the feed.
func (f *Feed) Configure(_ context.Context, cfg *sdk.Config) error {
	u, err := url.Parse(cfg.String(fieldURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return sdk.Invalid("config", fmt.Sprintf("url %q must be an absolute http(s) URL", cfg.String(fieldURL)))
	}
	format := cfg.String(fieldFormat)
	if format != "" && format != formatCSV && format != formatJSON {
		return sdk.Invalid("config", fmt.Sprintf(`format must be "csv", "json" or empty, got %q`, format))
	}
	cur := cfg.String(fieldCurrency)
	if _, err := currency.ParseISO(cur); err != nil || len(cur) != 3 {
		return sdk.Invalid("config", fmt.Sprintf("currency %q is not an ISO 4217 code", cur))
	}
	loc := cfg.String(fieldLocale)
	if _, err := language.Parse(loc); err != nil {
		return sdk.Invalid("config", fmt.Sprintf("locale %q is not a BCP 47 tag", loc))
	}
	if cfg.Duration(fieldTimeout) <= 0 || cfg.Duration(fieldCacheTTL) < 0 {
		return sdk.Invalid("config", "timeout must be positive and cache_ttl not negative")
	}
	src, err := newSource(sourceOptions{
		url:        u.String(),
		format:     format,
		authHeader: cfg.String(fieldAuthHeader),
		timeout:    cfg.Duration(fieldTimeout),
		ttl:        cfg.Duration(fieldCacheTTL),
		settings:   settings{currency: cur, locale: loc},
		now:        f.now,
	})
	if err != nil {
		return err
	}
	f.mu.Lock()
	f.source = src
	f.mu.Unlock()
	return nil
}

func (f *Feed) catalog(ctx context.Context) (*catalog, *sdk.Quota, error) {
	f.mu.Lock()
	src := f.source
	f.mu.Unlock()
	if src == nil {
		return nil, nil, sdk.Invalid("not_configured", "the feed plugin has not been configured")
	}
	return src.catalog(ctx)
}

// FetchProducts implements sdk.Collector: one download (or none, while
// the cached feed is fresh) answers the whole batch.
func (f *Feed) FetchProducts(ctx context.Context, req *sdk.FetchProductsRequest) (*sdk.FetchProductsResponse, error) {
	cat, quota, err := f.catalog(ctx)
	if err != nil {
		return nil, err
	}
	resp := &sdk.FetchProductsResponse{Quota: quota, Results: make([]sdk.ProductResult, len(req.IDs))}
	for i, id := range req.IDs {
		r := sdk.ProductResult{ID: id, Product: cat.products[id], Err: cat.errs[id]}
		if r.Product == nil && r.Err == nil {
			r.Err = sdk.NotFound("not_in_feed", fmt.Sprintf("product %s is not in the feed", id))
		}
		resp.Results[i] = r
	}
	return resp, nil
}

// cursor is where a listing resumes: after the id After, which survives
// rows added or removed before it, or at Offset when After has left the
// feed.
type cursor struct {
	Offset int    `json:"o"`
	After  string `json:"a"`
}

func (c cursor) encode() string { return sdk.EncodeCursor(c) }

func decodeCursor(s string) (cursor, error) {
	var c cursor
	if err := sdk.DecodeCursor(s, &c); err != nil || c.Offset < 0 || c.After == "" {
		return c, sdk.BadCursor(s)
	}
	return c, nil
}

// ListProducts implements sdk.Collector: the feed's product ids in feed
// order, a page at a time.
func (f *Feed) ListProducts(ctx context.Context, req *sdk.ListProductsRequest) (*sdk.ListProductsResponse, error) {
	var from cursor
	if req.Cursor != "" {
		c, err := decodeCursor(req.Cursor)
		if err != nil {
			return nil, err
		}
		from = c
	}
	cat, quota, err := f.catalog(ctx)
	if err != nil {
		return nil, err
	}
	start := min(from.Offset, len(cat.ids))
	if i := slices.Index(cat.ids, from.After); from.After != "" && i >= 0 {
		start = i + 1
	}
	size := req.PageSize
	if size <= 0 || size > maxListPage {
		size = maxListPage
	}
	end := min(start+size, len(cat.ids))
	resp := &sdk.ListProductsResponse{IDs: slices.Clone(cat.ids[start:end]), Quota: quota}
	if end < len(cat.ids) {
		resp.NextCursor = cursor{Offset: end, After: cat.ids[end-1]}.encode()
	}
	return resp, nil
}
