package collector

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/marketsync/marketsync/plugins/pinduoduo/pdd"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/httpclient"
)

// Version of the plugin.
const Version = "0.1.0"

// Config field names: the shared ones (sdk.AppSpec) and Pinduoduo's own.
// The platform calls the app's key and secret client_id and
// client_secret.
const (
	FieldClientID     = "client_id"
	FieldClientSecret = "client_secret"
	FieldAccessToken  = sdk.FieldAccessToken
	FieldMallID       = "mall_id"
	FieldEndpoint     = sdk.FieldEndpoint
	FieldTimeout      = sdk.FieldTimeout
	FieldProxies      = sdk.FieldProxies
	FieldPriceType    = "price_type"
)

// The APIs this plugin calls, both of the merchant (商品API) family that an
// app authorised by the seller may call on the seller's own goods:
//
//   - pdd.goods.detail.get (商品明细) takes one goods_id and answers the whole
//     goods: name, description, status, images and every SKU with its specs,
//     price and multi_price in fen and its stock. It has no batch form, so
//     FetchProducts takes one id per call.
//   - pdd.goods.list.get (商品列表接口) pages through the authorised mall's
//     goods, page from 1 and page_size at most 100.
//
// The DuoDuoJinBao family (pdd.ddk.goods.detail, pdd.ddk.goods.search) is
// for promoters: it reaches any public goods, but by goods_sign (goodsId
// "已下线"), with min_group_price / min_normal_price and no SKUs or stock, so
// it cannot give the variants a catalogue needs; and it cannot list one
// shop's goods.
const (
	apiGoodsDetail = "pdd.goods.detail.get"
	apiGoodsList   = "pdd.goods.list.get"
)

// Documented limits.
const (
	// maxPageSize: pdd.goods.list.get page_size "默认 100，最大100".
	maxPageSize = 100
	// detailRate: pdd.goods.detail.get allows a merchant 3000 calls in 60
	// seconds (限流规则 of the API page, as carried by lywzx/pdd-node-sdk
	// PddGoodsDetailGet.ts: limiterLevel 1, timeRange 60, times 3000), so
	// 50 a second.
	detailRate = 3000.0 / 60
	// listCost: pdd.goods.list.get allows a merchant 1000 calls in 60
	// seconds ("商家限流频次：1000次/60秒", API page), a third of the detail
	// rate, so one list call takes three of the limiter's tokens.
	listCost = 3
	// maxResolveBatch bounds ResolveURLs, which the platform plays no
	// part in; it keeps one request's answer small.
	maxResolveBatch = 500
	// burst: the platform counts calls per 60-second window and documents
	// no burst; one second's worth keeps a fresh window from being spent
	// at once.
	burst = 50
)

var app = sdk.AppSpec{
	Plugin:          "pinduoduo",
	KeyField:        FieldClientID,
	SecretField:     FieldClientSecret,
	Key:             "client_id of the app on the Pinduoduo open platform (open.pinduoduo.com).",
	Secret:          "client_secret of the app; it signs every call.",
	Token:           "access_token the merchant granted the app; it names the mall whose goods are read.",
	DefaultEndpoint: pdd.DefaultEndpoint,
	Endpoint:        "Gateway URL; change it only to reach a simulator.",
	Timeout:         "Bound on one whole call to the gateway.",
	// Pinduoduo declares an empty list as the default of proxies.
	DefaultProxies: []string{},
	Proxies:        "Outbound proxies (http, https, socks5, socks5h URLs), rotated when one fails.",
}

// spec keeps mall_id next to the credentials, where it has always been
// listed.
var spec = slices.Insert(app.Fields(
	sdk.ConfigField{Name: FieldPriceType, Type: sdk.FieldString, Default: PriceSingle, Description: "Which price becomes the variant price: \"single\" (单买价) or \"group\" (拼团价)."},
), 3, sdk.ConfigField{Name: FieldMallID, Type: sdk.FieldString, Default: "", Description: "The mall (shop) id the access token belongs to; list scopes must name it. Empty accepts only the empty scope."})

