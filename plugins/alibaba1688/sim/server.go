package sim

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/marketsync/marketsync/plugins/alibaba1688/collector"
	"github.com/marketsync/marketsync/sdk/faultinject"
	"github.com/marketsync/marketsync/sdk/simkit"
)

// Options configures a Server. Zero values mean the defaults.
type Options struct {
	// Seed makes the catalogue and the injected faults reproducible.
	// Default 1.
	Seed uint64
	// Items is the number of offers. Default 3000.
	Items int
	// Shops is the number of shops the offers belong to. Default 5.
	Shops int
	// AppKey, AppSecret and AccessToken are the credentials the gateway
	// accepts. Defaults are fixed test values (see Credentials).
	AppKey      string
	AppSecret   string
	AccessToken string
	// Rate and Burst are the app's call-frequency quota: sustained calls
	// per second and how many may come at once. Rate 0 means no limit (the
	// default); Burst defaults to 1.
	Rate  float64
	Burst int
	// NoRetryAfter leaves the Retry-After header off rate-limit refusals,
	// so a client sees only the gateway's body; it is Throttle
	// ThrottleNoHint.
	NoRetryAfter bool
	// Throttle is how gw.QosAppFrequencyLimit says when to come back.
	// 1688 documents no retry hint; the default, ThrottleRetryAfter, sends
	// a Retry-After header of whole seconds, and ThrottleNoHint (the
	// documented answer alone) leaves it off. The gateway's message never
	// states a ban, so ThrottleBan is taken as the default.
	Throttle simkit.Throttle
	// TimestampWindow is how far _aop_timestamp may be from the
	// simulator's clock. Default 10 minutes.
	TimestampWindow time.Duration
	// Now is the clock of the timestamp window, the rate limit and the
	// fault injector. Default time.Now.
	Now func() time.Time
	// After waits for slow faults; see faultinject.Options. Default
	// time.After.
	After func(time.Duration) <-chan time.Time
	// Preparing is how many alibaba.category.attribute.get calls answer
	// the documented 500_2 ("数据准备中,请稍后重试。") before the category
	// data is ready.
	Preparing int
}

// Credentials are what a client needs to call the simulator.
type Credentials struct {
	AppKey      string
	AppSecret   string
	AccessToken string
}

// Stats counts what the gateway did, by API and by the code of each
// refusal.
type Stats struct {
	// Requests is every request that reached the gateway (faults injected
	// in front of it are counted by the injector).
	Requests int64
	// Served counts successful calls by API name.
	Served map[string]int64
	// Refused counts refusals by error code ("gw.SignatureInvalid",
	// "401", ...); business refusals inside a 200 are served, not refused.
	Refused map[string]int64
	// ByAPI counts the requests that named a served API, answered or
	// refused (signature, token, quota, parameters).
	ByAPI map[string]int64
}

// Server is a simulated 1688 open platform gateway.
type Server struct {
	opts    Options
	offers  []*offer
	byID    map[string]*offer
	shopIDs []string
	gw      *simkit.Gateway
	handler http.Handler

	mu    sync.Mutex
	stats Stats
	seq   int64 // request_id of refusals
}

// New builds the catalogue and the gateway.
func New(o Options) *Server {
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Items <= 0 {
		o.Items = 3000
	}
	if o.Shops <= 0 {
		o.Shops = 5
	}
	if o.AppKey == "" {
		o.AppKey = "8822771"
	}
	if o.AppSecret == "" {
		o.AppSecret = "sim-secret-Yt3kP0"
	}
	if o.AccessToken == "" {
		o.AccessToken = "5c3e7a1b-2d4f-4e6a-9b8c-sim1688token"
	}
	if o.TimestampWindow <= 0 {
		o.TimestampWindow = 10 * time.Minute
	}
	s := &Server{opts: o, byID: map[string]*offer{}}
	s.offers = generate(o.Seed, o.Items, o.Shops)
	for _, of := range s.offers {
		s.byID[of.id] = of
	}
	for i := range o.Shops {
		s.shopIDs = append(s.shopIDs, fmt.Sprintf("BBB%03dsim%x", i, o.Seed%0xfffff))
	}
	s.stats = newStats()
	if o.Burst <= 0 {
		o.Burst = 1
	}
	s.gw = simkit.NewGateway(simkit.GatewayOptions{Clock: simkit.ClockOf(o.Now), After: o.After, FaultSeed: o.Seed, Rate: o.Rate, Burst: o.Burst})
	s.handler = s.gw.WrapFunc(s.serve)
	return s
}

