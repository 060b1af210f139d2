package collector

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/marketsync/marketsync/plugins/taobao/top"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/httpclient"
)

// Version of the plugin.
const Version = "0.1.0"

// Config field names: the shared ones (sdk.AppSpec) and Taobao's own.
// TOP calls the user's access token "session".
const (
	FieldAppKey     = sdk.FieldAppKey
	FieldAppSecret  = sdk.FieldAppSecret
	FieldSession    = "session"
	FieldEndpoint   = sdk.FieldEndpoint
	FieldSignMethod = "sign_method"
	FieldTimeout    = sdk.FieldTimeout
	FieldProxies    = sdk.FieldProxies
	FieldSellerID   = "seller_id"
)

// The APIs this plugin calls.
//
// Item details come from taobao.items.seller.list.get: it returns the
// full Item (SKUs, images, properties) of up to 20 items of the
// authorising seller per call. taobao.item.seller.get returns the same
// structure for one item per call, which would spend twenty times the
// quota; taobao.item.get, the public one, is no longer granted to new
// apps. Listing uses taobao.items.onsale.get, the seller's on-sale items
// with page_no/page_size paging and total_results, which returns only
// summary fields and is why details take a second call.
const (
	apiSellerList = "taobao.items.seller.list.get"
	apiOnSale     = "taobao.items.onsale.get"
)

// Documented limits.
const (
	// MaxFetchBatch: taobao.items.seller.list.get takes "一次最多不超过20个"
	// num_iids (apiId=40575 on developer.alibaba.com; the official PHP
	// SDK's ItemsSellerListGetRequest::check calls
	// checkMaxListSize($this->numIids, 20, "numIids")).
	MaxFetchBatch = 20
	// MaxPageSize and DefaultPageSize: taobao.items.onsale.get page_size
	// "最大值：200；默认值：40" (apiId=18).
	MaxPageSize     = 200
	DefaultPageSize = 40
	// MaxListDepth: the same page says the call fails once page_no ×
	// page_size goes beyond 20,000 ("超过2万 … 接口将报错"); a deeper
	// listing needs narrower conditions.
	MaxListDepth = 20000
	// dailyQuota is the call allowance of an app per day, shared by every
	// API. TOP sets it by the app's tag (the table is open.taobao.com doc
	// 103492, which we could not read); the platform's own support answer
	// on error 7 uses 20,000 calls a day as its example of an app's
	// threshold, and an app in the 正式测试环境 gets 5,000. We declare the
	// 20,000: the host spreads it evenly over the day, and an operator
	// with a larger package raises it in the platform block.
	dailyQuota = 20000
	// MaxResolveBatch bounds ResolveURLs. Resolving makes no platform
	// call, so the platform sets no cap; this one only keeps a request
	// and its answer to a modest message.
	MaxResolveBatch = 500
	// burst lets a collect job start without waiting; the gateway's
	// per-API flow rules answer a real burst with error 7 and a ban of a
	// few seconds, which the host honours.
	burst = 10
)

var app = sdk.AppSpec{
	Plugin:          "taobao",
	TokenField:      FieldSession,
	Key:             "App key the open platform issued to the app (app_key).",
	Secret:          "App secret; it keys the request signature and is never sent.",
	Token:           "The seller's access token (session parameter) from authorising the app.",
	DefaultEndpoint: top.DefaultEndpoint,
	Endpoint:        "TOP gateway URL; https://api.taobao.com/router/rest for servers overseas.",
	Timeout:         "Bound on one call to the gateway, from connecting to the last byte.",
	Proxies:         "Outbound proxies (http, https, socks5), used in turn when one fails.",
}

// spec keeps sign_method next to endpoint, where it has always been
// listed.
var spec = slices.Insert(app.Fields(
	sdk.ConfigField{Name: FieldSellerID, Type: sdk.FieldString, Description: "The authorising seller's id or shop id, accepted as the listing scope; the session decides whose items are read."},
), 4, sdk.ConfigField{Name: FieldSignMethod, Type: sdk.FieldString, Default: string(top.DefaultSignMethod), Description: "Signature digest: hmac-sha256, hmac (HMAC-MD5) or md5."})