// Plugin is the Pinduoduo collector. It keeps no state between calls but
// its configuration.
type Plugin struct {
	// Now is the clock of the timestamp parameter; nil means time.Now.
	Now func() time.Time

	cfg sdk.Configured[settings]

	logOnce sync.Once
	logger  *slog.Logger
}

type settings struct {
	client    *pdd.Client
	mallID    string
	priceType string
	// templates caches category templates; a new configuration starts an
	// empty cache.
	templates *templates
}

var (
	_ sdk.Plugin      = (*Plugin)(nil)
	_ sdk.Collector   = (*Plugin)(nil)
	_ sdk.URLResolver = (*Plugin)(nil)
)

// New returns an unconfigured plugin.
func New() *Plugin { return &Plugin{cfg: sdk.Configured[settings]{Spec: app}} }

// Describe implements sdk.Plugin.
func (p *Plugin) Describe() sdk.Description {
	return sdk.Description{
		Name:    "pinduoduo",
		Version: Version,
		Summary: "Pinduoduo open platform (拼多多开放平台): a merchant's own goods through pdd.goods.detail.get and pdd.goods.list.get",
		Limits: sdk.Limits{
			Rate:  detailRate,
			Burst: burst,
			Operations: map[sdk.Operation]sdk.OperationLimit{
				sdk.OpFetchProducts: {MaxBatch: 1, Cost: 1},
				sdk.OpListProducts:  {MaxBatch: maxPageSize, Cost: listCost},
				// Resolving makes no call; the cap only bounds one request.
				sdk.OpResolveURLs: {MaxBatch: maxResolveBatch},
			},
		},
		Config: spec,
	}
}

// Configure implements sdk.Plugin. It checks and stores the settings and
// builds the HTTP client; it does not call the platform.
func (p *Plugin) Configure(_ context.Context, cfg *sdk.Config) error {
	a := app.Read(cfg)
	if err := a.Check(); err != nil {
		return err
	}
	priceType := cfg.String(FieldPriceType)
	if priceType != PriceSingle && priceType != PriceGroup {
		return sdk.Invalid("config", fmt.Sprintf("%s must be %q or %q, got %q", FieldPriceType, PriceSingle, PriceGroup, priceType))
	}
	if m := cfg.String(FieldMallID); m != "" && !validID(m) {
		return sdk.Invalid("config", fmt.Sprintf("%s must be a numeric mall id, got %q", FieldMallID, m))
	}
	h, err := httpclient.New(httpclient.Options{Timeout: a.Timeout, Proxies: a.Proxies})
	if err != nil {
		return sdk.Invalid("config", err.Error())
	}
	cred := pdd.Credentials{ClientID: a.AppKey, ClientSecret: a.AppSecret, AccessToken: a.AccessToken}
	client := pdd.NewClient(a.Endpoint, cred, h, p.Now)
	now := p.Now
	if now == nil {
		now = time.Now
	}
	tpl := newTemplates(now, func(ctx context.Context, cat int64) (propertyNames, error) {
		var t catTemplate
		_, err := client.Call(ctx, apiCatTemplate, map[string]string{"cat_id": count(cat).String()}, "open_api_response", &t)
		if apiErr, ok := err.(*pdd.APIError); ok && lacksPermission(apiErr) {
			// The app lacks the permission package of the template API
			// (its credentials are fine: the goods detail call passed):
			// the properties stay unnamed, and out, and the refusal is
			// kept like an answer so that every goods of the category
			// does not ask again.
			p.log().Warn("category template refused: the app lacks permission for "+apiCatTemplate+"; goods properties of this category are left out",
				"cat_id", count(cat).String(), "error", apiErr.Error())
			return propertyNames{refused: true}, nil
		}
		if err != nil {
			return propertyNames{}, err
		}
		return namesOf(&t), nil
	})
	p.cfg.Set(&settings{client: client, mallID: cfg.String(FieldMallID), priceType: priceType, templates: tpl})
	return nil
}

func (p *Plugin) settings() (*settings, error) { return p.cfg.Get() }

