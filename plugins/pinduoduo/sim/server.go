package sim

import (
	"bytes"
	"cmp"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/marketsync/marketsync/sdk/faultinject"
	"github.com/marketsync/marketsync/sdk/simkit"
)

// Path is where the gateway listens, as in
// https://gw-api.pinduoduo.com/api/router.
const Path = "/api/router"

// API names the simulator serves.
const (
	TypeGoodsDetail = "pdd.goods.detail.get"
	TypeGoodsList   = "pdd.goods.list.get"
	TypeCatTemplate = "pdd.goods.cat.template.get"
)

// MaxPageSize is pdd.goods.list.get's documented cap on page_size ("返回数量，
// 默认 100，最大100").
const MaxPageSize = 100

// Options configures a Server. Zero values take the defaults.
type Options struct {
	// Seed makes the catalogue; the same seed gives the same goods.
	Seed uint64
	// Goods is the catalogue size. Default 3000.
	Goods int
	// ClientID, ClientSecret and AccessToken are the credentials the
	// gateway accepts. Defaults are fixed test values.
	ClientID, ClientSecret, AccessToken string
	// ShopID is the mall the access token belongs to. Default "501234567".
	ShopID string
	// Rate (calls per second) and Burst limit each app; Rate 0 means no
	// limit. SetRateLimit changes them later.
	Rate  float64
	Burst int
	// Throttle is how 70031 says when to come back. PDD documents no
	// retry hint; the default, ThrottleRetryAfter, sends a Retry-After
	// header of whole seconds, and ThrottleNoHint (the documented answer
	// alone) leaves it off. PDD's messages never state a ban, so
	// ThrottleBan is taken as the default.
	Throttle simkit.Throttle
	// LimitCode is the code of a rate-limit refusal: 70031 (调用过于频繁,
	// the default) or 52101 (当前接口被限流), both in the documented
	// table; which one the gateway gives for an app over its rate is not
	// documented.
	LimitCode int
	// Now is the gateway's clock, for the timestamp window and the rate
	// limit. Default time.Now.
	Now func() time.Time
	// TimestampWindow is how far a request's timestamp may be from Now.
	// Default ten minutes, as documented ("需要与拼多多服务器时间差值在10分钟内").
	TimestampWindow time.Duration
	// MaxBodyBytes bounds a request body; larger gets 52004. Default 1 MiB.
	MaxBodyBytes int64
	// FaultSeed seeds the fault injector.
	FaultSeed uint64
	// FaultAfter waits for the injector's Slow faults; default time.After.
	// Tests pass a function returning a channel they control.
	FaultAfter func(time.Duration) <-chan time.Time
}

// Credentials are what a client must present.
type Credentials struct {
	ClientID, ClientSecret, AccessToken string
}

// Stats counts what the gateway did since New.
type Stats struct {
	// Requests is every request that reached the gateway (after fault
	// injection let it through).
	Requests int64
	// Served is the number answered with data.
	Served int64
	// ByType counts requests by API name, served or not.
	ByType map[string]int64
	// Errors counts refusals by error_code.
	Errors map[int]int64
}

// Server is one simulated gateway. Its methods are safe for concurrent use.
type Server struct {
	// ShopID is the mall id the access token belongs to.
	ShopID string
	// Faults sits in front of the gateway; add rules to misbehave.
	Faults *faultinject.Injector

	gw        *simkit.Gateway
	throttle  simkit.Throttle
	limitCode int
	cat       *catalog
	cred      Credentials
	window    time.Duration
	maxB      int64

	mu      sync.Mutex
	expired bool
	denied  map[string]bool // API names the app may not call
	seq     int64
	stats   Stats
}

// Deny makes the gateway refuse apiType with 20031 (用户没有授权访问此接口):
// the app lacks that API's permission package, as an app that never
// applied for pdd.goods.cat.template.get does.
func (s *Server) Deny(apiType string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.denied == nil {
		s.denied = map[string]bool{}
	}
	s.denied[apiType] = true
}