// Plugin is the Taobao collector.
type Plugin struct {
	cfg sdk.Configured[settings]
	// now is the clock for the timestamp parameter; tests replace it.
	now func() time.Time
}

// settings is one Configure's outcome.
type settings struct {
	client   *top.Client
	sellerID string
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
		Name:    "taobao",
		Version: Version,
		Summary: "Taobao and Tmall listings of an authorising seller through the Taobao Open Platform (TOP)",
		Limits: sdk.Limits{
			Rate:  float64(dailyQuota) / (24 * 60 * 60),
			Burst: burst,
			Operations: map[sdk.Operation]sdk.OperationLimit{
				sdk.OpFetchProducts: {MaxBatch: MaxFetchBatch},
				sdk.OpListProducts:  {MaxBatch: MaxPageSize},
				sdk.OpResolveURLs:   {MaxBatch: MaxResolveBatch},
			},
		},
		Config: spec,
	}
}

// Configure implements sdk.Plugin. It checks the values and builds the
// client; it does not call the platform.
func (p *Plugin) Configure(_ context.Context, cfg *sdk.Config) error {
	method, err := top.ParseSignMethod(cfg.String(FieldSignMethod))
	if err != nil {
		return sdk.Invalid("config", err.Error())
	}
	a := app.Read(cfg)
	if err := a.Check(); err != nil {
		return err
	}
	hc, err := httpclient.New(httpclient.Options{Timeout: a.Timeout, Proxies: a.Proxies})
	if err != nil {
		return sdk.Invalid("config", err.Error())
	}
	creds := top.Credentials{AppKey: a.AppKey, AppSecret: a.AppSecret, Session: a.AccessToken}
	client, err := top.NewClient(a.Endpoint, creds, method, hc, p.now)
	if err != nil {
		return sdk.Invalid("config", err.Error())
	}
	p.cfg.Set(&settings{client: client, sellerID: cfg.String(FieldSellerID)})
	return nil
}

func (p *Plugin) configured() (*top.Client, string, error) {
	s, err := p.cfg.Get()
	if err != nil {
		return nil, "", err
	}
	return s.client, s.sellerID, nil
}

// FetchProducts implements sdk.Collector with one call of
// taobao.items.seller.list.get. An id that is not a number is refused
// alone; an id the answer leaves out is NOT_FOUND, since the API "获取不存在
// 的商品ID或获取别人的商品都不会报错，但没有商品数据返回" (returns nothing,
// and no error, for an item that does not exist, was deleted, or is
// another seller's). The request's Locales and Currency are not used: TOP
// neither translates nor converts, so products come in zh-CN and CNY.
func (p *Plugin) FetchProducts(ctx context.Context, req *sdk.FetchProductsRequest) (*sdk.FetchProductsResponse, error) {
	client, _, err := p.configured()
	if err != nil {
		return nil, err
	}
	resp := &sdk.FetchProductsResponse{Results: make([]sdk.ProductResult, len(req.IDs))}
	var ask []string
	seen := map[string]bool{}
	for i, id := range req.IDs {
		resp.Results[i].ID = id
		if !validID(id) {
			resp.Results[i].Err = sdk.Invalid("bad_id", fmt.Sprintf("%q is not a Taobao item id (num_iid)", id))
			continue
		}
		if !seen[id] {
			seen[id] = true
			ask = append(ask, id)
		}
	}
	if len(ask) > MaxFetchBatch {
		return nil, sdk.Invalid("batch_too_large", fmt.Sprintf("%s takes at most %d items, got %d", apiSellerList, MaxFetchBatch, len(ask)))
	}
	if len(ask) == 0 {
		return resp, nil
	}
	raw, err := client.Call(ctx, apiSellerList, map[string]string{"fields": itemFields, "num_iids": strings.Join(ask, ",")})
	if err != nil {
		return nil, err
	}
	var body itemList[item]
	if err := json.Unmarshal(raw, &body); err != nil {
		return nil, sdk.Unavailable("bad_response", fmt.Sprintf("%s: %v", apiSellerList, err))
	}
	found := make(map[string]*item, len(body.Items.Item))
	for i := range body.Items.Item {
		it := &body.Items.Item[i]
		found[it.NumIID.String()] = it
	}
	for i := range resp.Results {
		r := &resp.Results[i]
		if r.Err != nil {
			continue
		}
		it, ok := found[r.ID]
		if !ok {
			r.Err = sdk.NotFound("absent", fmt.Sprintf("item %s was not returned: it does not exist, was deleted or is not this seller's", r.ID))
			continue
		}
		r.Product, r.Err = mapItem(it)
	}
	return resp, nil
}