func newStats() Stats {
	return Stats{Served: map[string]int64{}, Refused: map[string]int64{}, ByAPI: map[string]int64{}}
}

// Handler is the gateway behind its fault injector, ready for
// httptest.NewServer. Point a client at URL + "/openapi".
func (s *Server) Handler() http.Handler { return s.handler }

// Injector is the fault injector in front of the gateway.
func (s *Server) Injector() *faultinject.Injector { return s.gw.Faults }

// Credentials returns the app key, secret and token the gateway accepts.
func (s *Server) Credentials() Credentials {
	return Credentials{AppKey: s.opts.AppKey, AppSecret: s.opts.AppSecret, AccessToken: s.opts.AccessToken}
}

// IDs returns every offer id of the catalogue, on sale or not, in
// catalogue order.
func (s *Server) IDs() []string {
	out := make([]string, len(s.offers))
	for i, o := range s.offers {
		out[i] = o.id
	}
	return out
}

// ShopID is the sellerOpenId of the largest shop (about two offers in
// five).
func (s *Server) ShopID() string { return s.shopIDs[0] }

// ShopIDs returns the sellerOpenId of every shop.
func (s *Server) ShopIDs() []string { return append([]string(nil), s.shopIDs...) }

// ShopOfferIDs returns, in listing order, the offers the shop search
// shows for shop: those on sale, including any the app may not read in
// detail.
func (s *Server) ShopOfferIDs(shop string) []string {
	var out []string
	for _, o := range s.listed(shop) {
		out = append(out, o.id)
	}
	return out
}

func (s *Server) listed(shop string) []*offer {
	idx := -1
	for i, id := range s.shopIDs {
		if id == shop {
			idx = i
		}
	}
	var out []*offer
	for _, o := range s.offers {
		if o.shop == idx && !o.gone && o.status == "published" {
			out = append(out, o)
		}
	}
	return out
}

// SetRateLimit changes the app's quota: rate calls per second sustained,
// burst at once; rate 0 removes the limit. The new quota starts unused.
// Burst 0 is a quota of nothing: every call is refused, each refusal
// asking to wait 1/rate, until the quota is changed again.
func (s *Server) SetRateLimit(rate float64, burst int) { s.gw.Limit.Set(rate, burst) }

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Stats{Requests: s.stats.Requests, Served: maps.Clone(s.stats.Served), Refused: maps.Clone(s.stats.Refused), ByAPI: maps.Clone(s.stats.ByAPI)}
}

// ResetStats sets the counters to zero.
func (s *Server) ResetStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats = newStats()
}

// API names the simulator serves, as namespace:name-version.
const (
	APIProductInfo   = "com.alibaba.product:alibaba.cross.productInfo-1"
	APIShopOffers    = "com.alibaba.fenxiao.crossborder:product.search.querySellerOfferList-1"
	APICategoryAttrs = "com.alibaba.product:alibaba.category.attribute.get-1"
)

// apiSpec lists an API's business parameters; anything else is refused.
type apiSpec struct {
	required []string
	optional []string
	serve    func(s *Server, params map[string]string) (int, any)
}

var apis = map[string]apiSpec{
	APIProductInfo: {required: []string{"productId"}, serve: (*Server).productInfo},
	APIShopOffers:  {required: []string{"offerQueryParam"}, serve: (*Server).shopOffers},
	// alibaba.category.attribute.get: categoryID and webSite required,
	// scene optional (its page, mirrored at
	// http://www.cnsecc.com/wdoc_29485387.html).
	APICategoryAttrs: {required: []string{"categoryID", "webSite"}, optional: []string{"scene"}, serve: (*Server).categoryAttrs},
}

// System parameters (the official SDKs' _aop_timestamp, _aop_signature,
// access_token).
const (
	pSignature = "_aop_signature"
	pTimestamp = "_aop_timestamp"
	pToken     = "access_token"
)

