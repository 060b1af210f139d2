package collector

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/marketsync/marketsync/plugins/alibaba1688/aop"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/httpclient"
)

// Name and Version of the plugin.
const (
	Name    = "alibaba1688"
	Version = "0.1.0"
)

// Config field names: the shared ones (sdk.AppSpec) and 1688's own.
const (
	FieldAppKey      = sdk.FieldAppKey
	FieldAppSecret   = sdk.FieldAppSecret
	FieldAccessToken = sdk.FieldAccessToken
	FieldEndpoint    = sdk.FieldEndpoint
	FieldTimeout     = sdk.FieldTimeout
	FieldProxies     = sdk.FieldProxies
	FieldCountry     = "country"
	FieldShop        = "seller_open_id"
)

// The APIs this plugin calls.
//
// Offer details come from com.alibaba.product:alibaba.cross.productInfo-1
// ("get product details in cross-border scenarios"). Its documentation
// page documents the whole product model a collector needs (skuInfos with
// per-SKU prices, stock and images, saleInfo with quantity tiers and the
// distribution price, status) and both of its business errors. It is the
// buyer-side API of the cross-border distribution solution, which is what
// a collector is: it reads offers of other sellers once the app has added
// them to its listing list. alibaba.product.get returns the same product
// model, but we could not read its documentation page, so we would be
// guessing at its errors.
//
// Both product APIs take exactly one productId (a Long) per call, so the
// largest batch the platform allows for FetchProducts is one. The batch
// API of the family, alibaba.cross.productList, returns "product model
// V2" without skuInfos or saleInfo, so it cannot give variants or prices.
//
// A shop's offers come from
// com.alibaba.fenxiao.crossborder:product.search.querySellerOfferList-1
// ("multilingual search of the products in a seller's store"), which pages
// with offerQueryParam.beginPage/pageSize and names the shop by its masked
// sellerOpenId.
var (
	apiOfferDetail = aop.API{Namespace: "com.alibaba.product", Name: "alibaba.cross.productInfo", Version: 1}
	apiShopOffers  = aop.API{Namespace: "com.alibaba.fenxiao.crossborder", Name: "product.search.querySellerOfferList", Version: 1}
)

const (
	// maxFetchBatch: one productId per productInfo call (see above).
	maxFetchBatch = 1
	// maxListPage: the documentation of product.search.imageQuery, of the
	// same search family, caps pageSize at 50; the shop search's page does
	// not state a cap, so we keep to the family's.
	maxListPage = 50
	// maxResolveBatch bounds one ResolveURLs request. Resolving is local
	// parsing with no platform limit; the cap only keeps a request's size
	// reasonable for the host to batch.
	maxResolveBatch = 500
	// defaultRate and defaultBurst: 1688 sets each app's call-frequency
	// quota per app and API in the developer console ("flow control"); no
	// published figure was found. A conservative default: the operator
	// sets the real quota in the platform block, and the agent adapts to
	// gw.QosAppFrequencyLimit refusals in any case.
	defaultRate  = 5
	defaultBurst = 5
)

var app = sdk.AppSpec{
	Plugin:          Name,
	Key:             "App key (client_id) of the 1688 open platform app.",
	Secret:          "App secret (client_secret), the key of _aop_signature.",
	Token:           "User access_token from the platform's OAuth flow (auth.1688.com).",
	DefaultEndpoint: aop.DefaultEndpoint,
	Endpoint:        "Gateway base URL up to /openapi; tests point it at a simulator.",
	Timeout:         "Time limit of one call to the gateway.",
	// 1688 declares an empty list as the default of proxies.
	DefaultProxies: []string{},
	Proxies:        "Outbound proxies (http, https, socks5), used in turn when one fails.",
}

var spec = app.Fields(
	sdk.ConfigField{Name: FieldCountry, Type: sdk.FieldString, Default: "en", Description: "Language the shop search translates titles into (its required 'country' parameter, e.g. en, ja); the offers themselves are read in their own language."},
	sdk.ConfigField{Name: FieldShop, Type: sdk.FieldString, Default: "", Description: "sellerOpenId of the shop to list when a listing names no scope."},
)

// Plugin is the 1688 collector.
type Plugin struct {
	cfg sdk.Configured[settings]
	// now is the clock of the plugin's requests; tests replace it.
	now func() time.Time
}