// lacksPermission reports the refusals that mean the app may not call an
// API at all (20031 用户没有授权访问此接口, 30000 没有调用此target接口权限),
// as opposed to bad or expired credentials, which fail every call.
func lacksPermission(e *pdd.APIError) bool { return e.Code == 20031 || e.Code == 30000 }

// FetchProducts implements sdk.Collector with one pdd.goods.detail.get per
// id (the host sends one, the declared batch cap). An id that is malformed,
// unknown to the mall, off the shelf or deleted is a per-item error; a
// refusal of the call itself (credentials, signature, rate limit, the
// platform down) fails the call.
func (p *Plugin) FetchProducts(ctx context.Context, req *sdk.FetchProductsRequest) (*sdk.FetchProductsResponse, error) {
	s, err := p.settings()
	if err != nil {
		return nil, err
	}
	out := &sdk.FetchProductsResponse{Results: make([]sdk.ProductResult, len(req.IDs))}
	for i, id := range req.IDs {
		out.Results[i].ID = id
		if !validID(id) {
			out.Results[i].Err = sdk.NotFound("invalid_goods_id", fmt.Sprintf("%q is not a Pinduoduo goods id", id))
			continue
		}
		var d goodsDetail
		_, err := s.client.Call(ctx, apiGoodsDetail, map[string]string{"goods_id": id}, "goods_detail_get_response", &d)
		if apiErr, ok := err.(*pdd.APIError); ok && apiErr.GoodsMissing() {
			e := apiErr.SDK()
			e.Kind = sdk.KindNotFound
			out.Results[i].Err = e
			continue
		}
		if ce, ok := err.(*pdd.ContentError); ok {
			out.Results[i].Err = sdk.Invalid("pdd_bad_goods", ce.Error())
			continue
		}
		if err != nil {
			return nil, pdd.CallError(err)
		}
		if d.GoodsID.String() != id {
			out.Results[i].Err = sdk.Invalid("pdd_bad_goods", fmt.Sprintf("asked for goods %s, got %s", id, d.GoodsID))
			continue
		}
		names, err := p.propertyNames(ctx, s, &d)
		if err != nil {
			return nil, err
		}
		prod, unnamed, perr := mapGoods(&d, s.priceType, names)
		if len(unnamed) > 0 && !names.refused { // a refusal was logged once, when it came
			p.log().Warn("goods properties left out: the category template does not name them",
				"goods_id", id, "cat_id", d.CatID.String(), "template_pids", unnamed)
		}
		out.Results[i].Product, out.Results[i].Err = prod, perr
	}
	return out, nil
}

// propertyNames returns the template of the goods' category when it has
// properties to name (one pdd.goods.cat.template.get per category while
// cached). A refusal of the call itself fails the whole call; a template
// the platform will not give for this category leaves the properties
// unnamed, and so out.
func (p *Plugin) propertyNames(ctx context.Context, s *settings, d *goodsDetail) (propertyNames, error) {
	if len(d.GoodsPropertyList) == 0 || d.CatID == 0 || d.Status == goodsOffShelf || d.Status == goodsDeleted ||
		!slices.ContainsFunc(d.SkuList, func(s skuDetail) bool { return s.IsOnsale == 1 }) {
		return propertyNames{}, nil // nothing to name, or goods no one can buy
	}
	names, err := s.templates.Get(ctx, int64(d.CatID))
	if apiErr, ok := err.(*pdd.APIError); ok {
		if k := apiErr.SDK().Kind; k == sdk.KindInvalid || k == sdk.KindNotFound {
			p.log().Warn("category template refused", "cat_id", d.CatID.String(), "goods_id", d.GoodsID.String(), "error", apiErr.Error())
			return propertyNames{}, nil
		}
	}
	if _, ok := err.(*pdd.ContentError); ok {
		p.log().Warn("category template unreadable", "cat_id", d.CatID.String(), "error", err.Error())
		return propertyNames{}, nil
	}
	if err != nil {
		return propertyNames{}, pdd.CallError(err)
	}
	return names, nil
}