// gwError is a refusal in the gateway's format.
type gwError struct {
	status  int
	code    string
	message string
	header  http.Header
}

// The codes the simulator answers with. Those not observed from the real
// gateway are marked as in package aop: ParamInvalid and TimestampInvalid
// are assumed names.
const (
	codeAPIUnsupported   = "gw.APIUnsupported"
	codeAppKeyMissing    = "gw.AppKeyMissing"
	codeAppKeyNotFound   = "gw.AppKeyNotFound"
	codeSignatureMissing = "gw.SignatureMissing"
	codeSignatureInvalid = "gw.SignatureInvalid"
	codeParamMissing     = "gw.ParamMissing"
	codeParamInvalid     = "gw.ParamInvalid"
	codeTimestamp        = "gw.TimestampInvalid"
	codeFrequency        = "gw.QosAppFrequencyLimit"
	codeUnauthorized     = "401"
)

func refuse(status int, code, format string, args ...any) *gwError {
	return &gwError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.stats.Requests++
	s.mu.Unlock()
	api, params, gerr := s.check(r)
	if api != "" {
		s.mu.Lock()
		s.stats.ByAPI[api]++
		s.mu.Unlock()
	}
	if gerr != nil {
		s.mu.Lock()
		s.stats.Refused[gerr.code]++
		s.seq++
		id := fmt.Sprintf("sim-%d", s.seq)
		s.mu.Unlock()
		for k, v := range gerr.header {
			w.Header()[k] = v
		}
		writeJSON(w, gerr.status, map[string]string{"error_code": gerr.code, "error_message": gerr.message, "request_id": id})
		return
	}
	status, body := apis[api].serve(s, params)
	s.mu.Lock()
	s.stats.Served[api]++
	s.mu.Unlock()
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	b, err := json.Marshal(body)
	if err != nil {
		panic(err)
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	w.Write(b)
}

// check verifies a request against the gateway's contract, in the order a
// gateway has to: the route and app, the parameters as sent, the
// signature over them, the timestamp, the user token, the app's quota,
// then the API's own parameters. It returns the API and its parameters,
// and the API also with a refusal once the path names one it serves.
func (s *Server) check(r *http.Request) (string, map[string]string, *gwError) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/openapi/")
	if !ok {
		return "", nil, refuse(http.StatusNotFound, codeAPIUnsupported, "Unsupported path %s", r.URL.Path)
	}
	parts := strings.Split(rest, "/")
	if len(parts) == 4 {
		return "", nil, refuse(http.StatusBadRequest, codeAppKeyMissing, "AppKey is missing from the path")
	}
	if len(parts) != 5 || parts[0] != "param2" {
		return "", nil, refuse(http.StatusBadRequest, codeAPIUnsupported, "Unsupported API path %s", rest)
	}
	version, ns, name, appKey := parts[1], parts[2], parts[3], parts[4]
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		return "", nil, refuse(http.StatusMethodNotAllowed, "405", "Method %s not allowed", r.Method)
	}
	if appKey != s.opts.AppKey {
		return "", nil, refuse(http.StatusBadRequest, codeAppKeyNotFound, "AppKey not found: %s", appKey)
	}
	api := ns + ":" + name + "-" + version
	spec, ok := apis[api]
	if !ok {
		return "", nil, refuse(http.StatusBadRequest, codeAPIUnsupported, "API %s is not supported", api)
	}
	pairs, gerr := rawParams(r)
	if gerr != nil {
		return api, nil, gerr
	}
	params := make(map[string]string, len(pairs))
	for _, p := range pairs {
		if _, dup := params[p[0]]; dup {
			return api, nil, refuse(http.StatusBadRequest, codeParamInvalid, "Duplicate argument %s", p[0])
		}
		params[p[0]] = p[1]
	}

	sig, ok := params[pSignature]
	if !ok || sig == "" {
		return api, nil, refuse(http.StatusBadRequest, codeSignatureMissing, "Signature is missing")
	}
	if want := signature(s.opts.AppSecret, rest, pairs); sig != want {
		return api, nil, refuse(http.StatusBadRequest, codeSignatureInvalid, "Invalid signature")
	}
	if ts, ok := params[pTimestamp]; ok {
		ms, err := strconv.ParseInt(ts, 10, 64)
		if err != nil || ts == "" || ts[0] == '+' || ts[0] == '-' {
			return api, nil, refuse(http.StatusBadRequest, codeTimestamp, "Invalid _aop_timestamp %q", ts)
		}
		if skew := s.gw.Now().Sub(time.UnixMilli(ms)); skew > s.opts.TimestampWindow || skew < -s.opts.TimestampWindow {
			return api, nil, refuse(http.StatusBadRequest, codeTimestamp, "_aop_timestamp is %s away from the server time", skew.Round(time.Second))
		}
	}
	switch token, ok := params[pToken]; {
	case !ok || token == "":
		return api, nil, refuse(http.StatusUnauthorized, codeUnauthorized, "Request need user authenticated")
	case token != s.opts.AccessToken:
		return api, nil, refuse(http.StatusUnauthorized, codeUnauthorized, "Request need user authorized")
	}
	if wait, limited := s.take(); limited {
		e := refuse(http.StatusBadRequest, codeFrequency, "App call exceeds limited frequency")
		if !s.opts.NoRetryAfter && s.opts.Throttle != simkit.ThrottleNoHint {
			e.header = http.Header{"Retry-After": {strconv.FormatInt(simkit.BanSeconds(wait), 10)}}
		}
		return api, nil, e
	}

	allowed := map[string]bool{pSignature: true, pTimestamp: true, pToken: true}
	for _, k := range append(spec.required, spec.optional...) {
		allowed[k] = true
	}
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !allowed[k] {
			return api, nil, refuse(http.StatusBadRequest, codeParamInvalid, "Unknown argument %s", k)
		}
	}
	for _, k := range spec.required {
		if params[k] == "" {
			return api, nil, refuse(http.StatusBadRequest, codeParamMissing, "Required argument %s", k)
		}
	}
	for _, k := range spec.optional {
		if v, ok := params[k]; ok && v == "" {
			return api, nil, refuse(http.StatusBadRequest, codeParamInvalid, "Empty argument %s", k)
		}
	}
	return api, params, nil
}