// settings is one Configure's outcome.
type settings struct {
	client  *aop.Client
	country string
	shop    string
	// names caches category attribute names; a new configuration (new
	// credentials, another endpoint) starts an empty cache.
	names *categoryNames
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
		Name:    Name,
		Version: Version,
		Summary: "1688.com (Alibaba open platform) offers: details with SKUs, shop listings, offer URLs",
		Limits: sdk.Limits{
			Rate:  defaultRate,
			Burst: defaultBurst,
			Operations: map[sdk.Operation]sdk.OperationLimit{
				sdk.OpFetchProducts: {MaxBatch: maxFetchBatch},
				sdk.OpListProducts:  {MaxBatch: maxListPage},
				sdk.OpResolveURLs:   {MaxBatch: maxResolveBatch},
			},
		},
		Config: spec,
	}
}

// Configure implements sdk.Plugin. It builds the HTTP client and the
// gateway client; it does not call the platform.
func (p *Plugin) Configure(_ context.Context, cfg *sdk.Config) error {
	a := app.Read(cfg)
	if err := a.Check(); err != nil {
		return err
	}
	hc, err := httpclient.New(httpclient.Options{
		Timeout:   a.Timeout,
		Proxies:   a.Proxies,
		UserAgent: "marketsync-plugin-" + Name + "/" + Version,
		Now:       p.now,
	})
	if err != nil {
		return sdk.Invalid("config", err.Error())
	}
	client, err := aop.New(aop.Options{
		Endpoint:    a.Endpoint,
		AppKey:      strings.TrimSpace(a.AppKey),
		AppSecret:   a.AppSecret,
		AccessToken: a.AccessToken,
		HTTP:        hc,
		Now:         p.now,
	})
	if err != nil {
		return sdk.Invalid("config", err.Error())
	}
	country := strings.TrimSpace(cfg.String(FieldCountry))
	if country == "" {
		return sdk.Invalid("config", FieldCountry+" must not be empty: the shop search requires it")
	}
	names := newCategoryNames(p.now, func(ctx context.Context, category string) (map[string]string, error) {
		return fetchCategoryNames(ctx, client, p.now, category)
	})
	p.cfg.Set(&settings{client: client, country: country, shop: strings.TrimSpace(cfg.String(FieldShop)), names: names})
	return nil
}

func (p *Plugin) configured() (*aop.Client, string, string, error) {
	s, err := p.cfg.Get()
	if err != nil {
		return nil, "", "", err
	}
	return s.client, s.country, s.shop, nil
}

// FetchProducts implements sdk.Collector: one productInfo call per id.
// The declared batch cap is one, so the host sends one id at a time; a
// longer list (in-process callers) is fetched in turn, and a refusal of
// the call (rate limit, credentials) fails the whole call. Ids that
// cannot be 1688 offer ids are NOT_FOUND without a call.
//
// An offer whose answer names its SKU properties by id alone takes its
// category's attribute names, one alibaba.category.attribute.get per
// category and cache lifetime (see categoryNames); a property that
// remains unnamed fails the offer with unnamed_option.
//
// The platform neither translates nor converts in this API: req.Locales
// and req.Currency are not honoured, and products come in their own
// language (zh-CN for nearly all offers) and in CNY.
func (p *Plugin) FetchProducts(ctx context.Context, req *sdk.FetchProductsRequest) (*sdk.FetchProductsResponse, error) {
	s, err := p.cfg.Get()
	if err != nil {
		return nil, err
	}
	resp := &sdk.FetchProductsResponse{Results: make([]sdk.ProductResult, len(req.IDs))}
	for i, id := range req.IDs {
		resp.Results[i].ID = id
		if !isOfferID(id) {
			resp.Results[i].Err = sdk.NotFound(CodeNotAnOfferID, fmt.Sprintf("%q is not a 1688 offer id", id))
			continue
		}
		prod, perr, err := p.fetchOffer(ctx, s, id)
		if err != nil {
			return nil, err
		}
		resp.Results[i].Product, resp.Results[i].Err = prod, perr
	}
	return resp, nil
}

// fetchOffer reads one offer and, when its answer leaves SKU properties
// unnamed, its category's attribute names.
func (p *Plugin) fetchOffer(ctx context.Context, s *settings, id string) (*sdk.Product, *sdk.Error, error) {
	body, err := s.client.Call(ctx, apiOfferDetail, aop.Param{Key: "productId", Value: id})
	if err != nil {
		return nil, nil, err
	}
	info, perr, err := readOffer(id, body)
	if err != nil || perr != nil {
		return nil, perr, err
	}
	var names map[string]string
	if unnamed := info.unnamedAttrs(); len(unnamed) > 0 && info.onSale() {
		category := string(info.CategoryID)
		if category == "" {
			return nil, sdk.Invalid(CodeUnnamedOption, fmt.Sprintf("offer %s names SKU properties %s by id only and gives no categoryID to look them up in", id, strings.Join(unnamed, ", "))), nil
		}
		names, err = s.names.Get(ctx, category)
		if e, ok := sdk.AsError(err); ok && (e.Kind == sdk.KindInvalid || e.Kind == sdk.KindNotFound) {
			return nil, sdk.Invalid(CodeUnnamedOption, fmt.Sprintf("offer %s: the names of SKU properties %s cannot be read: %s %s", id, strings.Join(unnamed, ", "), e.Code, e.Message)), nil
		}
		if err != nil {
			return nil, nil, err
		}
	}
	prod, perr := mapOffer(id, info, names)
	return prod, perr, nil
}