// New builds a gateway and its catalogue.
func New(o Options) *Server {
	if o.Goods <= 0 {
		o.Goods = 3000
	}
	if o.ClientID == "" {
		o.ClientID = "4b2f7c9e1a0d4e5f8a6b3c2d1e0f9a8b"
	}
	if o.ClientSecret == "" {
		o.ClientSecret = "9d8c7b6a5f4e3d2c1b0a99887766554433221100"
	}
	if o.AccessToken == "" {
		o.AccessToken = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4"
	}
	if o.ShopID == "" {
		o.ShopID = "501234567"
	}
	if o.TimestampWindow <= 0 {
		o.TimestampWindow = 10 * time.Minute
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 1 << 20
	}
	gw := simkit.NewGateway(simkit.GatewayOptions{Clock: simkit.ClockOf(o.Now), After: o.FaultAfter, FaultSeed: o.FaultSeed})
	s := &Server{
		ShopID:    o.ShopID,
		Faults:    gw.Faults,
		gw:        gw,
		throttle:  o.Throttle,
		limitCode: cmp.Or(o.LimitCode, 70031),
		cat:       newCatalog(o.Seed, o.Goods),
		cred:      Credentials{ClientID: o.ClientID, ClientSecret: o.ClientSecret, AccessToken: o.AccessToken},
		window:    o.TimestampWindow,
		maxB:      o.MaxBodyBytes,
		stats:     Stats{ByType: map[string]int64{}, Errors: map[int]int64{}},
	}
	s.SetRateLimit(o.Rate, o.Burst)
	return s
}

// Handler is the gateway behind its fault injector; mount it anywhere, it
// answers every path like the real router answers /api/router.
func (s *Server) Handler() http.Handler {
	inner := s.gw.WrapFunc(s.serve)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Take the whole body (up to one byte past the limit) before
		// anything else, as the gateway's front end does. It also lets
		// net/http notice a client that gives up while a Slow fault holds
		// the answer: the server watches the connection only once the
		// request body has been read to its end.
		body, _ := io.ReadAll(io.LimitReader(r.Body, s.maxB+1))
		r.Body = io.NopCloser(bytes.NewReader(body))
		inner.ServeHTTP(w, r)
	})
}

// Credentials returns the credentials the gateway accepts.
func (s *Server) Credentials() Credentials { return s.cred }

// SetRateLimit replaces the per-app limit: rate calls per second with a
// burst; rate 0 removes it. The bucket starts full.
func (s *Server) SetRateLimit(rate float64, burst int) { s.gw.Limit.Set(rate, max(burst, 1)) }

// ExhaustRateLimit spends the per-app allowance, so that calls are
// refused with 70031 until the rate refills it; with no limit set it first
// sets one call per 100 seconds. SetRateLimit(0, 0) restores service.
func (s *Server) ExhaustRateLimit() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.gw.Limit.Limited() {
		s.gw.Limit.Set(0.01, 1)
	}
	for now := s.gw.Now(); ; {
		if _, ok := s.gw.Limit.Take(now); !ok {
			return
		}
	}
}

// ExpireToken makes the access token expired from now on: calls get 10019.
func (s *Server) ExpireToken() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expired = true
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.stats
	out.ByType = maps.Clone(s.stats.ByType)
	out.Errors = maps.Clone(s.stats.Errors)
	return out
}

// IDs returns every goods id of the catalogue, in catalogue order,
// including goods that are off the shelf or deleted.
func (s *Server) IDs() []string {
	out := make([]string, len(s.cat.goods))
	for i, g := range s.cat.goods {
		out[i] = strconv.FormatInt(g.id, 10)
	}
	return out
}

// ListedIDs returns the ids pdd.goods.list.get with is_onsale=1 pages
// through, in order: goods on the shelf (on sale or sold out).
func (s *Server) ListedIDs() []string {
	var out []string
	for _, g := range s.cat.filter("1") {
		out = append(out, strconv.FormatInt(g.id, 10))
	}
	return out
}

// Sample returns the id of the first goods of kind k.
func (s *Server) Sample(k Kind) string {
	for _, g := range s.cat.goods {
		for _, have := range g.kinds {
			if have == k {
				return strconv.FormatInt(g.id, 10)
			}
		}
	}
	panic(fmt.Sprintf("sim: catalogue has no goods of kind %d", k))
}

// UnknownID returns an id of the platform's shape that no goods has.
func (s *Server) UnknownID() string { return strconv.FormatInt(firstGoodsID+1, 10) }