func (p *Plugin) log() *slog.Logger {
	p.logOnce.Do(func() { p.logger = sdk.Logger().With("plugin", "pinduoduo") })
	return p.logger
}

// listCursor is what a ListProducts cursor carries: the scope it belongs
// to, the next page and the page size, which must not change while paging
// or the pages would not line up.
type listCursor struct {
	Scope string `json:"s"`
	Page  int    `json:"p"`
	Size  int    `json:"n"`
}

func (c listCursor) encode() string { return sdk.EncodeCursor(c) }

// decodeCursor reads a cursor and checks that it belongs to scope.
func decodeCursor(s, scope string) (listCursor, *sdk.Error) {
	var c listCursor
	if err := sdk.DecodeCursor(s, &c); err != nil || c.Page < 1 || c.Size < 1 || c.Size > maxPageSize {
		return listCursor{}, sdk.BadCursor(s)
	}
	if c.Scope != scope {
		return listCursor{}, sdk.Invalid(sdk.CodeBadCursor, fmt.Sprintf("cursor belongs to scope %q, not %q", c.Scope, scope))
	}
	return c, nil
}

// ListProducts implements sdk.Collector: the goods on the shelf of the
// mall the access token belongs to (pdd.goods.list.get with is_onsale=1),
// a page at a time. The scope is that mall's id, or empty; the token
// cannot read another mall, so naming one is INVALID. The cursor is
// opaque and resumable: it holds the scope, page and page size.
//
// Paging is by page number, as the API offers no other way, so goods
// added or removed while listing can shift the pages by a few items.
func (p *Plugin) ListProducts(ctx context.Context, req *sdk.ListProductsRequest) (*sdk.ListProductsResponse, error) {
	s, err := p.settings()
	if err != nil {
		return nil, err
	}
	if req.Scope != "" && req.Scope != s.mallID {
		if s.mallID == "" {
			return nil, sdk.Invalid("scope", fmt.Sprintf("scope %q names a mall, but mall_id is not configured; the access token reads only its own mall", req.Scope))
		}
		return nil, sdk.Invalid("scope", fmt.Sprintf("scope %q is not mall %s, the only one the access token reads", req.Scope, s.mallID))
	}
	cur := listCursor{Scope: req.Scope, Page: 1, Size: req.PageSize}
	if cur.Size <= 0 || cur.Size > maxPageSize {
		cur.Size = maxPageSize
	}
	if req.Cursor != "" {
		c, bad := decodeCursor(req.Cursor, req.Scope)
		if bad != nil {
			return nil, bad
		}
		cur = c
	}
	var page goodsList
	resp, err := s.client.Call(ctx, apiGoodsList, map[string]string{
		"is_onsale": "1",
		"page":      strconv.Itoa(cur.Page),
		"page_size": strconv.Itoa(cur.Size),
	}, "goods_list_get_response", &page)
	if err != nil {
		return nil, pdd.CallError(err)
	}
	out := &sdk.ListProductsResponse{IDs: make([]string, 0, len(page.GoodsList)), Quota: resp.Quota}
	for _, g := range page.GoodsList {
		out.IDs = append(out.IDs, g.GoodsID.String())
	}
	if len(page.GoodsList) == cur.Size && int64(cur.Page)*int64(cur.Size) < page.TotalCount {
		out.NextCursor = listCursor{Scope: cur.Scope, Page: cur.Page + 1, Size: cur.Size}.encode()
	}
	return out, nil
}

// ResolveURLs implements sdk.URLResolver without calling the platform.
func (p *Plugin) ResolveURLs(_ context.Context, req *sdk.ResolveURLsRequest) (*sdk.ResolveURLsResponse, error) {
	out := &sdk.ResolveURLsResponse{Results: make([]sdk.ResolveResult, len(req.URLs))}
	for i, raw := range req.URLs {
		id, err := resolveURL(raw)
		out.Results[i] = sdk.ResolveResult{URL: raw, ID: id, Err: err}
	}
	return out, nil
}