// maxBody bounds a form body, as a gateway does.
const maxBody = 1 << 20

// rawParams returns the parameters exactly as sent: the raw query, then
// the raw form body of a POST, split on '&' and '=' and unescaped, in
// order. The signature is checked against these, never against a
// re-encoded form.
func rawParams(r *http.Request) ([][2]string, *gwError) {
	raw := []string{r.URL.RawQuery}
	if r.Method == http.MethodPost && r.Body != nil {
		if ct := r.Header.Get("Content-Type"); ct != "" {
			if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/x-www-form-urlencoded" {
				return nil, refuse(http.StatusBadRequest, codeParamInvalid, "Unsupported Content-Type %q", ct)
			}
		}
		b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil {
			return nil, refuse(http.StatusBadRequest, codeParamInvalid, "Unreadable body: %v", err)
		}
		if len(b) > maxBody {
			return nil, refuse(http.StatusRequestEntityTooLarge, codeParamInvalid, "Body larger than %d bytes", maxBody)
		}
		raw = append(raw, string(b))
	}
	var out [][2]string
	for _, part := range raw {
		for _, seg := range strings.Split(part, "&") {
			if seg == "" {
				continue
			}
			k, v, _ := strings.Cut(seg, "=")
			key, err1 := url.QueryUnescape(k)
			value, err2 := url.QueryUnescape(v)
			if err1 != nil || err2 != nil || key == "" {
				return nil, refuse(http.StatusBadRequest, codeParamInvalid, "Malformed parameter %q", seg)
			}
			out = append(out, [2]string{key, value})
		}
	}
	return out, nil
}