// itemList is the answer of an API that returns items: the list wrapped
// the non-simplified way, "items":{"item":[…]}, and for paged APIs the
// total. An empty list is left out of the answer altogether.
type itemList[T any] struct {
	Items struct {
		Item []T `json:"item"`
	} `json:"items"`
	TotalResults number `json:"total_results"`
}

// cursor is ListProducts' position: the next page of the on-sale list, in
// pages of a fixed size so that resuming with another PageSize neither
// skips nor repeats items. Scope ties it to the listing it came from.
type cursor struct {
	Scope string `json:"s,omitempty"`
	Page  int    `json:"p"`
	Size  int    `json:"n"`
}

func (c cursor) encode() string { return sdk.EncodeCursor(c) }

// decodeCursor reads a cursor and checks that it belongs to scope.
func decodeCursor(s, scope string) (cursor, *sdk.Error) {
	var c cursor
	if err := sdk.DecodeCursor(s, &c); err != nil || c.Page < 1 || c.Size < 1 || c.Size > MaxPageSize {
		return cursor{}, sdk.BadCursor(s)
	}
	if c.Scope != scope {
		return cursor{}, sdk.Invalid(sdk.CodeBadCursor, fmt.Sprintf("cursor belongs to scope %q, not %q", c.Scope, scope))
	}
	return c, nil
}

// ListProducts implements sdk.Collector with taobao.items.onsale.get. TOP
// lists the items of the seller whose session the plugin holds, so the
// scope may be empty or that seller's configured id, and nothing else.
func (p *Plugin) ListProducts(ctx context.Context, req *sdk.ListProductsRequest) (*sdk.ListProductsResponse, error) {
	client, sellerID, err := p.configured()
	if err != nil {
		return nil, err
	}
	if req.Scope != "" && req.Scope != sellerID {
		return nil, sdk.Invalid("bad_scope", fmt.Sprintf("scope %q: the session lists only its own seller's items (seller_id %q)", req.Scope, sellerID))
	}
	c := cursor{Scope: req.Scope, Page: 1, Size: req.PageSize}
	if c.Size <= 0 {
		c.Size = DefaultPageSize
	}
	c.Size = min(c.Size, MaxPageSize)
	if req.Cursor != "" {
		got, bad := decodeCursor(req.Cursor, req.Scope)
		if bad != nil {
			return nil, bad
		}
		c = got
	}
	raw, err := client.Call(ctx, apiOnSale, map[string]string{
		"fields":    "num_iid",
		"page_no":   strconv.Itoa(c.Page),
		"page_size": strconv.Itoa(c.Size),
	})
	if err != nil {
		return nil, err
	}
	var body itemList[struct {
		NumIID number `json:"num_iid"`
	}]
	if err := json.Unmarshal(raw, &body); err != nil {
		return nil, sdk.Unavailable("bad_response", fmt.Sprintf("%s: %v", apiOnSale, err))
	}
	resp := &sdk.ListProductsResponse{IDs: make([]string, 0, len(body.Items.Item))}
	for _, it := range body.Items.Item {
		resp.IDs = append(resp.IDs, it.NumIID.String())
	}
	// total_results says whether more pages follow; without it, a full
	// page is taken to mean there may be more. Past MaxListDepth the
	// gateway refuses the page; the cursor still points there so that the
	// refusal reaches the operator instead of a listing that ends early
	// without a word.
	more := len(resp.IDs) == c.Size
	if total, err := body.TotalResults.Int64(); err == nil {
		more = len(resp.IDs) > 0 && int64(c.Page*c.Size) < total
	}
	if more {
		resp.NextCursor = cursor{Scope: c.Scope, Page: c.Page + 1, Size: c.Size}.encode()
	}
	return resp, nil
}