// offerQuery is product.search.querySellerOfferList's offerQueryParam,
// sent as a JSON string (object-typed parameters travel as JSON).
type offerQuery struct {
	BeginPage    int    `json:"beginPage"`
	PageSize     int    `json:"pageSize"`
	Country      string `json:"country"`
	SellerOpenID string `json:"sellerOpenId"`
}

// shopOffersReply is the documented ResultModel wrapping a PageInfo.
type shopOffersReply struct {
	Result *struct {
		Success *flexBool      `json:"success"`
		Code    string         `json:"code"`
		Message string         `json:"message"`
		Result  *shopOfferPage `json:"result"`
	} `json:"result"`
}

type shopOfferPage struct {
	TotalRecords int `json:"totalRecords"`
	TotalPage    int `json:"totalPage"`
	PageSize     int `json:"pageSize"`
	CurrentPage  int `json:"currentPage"`
	Data         []struct {
		OfferID decimal `json:"offerId"`
	} `json:"data"`
}

// ListProducts implements sdk.Collector: one page of a shop's offers. The
// scope is the shop's sellerOpenId (or the configured seller_open_id); the
// cursor names the shop, the next page and the page size, so a listing
// resumes where it stopped. Page sizes are capped at 50.
func (p *Plugin) ListProducts(ctx context.Context, req *sdk.ListProductsRequest) (*sdk.ListProductsResponse, error) {
	client, country, defaultShop, err := p.configured()
	if err != nil {
		return nil, err
	}
	c := cursor{Version: 1, Shop: strings.TrimSpace(req.Scope), Page: 1, Size: req.PageSize}
	if req.Cursor != "" {
		got, cerr := decodeCursor(req.Cursor)
		if cerr != nil {
			return nil, cerr
		}
		if c.Shop != "" && c.Shop != got.Shop {
			return nil, sdk.Invalid(CodeBadCursor, fmt.Sprintf("the cursor lists shop %s, not %s", got.Shop, c.Shop))
		}
		c = got
	}
	if c.Shop == "" {
		c.Shop = defaultShop
	}
	if c.Shop == "" {
		return nil, sdk.Invalid("no_scope", "name the shop to list: a scope (its sellerOpenId) or the seller_open_id setting")
	}
	if c.Size <= 0 || c.Size > maxListPage {
		c.Size = maxListPage
	}
	q, _ := json.Marshal(offerQuery{BeginPage: c.Page, PageSize: c.Size, Country: country, SellerOpenID: c.Shop})
	body, err := client.Call(ctx, apiShopOffers, aop.Param{Key: "offerQueryParam", Value: string(q)})
	if err != nil {
		return nil, err
	}
	var r shopOffersReply
	if err := json.Unmarshal(body, &r); err != nil || r.Result == nil {
		return nil, sdk.Unavailable(CodeBadResponse, fmt.Sprintf("shop search reply is not the documented JSON: %v", err))
	}
	if r.Result.Success == nil || !bool(*r.Result.Success) {
		code := r.Result.Code
		if code == "" {
			code = CodeBusinessError
		}
		return nil, aop.Classify(200, code, r.Result.Message, nil, p.now())
	}
	resp := &sdk.ListProductsResponse{}
	page := r.Result.Result
	if page == nil {
		return resp, nil
	}
	for _, d := range page.Data {
		if id := string(d.OfferID); id != "" {
			resp.IDs = append(resp.IDs, id)
		}
	}
	if len(page.Data) > 0 && (page.TotalPage > c.Page || (page.TotalPage == 0 && len(page.Data) == c.Size)) {
		next := c
		next.Page++
		resp.NextCursor = next.encode()
	}
	return resp, nil
}

// ResolveURLs implements sdk.URLResolver. It parses each URL and never
// calls the platform.
func (p *Plugin) ResolveURLs(_ context.Context, req *sdk.ResolveURLsRequest) (*sdk.ResolveURLsResponse, error) {
	resp := &sdk.ResolveURLsResponse{Results: make([]sdk.ResolveResult, len(req.URLs))}
	for i, u := range req.URLs {
		id, err := offerID(u)
		resp.Results[i] = sdk.ResolveResult{URL: u, ID: id, Err: err}
	}
	return resp, nil
}