// apiError is an error_response of the platform.
type apiError struct {
	code    int
	msg     string
	subCode string
	subMsg  string
	// retryAfter, when set, is sent as a Retry-After header.
	retryAfter time.Duration
}

// Messages of the documented error table ("返回错误码说明" of every API page,
// e.g. https://open.pinduoduo.com/application/document/api?id=pdd.goods.list.get).
var messages = map[int]string{
	10000: "参数错误",
	10001: "公共参数错误",
	10016: "client下线或者clientId不正确",
	10017: "type不正确",
	10019: "access_token已过期",
	20004: "签名sign校验失败",
	20031: "用户没有授权访问此接口",
	20032: "access_token或client_id错误",
	21001: "请求参数错误",
	21002: "请求参数不能为空",
	50001: "业务服务错误",
	52004: "请求body 太大",
	52101: "当前接口被限流，请稍后重试",
	70031: "调用过于频繁，请调整调用频率",
}

func fail(code int, detail string) *apiError {
	e := &apiError{code: code, msg: messages[code]}
	if detail != "" {
		// The documented example puts the offending name after a colon:
		// "公共参数错误:type".
		e.msg += ":" + detail
	}
	return e
}

// params is the request's parameters in the order received.
type params struct {
	pairs [][2]string
	byKey map[string]string
}

func (p params) get(k string) (string, bool) { v, ok := p.byKey[k]; return v, ok }

// parsePairs decodes a raw application/x-www-form-urlencoded string
// ("k=v&k2=v2") by hand, so the signature is checked against exactly what
// was sent.
func parsePairs(raw string, into *params) *apiError {
	if raw == "" {
		return nil
	}
	for _, part := range strings.Split(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		key, err1 := url.QueryUnescape(k)
		val, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			return fail(10000, "malformed encoding in "+k)
		}
		if _, dup := into.byKey[key]; dup {
			return fail(10000, "duplicate "+key)
		}
		into.byKey[key] = val
		into.pairs = append(into.pairs, [2]string{key, val})
	}
	return nil
}

// expectedSign is the platform's rule, written here independently of any
// client: the parameters other than sign with a non-empty value, sorted by
// name in byte order, each as name followed by value, between two copies of
// client_secret; MD5, upper-case hex. (Official PHP POP SDK,
// PopHttpClient::makeSign and toUrlParams.)
func expectedSign(secret string, p params) string {
	keys := make([]string, 0, len(p.pairs))
	for _, kv := range p.pairs {
		if kv[0] != "sign" && kv[1] != "" {
			keys = append(keys, kv[0])
		}
	}
	sort.Strings(keys)
	h := md5.New()
	io.WriteString(h, secret)
	for _, k := range keys {
		io.WriteString(h, k)
		io.WriteString(h, p.byKey[k])
	}
	io.WriteString(h, secret)
	return strings.ToUpper(hex.EncodeToString(h.Sum(nil)))
}

// common are the public parameters of every call; allowed adds each API's
// business parameters.
var common = map[string]bool{"type": true, "client_id": true, "access_token": true, "timestamp": true, "data_type": true, "version": true, "sign": true}

