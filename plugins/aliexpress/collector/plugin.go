package collector

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/marketsync/marketsync/plugins/aliexpress/iop"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/httpclient"
)

// Version of the AliExpress plugin.
const Version = "0.1.0"

// Names of the config fields: the shared ones (sdk.AppSpec) and
// AliExpress's own.
const (
	FieldAppKey         = sdk.FieldAppKey
	FieldAppSecret      = sdk.FieldAppSecret
	FieldAccessToken    = sdk.FieldAccessToken
	FieldEndpoint       = sdk.FieldEndpoint
	FieldTimeout        = sdk.FieldTimeout
	FieldProxies        = sdk.FieldProxies
	FieldShipToCountry  = "ship_to_country"
	FieldTargetCurrency = "target_currency"
	FieldTargetLanguage = "target_language"
)

// The APIs the plugin calls.
const (
	methodProductGet  = "aliexpress.ds.product.get"
	methodProductList = "aliexpress.solution.product.list.get"
)

// Limits declared in Describe, each with where it comes from.
const (
	// maxFetchBatch: aliexpress.ds.product.get takes one product_id, a
	// Number (https://open.alitrip.com/docs/doc.htm?articleId=60452&docType=2&treeId=762),
	// so one product is one call; declaring more would let the host count
	// one token for many calls.
	maxFetchBatch = 1
	// maxListPage: aliexpress.solution.product.list.get's page_size "must
	// be less than 100, the default value of which is 20"
	// (https://api.alidayu.com/docs/api.htm?apiId=42384).
	maxListPage = 99
	// maxResolveBatch bounds ResolveURLs, which calls nothing: it keeps
	// one request and its answer small.
	maxResolveBatch = 1000
	// rate and burst: the platform publishes no per-second figure for the
	// dropshipping APIs. "API access count limitation"
	// (https://developer.alibaba.com/docs/doc.htm?articleId=108426&docType=1&treeId=502)
	// describes a daily quota per app key, shown in the app console, and
	// per-API limits per second whose excess bans the caller for a second
	// (the "this ban will last 1 seconds" of ApiCallLimit). The figures it
	// did publish for product APIs are higher (80 calls a second for
	// aliexpress.solution.product.info.get, API changes of 2021-09-08,
	// articleId=109105), so 10 a second stays under them; an operator
	// whose app has a known quota sets it in the platform block.
	rate  = 10
	burst = 10
)

// targetCurrencies are the target_currency values the dropshipping APIs
// accept: "USD, GBP, CAD, EUR, UAH, MXN, TRY, RUB, BRL, AUD, INR, JPY,
// IDR, SEK, KRW" (aliexpress.ds.recommend.feed.get,
// https://open.alitrip.com/docs/doc.htm?articleId=60366&docType=2&treeId=762).
var targetCurrencies = []string{"USD", "GBP", "CAD", "EUR", "UAH", "MXN", "TRY", "RUB", "BRL", "AUD", "INR", "JPY", "IDR", "SEK", "KRW"}

var app = sdk.AppSpec{
	Plugin:          Source,
	Key:             "App Key of the AliExpress open platform app (console.aliexpress.com).",
	Secret:          "App Secret of the app; it signs every request.",
	Token:           "Access token the AliExpress account granted the app (sent as session).",
	DefaultEndpoint: iop.DefaultEndpoint,
	Endpoint:        "Gateway base URL; /sync and /rest are added to it.",
	Timeout:         "Time one call to the platform may take, answer included.",
	Proxies:         "Outbound proxies (http, https, socks5 URLs), used in turn when one fails.",
}

var spec = app.Fields(
	sdk.ConfigField{Name: FieldShipToCountry, Type: sdk.FieldString, Default: "US", Description: "ship_to_country: the country prices, stock and availability are for (ISO 3166 alpha-2)."},
	sdk.ConfigField{Name: FieldTargetCurrency, Type: sdk.FieldString, Default: "USD", Description: "target_currency of prices: " + strings.Join(targetCurrencies, ", ") + "."},
	sdk.ConfigField{Name: FieldTargetLanguage, Type: sdk.FieldString, Default: "EN", Description: "target_language of titles and texts: " + strings.Join(languageCodes(), ", ") + "."},
)