// signature recomputes _aop_signature the way the gateway's Java stack
// does (SignatureUtil.hmacSha1): urlPath, then each parameter's key+value,
// those strings sorted by String.compareTo (UTF-16 code units), HMAC-SHA1
// with the app secret, upper-case hex.
func signature(secret, urlPath string, pairs [][2]string) string {
	var units [][]uint16
	for _, p := range pairs {
		if p[0] != pSignature {
			units = append(units, utf16.Encode([]rune(p[0]+p[1])))
		}
	}
	sort.Slice(units, func(i, j int) bool {
		a, b := units[i], units[j]
		for k := 0; k < len(a) && k < len(b); k++ {
			if a[k] != b[k] {
				return a[k] < b[k]
			}
		}
		return len(a) < len(b)
	})
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(urlPath))
	for _, u := range units {
		mac.Write([]byte(string(utf16.Decode(u))))
	}
	return strings.ToUpper(hex.EncodeToString(mac.Sum(nil)))
}

// take spends a call of the app's quota, or says it is limited and for
// how long.
func (s *Server) take() (time.Duration, bool) {
	wait, ok := s.gw.Take()
	return wait, !ok
}

// offerIDPattern is one Long: the productId of productInfo takes a single
// offer, so a list ("1,2", "[1,2]") is the oversized batch the gateway
// cannot convert.
var offerIDPattern = regexp.MustCompile(`^[1-9][0-9]{0,18}$`)

func (s *Server) productInfo(params map[string]string) (int, any) {
	id := params["productId"]
	if !offerIDPattern.MatchString(id) {
		return http.StatusBadRequest, map[string]string{
			"error_code":    codeParamInvalid,
			"error_message": fmt.Sprintf("Argument productId must be one Long, got %q", id),
		}
	}
	o, ok := s.byID[id]
	switch {
	case !ok || o.gone:
		return http.StatusOK, wireProductInfoReply{Success: false, Message: "商品[" + id + "]不存在"}
	case o.noRelation:
		return http.StatusOK, wireProductInfoReply{Success: false, Message: "没有该商品的查询权限"}
	}
	return http.StatusOK, o.encode(wireProductInfoReply{Success: true, ProductInfo: o.wire()})
}

// wireCategoryAttrs is alibaba.category.attribute.get's answer, in the
// shape of its documented example.
type wireCategoryAttrs struct {
	Success    bool               `json:"success"`
	ErrorCode  string             `json:"errorCode,omitempty"`
	ErrorMsg   string             `json:"errorMsg,omitempty"`
	Attributes []wireCategoryAttr `json:"attributes,omitempty"`
	LevelMap   map[string]string  `json:"attributeLevelMapStr,omitempty"`
}

type wireCategoryAttr struct {
	AttrID         json.Number `json:"attrID"`
	Name           string      `json:"name"`
	Required       bool        `json:"required"`
	FieldType      string      `json:"fieldType"`
	IsSKUAttribute bool        `json:"isSKUAttribute"`
	InputType      string      `json:"inputType"`
}

// categoryAttrs answers alibaba.category.attribute.get. The page documents
// one error code, 500_2 (data being prepared); what an unknown category
// gives is not documented: the simulator answers success false with
// errorCode 500_1, the code the page shows as its example.
func (s *Server) categoryAttrs(params map[string]string) (int, any) {
	id := params["categoryID"]
	if !offerIDPattern.MatchString(id) {
		return http.StatusBadRequest, map[string]string{
			"error_code":    codeParamInvalid,
			"error_message": fmt.Sprintf("Argument categoryID must be one Long, got %q", id),
		}
	}
	if site := params["webSite"]; site != "1688" && site != "alibaba" {
		return http.StatusOK, wireCategoryAttrs{ErrorCode: "400", ErrorMsg: "webSite must be 1688 or alibaba"}
	}
	s.mu.Lock()
	preparing := s.opts.Preparing > 0
	if preparing {
		s.opts.Preparing--
	}
	s.mu.Unlock()
	if preparing {
		return http.StatusOK, wireCategoryAttrs{ErrorCode: "500_2", ErrorMsg: "数据准备中,请稍后重试。"}
	}
	c, ok := categoryOf(id)
	if !ok {
		return http.StatusOK, wireCategoryAttrs{ErrorCode: "500_1", ErrorMsg: "类目[" + id + "]不存在"}
	}
	out := wireCategoryAttrs{Success: true, LevelMap: map[string]string{}}
	for _, a := range c.attrs {
		out.Attributes = append(out.Attributes, wireCategoryAttr{AttrID: json.Number(a.id), Name: a.name, FieldType: "enum", IsSKUAttribute: a.sku, InputType: "1"})
	}
	return http.StatusOK, out
}