// allowed lists each API's documented business parameters.
var allowed = map[string]map[string]bool{
	TypeGoodsDetail: {"goods_id": true},
	TypeCatTemplate: {"cat_id": true},
	TypeGoodsList: {"cost_template_id": true, "created_at_end": true, "created_at_from": true, "goods_name": true,
		"is_onsale": true, "outer_goods_id": true, "outer_id": true, "page": true, "page_size": true},
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	resp, apiType, err := s.handle(r)
	s.mu.Lock()
	s.seq++
	seq := s.seq
	s.stats.Requests++
	if apiType != "" {
		s.stats.ByType[apiType]++
	}
	if err != nil {
		s.stats.Errors[err.code]++
	} else {
		s.stats.Served++
	}
	s.mu.Unlock()

	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	if err != nil {
		if err.retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.FormatInt(simkit.BanSeconds(err.retryAfter), 10))
		}
		body := map[string]any{"error_response": map[string]any{
			"error_code": err.code,
			"error_msg":  err.msg,
			"sub_code":   nullable(err.subCode),
			"sub_msg":    err.subMsg,
			"request_id": fmt.Sprintf("1744%013d", seq),
		}}
		json.NewEncoder(w).Encode(body)
		return
	}
	json.NewEncoder(w).Encode(resp)
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// handle checks the request in the gateway's order and answers it.
func (s *Server) handle(r *http.Request) (any, string, *apiError) {
	body, err := io.ReadAll(io.LimitReader(r.Body, s.maxB+1))
	if err != nil {
		return nil, "", fail(10000, "unreadable body")
	}
	if int64(len(body)) > s.maxB {
		return nil, "", fail(52004, "")
	}
	p := params{byKey: map[string]string{}}
	if e := parsePairs(r.URL.RawQuery, &p); e != nil {
		return nil, "", e
	}
	if len(body) > 0 {
		ct := r.Header.Get("Content-Type")
		if !strings.HasPrefix(strings.ToLower(ct), "application/x-www-form-urlencoded") {
			return nil, "", fail(10001, "content type "+ct+" is not application/x-www-form-urlencoded")
		}
		if e := parsePairs(string(body), &p); e != nil {
			return nil, "", e
		}
	}

	for _, name := range []string{"type", "client_id", "timestamp", "sign"} {
		if v, _ := p.get(name); v == "" {
			return nil, "", fail(10001, name)
		}
	}
	apiType, _ := p.get("type")
	if id, _ := p.get("client_id"); id != s.cred.ClientID {
		return nil, "", fail(10016, "")
	}
	api, ok := allowed[apiType]
	if !ok {
		return nil, "", fail(10017, "")
	}
	if v, ok := p.get("data_type"); ok && v != "JSON" {
		// XML is documented too; this gateway only speaks JSON.
		return nil, apiType, fail(10001, "data_type")
	}
	if v, ok := p.get("version"); ok && v != "V1" {
		return nil, apiType, fail(10001, "version")
	}
	ts, _ := p.get("timestamp")
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || !isDigits(ts) {
		return nil, apiType, fail(10001, "timestamp")
	}
	now := s.gw.Now()
	if d := now.Sub(time.Unix(secs, 0)); d > s.window || d < -s.window {
		return nil, apiType, fail(10001, "timestamp")
	}
	if got, _ := p.get("sign"); got != expectedSign(s.cred.ClientSecret, p) {
		return nil, apiType, fail(20004, "")
	}
	for _, kv := range p.pairs {
		if !common[kv[0]] && !api[kv[0]] {
			return nil, apiType, fail(10000, "unknown parameter "+kv[0])
		}
		if kv[1] == "" {
			return nil, apiType, fail(10000, "empty parameter "+kv[0])
		}
	}

	s.mu.Lock()
	expired := s.expired
	var wait time.Duration
	limited := false
	token, _ := p.get("access_token")
	if authed := token == s.cred.AccessToken && !expired; authed {
		var ok bool
		wait, ok = s.gw.Limit.Take(now)
		limited = !ok
	}
	denied := s.denied[apiType]
	s.mu.Unlock()
	switch {
	case token != s.cred.AccessToken:
		return nil, apiType, fail(20032, "")
	case denied:
		return nil, apiType, fail(20031, "")
	case expired:
		return nil, apiType, fail(10019, "")
	case limited:
		e := fail(s.limitCode, "")
		if s.throttle != simkit.ThrottleNoHint {
			e.retryAfter = wait
		}
		return nil, apiType, e
	}

	switch apiType {
	case TypeGoodsDetail:
		resp, e := s.goodsDetail(p)
		return resp, apiType, e
	case TypeCatTemplate:
		resp, e := s.catTemplate(p)
		return resp, apiType, e
	default:
		resp, e := s.goodsList(p)
		return resp, apiType, e
	}
}

func isDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// PluginConfig is the pinduoduo plugin's config block for this gateway
// served at endpoint (its URL including Path): the credentials it accepts
// and the mall they belong to. Tests and demos add or change fields.
func (s *Server) PluginConfig(endpoint string) map[string]any {
	return map[string]any{
		"client_id":     s.cred.ClientID,
		"client_secret": s.cred.ClientSecret,
		"access_token":  s.cred.AccessToken,
		"mall_id":       s.ShopID,
		"endpoint":      endpoint,
	}
}

// LimitCounts is what the per-app rate limit took and refused: the
// platform's side of the quota.
func (s *Server) LimitCounts() simkit.Counts { return s.gw.Limit.Counts() }