func languageCodes() []string {
	codes := make([]string, 0, len(Languages))
	for c := range Languages {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	return codes
}

// Plugin collects AliExpress listings through the open platform.
type Plugin struct {
	cfg sdk.Configured[settings]
	// now stamps requests; tests replace it.
	now func() time.Time
}

// settings is one Configure's outcome.
type settings struct {
	client   *iop.Client
	shipTo   string
	currency string
	language string
}

var (
	_ sdk.Plugin      = (*Plugin)(nil)
	_ sdk.Collector   = (*Plugin)(nil)
	_ sdk.URLResolver = (*Plugin)(nil)
)

// New returns an unconfigured plugin.
func New() *Plugin { return &Plugin{cfg: sdk.Configured[settings]{Spec: app}, now: time.Now} }

// Describe implements sdk.Plugin.
func (p *Plugin) Describe() sdk.Description {
	return sdk.Description{
		Name:    Source,
		Version: Version,
		Summary: "AliExpress open platform: product details (aliexpress.ds.product.get) and a store's product list",
		Limits: sdk.Limits{
			Rate:  rate,
			Burst: burst,
			Operations: map[sdk.Operation]sdk.OperationLimit{
				sdk.OpFetchProducts: {MaxBatch: maxFetchBatch},
				sdk.OpListProducts:  {MaxBatch: maxListPage},
				sdk.OpResolveURLs:   {MaxBatch: maxResolveBatch},
			},
		},
		Config: spec,
	}
}

var country = regexp.MustCompile(`^[A-Z]{2}$`)

// Configure implements sdk.Plugin. It checks the values and builds the
// client; it does not call the platform.
func (p *Plugin) Configure(_ context.Context, cfg *sdk.Config) error {
	bad := func(format string, args ...any) error { return sdk.Invalid("config", fmt.Sprintf(format, args...)) }
	a := app.Read(cfg)
	if err := a.Check(); err != nil {
		return err
	}
	s := &settings{
		shipTo:   cfg.String(FieldShipToCountry),
		currency: cfg.String(FieldTargetCurrency),
		language: cfg.String(FieldTargetLanguage),
	}
	if !country.MatchString(s.shipTo) {
		return bad("%s %q must be an ISO 3166 alpha-2 code such as US", FieldShipToCountry, s.shipTo)
	}
	if !slices.Contains(targetCurrencies, s.currency) {
		return bad("%s %q is not one of %s", FieldTargetCurrency, s.currency, strings.Join(targetCurrencies, ", "))
	}
	if _, ok := Languages[s.language]; !ok {
		return bad("%s %q is not one of %s", FieldTargetLanguage, s.language, strings.Join(languageCodes(), ", "))
	}
	hc, err := httpclient.New(httpclient.Options{Timeout: a.Timeout, Proxies: a.Proxies})
	if err != nil {
		return bad("%s: %v", FieldProxies, err)
	}
	s.client, err = iop.New(iop.Options{
		Endpoint:    a.Endpoint,
		HTTP:        hc,
		Now:         p.now,
		Credentials: iop.Credentials{AppKey: a.AppKey, AppSecret: a.AppSecret, AccessToken: a.AccessToken},
	})
	if err != nil {
		return bad("%v", err)
	}
	p.cfg.Set(s)
	return nil
}

func (p *Plugin) settings() (*settings, error) { return p.cfg.Get() }

// productID is what aliexpress.ds.product.get takes: a positive decimal
// number, ids being 10 to 16 digits today.
var productID = regexp.MustCompile(`^[1-9][0-9]{0,18}$`)

// CodeBadID is the code of the per-item NOT_FOUND for an id that cannot
// name an AliExpress product.
const CodeBadID = "bad_product_id"

// FetchProducts implements sdk.Collector: one aliexpress.ds.product.get
// call per id, in the target language and currency, shipped to the
// configured country. The request's Locales and Currency, when the
// platform can serve them, win over the configured ones.
//
// An id the platform does not know, a deleted, off-shelf or not-shippable
// product fails alone. A failure of the call itself (flow control, a
// refused token, a broken connection) is returned for the whole call, as
// the host sends one id at a time (MaxBatch 1) and must see it to back
// off or re-authenticate.
func (p *Plugin) FetchProducts(ctx context.Context, req *sdk.FetchProductsRequest) (*sdk.FetchProductsResponse, error) {
	s, err := p.settings()
	if err != nil {
		return nil, err
	}
	t := Target{Language: s.languageFor(req.Locales), Currency: s.currencyFor(req.Currency)}
	resp := &sdk.FetchProductsResponse{Results: make([]sdk.ProductResult, len(req.IDs))}
	for i, id := range req.IDs {
		resp.Results[i].ID = id
		if !productID.MatchString(id) {
			resp.Results[i].Err = sdk.NotFound(CodeBadID, fmt.Sprintf("%q is not an AliExpress product id", id))
			continue
		}
		raw, err := s.client.Call(ctx, methodProductGet, map[string]string{
			"product_id":      id,
			"ship_to_country": s.shipTo,
			"target_currency": t.Currency,
			"target_language": t.Language,
		})
		if err != nil {
			return nil, err
		}
		var r ProductGetResponse
		if err := json.Unmarshal(raw, &r); err != nil {
			resp.Results[i].Err = sdk.Unavailable(iop.CodeMalformed, "product answer: "+err.Error())
			continue
		}
		resp.Results[i].Product, resp.Results[i].Err = Product(id, &r, t)
	}
	return resp, nil
}

// languageFor picks the target_language for the caller's preferred
// locales: the first one the platform translates into, else the
// configured language.
func (s *settings) languageFor(locales []string) string {
	for _, loc := range locales {
		want := strings.ToLower(strings.ReplaceAll(loc, "_", "-"))
		base, _, _ := strings.Cut(want, "-")
		best := ""
		for code, tag := range Languages {
			switch strings.ToLower(tag) {
			case want:
				return preferred(code)
			case base:
				best = preferred(code)
			}
		}
		if best != "" {
			return best
		}
	}
	return s.language
}

// preferred maps the legacy codes of a language to the current one, so
// that a choice between them does not depend on map order.
func preferred(code string) string {
	switch code {
	case "IN":
		return "ID"
	case "IW":
		return "HE"
	}
	return code
}

// currencyFor is the caller's currency when the platform converts into
// it, else the configured one.
func (s *settings) currencyFor(want string) string {
	if slices.Contains(targetCurrencies, want) {
		return want
	}
	return s.currency
}

// ListProducts implements sdk.Collector with
// aliexpress.solution.product.list.get: the on-sale products of the store
// that authorized the token, page by page. Scope is a product owner's
// login id (owner_member_id, which tells a main account's products from
// a sub-account's); empty lists the whole store. The cursor carries the
// next page number and the page size, so a listing resumes where it
// stopped.
//
// The dropshipping APIs have no per-store listing (their text and feed
// searches span all sellers); this API lists one store with documented
// pages and only its products on sale, so every id it yields can be
// fetched.
func (p *Plugin) ListProducts(ctx context.Context, req *sdk.ListProductsRequest) (*sdk.ListProductsResponse, error) {
	s, err := p.settings()
	if err != nil {
		return nil, err
	}
	c := cursor{scope: req.Scope, page: 1, size: int64(req.PageSize)}
	if c.size <= 0 || c.size > maxListPage {
		c.size = maxListPage
	}
	if req.Cursor != "" {
		var cerr *sdk.Error
		if c, cerr = decodeCursor(req.Cursor, req.Scope); cerr != nil {
			return nil, cerr
		}
	}
	query := map[string]any{"current_page": c.page, "page_size": c.size, "product_status_type": "onSelling"}
	if c.scope != "" {
		query["owner_member_id"] = c.scope
	}
	q, _ := json.Marshal(query)
	raw, err := s.client.Call(ctx, methodProductList, map[string]string{"aeop_a_e_product_list_query": string(q)})
	if err != nil {
		return nil, err
	}
	var r ProductListResponse
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, sdk.Unavailable(iop.CodeMalformed, "product list answer: "+err.Error())
	}
	page, perr := ReadPage(&r)
	if perr != nil {
		return nil, perr
	}
	resp := &sdk.ListProductsResponse{IDs: page.IDs}
	if c.page < page.Total && len(page.IDs) > 0 {
		resp.NextCursor = cursor{scope: c.scope, page: c.page + 1, size: c.size}.encode()
	}
	return resp, nil
}