// MaxPageSize is the largest pageSize the shop search accepts.
const MaxPageSize = 50

// offerQueryParam is the shop search's parameter object; unknown fields
// are refused.
type offerQueryParam struct {
	Keyword      *string `json:"keyword"`
	BeginPage    *int    `json:"beginPage"`
	PageSize     *int    `json:"pageSize"`
	Filter       *string `json:"filter"`
	Sort         *string `json:"sort"`
	OutMemberID  *string `json:"outMemberId"`
	PriceStart   *string `json:"priceStart"`
	PriceEnd     *string `json:"priceEnd"`
	CategoryID   *int64  `json:"categoryId"`
	Country      *string `json:"country"`
	SellerOpenID *string `json:"sellerOpenId"`
}

func (s *Server) shopOffers(params map[string]string) (int, any) {
	var q offerQueryParam
	dec := json.NewDecoder(strings.NewReader(params["offerQueryParam"]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&q); err != nil {
		return http.StatusBadRequest, map[string]string{
			"error_code":    codeParamInvalid,
			"error_message": "Argument offerQueryParam is not a valid OfferQueryParam: " + err.Error(),
		}
	}
	bad := func(msg string) (int, any) {
		return http.StatusOK, wireShopReply{Result: wireShopResult{Success: false, Code: "400", Message: msg}}
	}
	switch {
	case q.BeginPage == nil || *q.BeginPage < 1:
		return bad("beginPage is required and starts at 1")
	case q.PageSize == nil || *q.PageSize < 1 || *q.PageSize > MaxPageSize:
		return bad(fmt.Sprintf("pageSize is required, from 1 to %d", MaxPageSize))
	case q.Country == nil || *q.Country == "":
		return bad("country is required")
	case q.SellerOpenID == nil || *q.SellerOpenID == "":
		return bad("sellerOpenId is required")
	}
	all := s.listed(*q.SellerOpenID)
	size, page := *q.PageSize, *q.BeginPage
	out := &wireShopPage{
		TotalRecords: len(all),
		TotalPage:    (len(all) + size - 1) / size,
		PageSize:     size,
		CurrentPage:  page,
		Data:         []wireShopOffer{},
	}
	for i := (page - 1) * size; i < len(all) && i < page*size; i++ {
		o := all[i]
		row := wireShopOffer{Subject: o.subject, OfferID: json.Number(o.id), MonthSold: len(o.subject) * 7}
		if len(o.images) > 0 {
			row.ImageURL = absolute(o.images[0])
		}
		if len(o.tiers) > 0 {
			row.PriceInfo.Price = fenLiteral(o.tiers[0].priceFen, false)
		}
		out.Data = append(out.Data, row)
	}
	return http.StatusOK, wireShopReply{Result: wireShopResult{Success: true, Code: "200", Result: out}}
}

// Serve serves s on a loopback port (plain http) until tb's test ends,
// and returns its endpoint: the value of the plugin's endpoint setting.
func (s *Server) Serve(tb testing.TB) string {
	srv := httptest.NewServer(s.Handler())
	tb.Cleanup(srv.Close)
	return srv.URL + "/openapi"
}

// PluginConfig returns the alibaba1688 plugin's config block (as the JSON
// object the host hands to Configure) for this simulator reached at
// endpoint (its URL followed by "/openapi"), with the fields in over
// replaced, or removed where over gives nil.
func (s *Server) PluginConfig(endpoint string, over map[string]any) []byte {
	m := map[string]any{
		collector.FieldAppKey:      s.opts.AppKey,
		collector.FieldAppSecret:   s.opts.AppSecret,
		collector.FieldAccessToken: s.opts.AccessToken,
		collector.FieldEndpoint:    endpoint,
	}
	for k, v := range over {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

// LimitCounts is what the app's call-frequency quota took and refused:
// the platform's side of the quota.
func (s *Server) LimitCounts() simkit.Counts { return s.gw.Limit.Counts() }
