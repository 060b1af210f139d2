package sim

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/marketsync/marketsync/sdk/faultinject"
	"github.com/marketsync/marketsync/sdk/simkit"
)

// Path is where the gateway listens, as on the real one.
const Path = "/router/rest"

// Defaults of Options.
const (
	DefaultItems     = 3000
	DefaultAppKey    = "12345678"
	DefaultAppSecret = "sandbox8f3a1c9d0b7e4f2a6c5d"
	DefaultSession   = "6100e23a9f1c7b2d4e5f60718293a4b5c6d7e8f9"
	DefaultSellerID  = "2206543210987"
)

// Options configures a Server. Zero values take the defaults.
type Options struct {
	// Seed makes the catalogue and the fault injector reproducible.
	Seed uint64
	// Items is the size of the catalogue (default DefaultItems).
	Items int
	// AppKey, AppSecret and Session are the credentials the gateway
	// accepts; SellerID is the seller the session belongs to.
	AppKey, AppSecret, Session, SellerID string
	// Now is the gateway's clock, for the timestamp window and the rate
	// limit. Default time.Now.
	Now func() time.Time
	// Rate and Burst are the app's call limit (calls per second, bucket
	// size, at least 1); Rate 0 means no limit. SetRateLimit changes them
	// later.
	Rate  float64
	Burst int
	// Throttle is how error 7 says when to come back: ThrottleBan (the
	// default, as documented: sub_msg "This ban will last for N more
	// seconds"), or, for clients that must cope with a gateway that words
	// it otherwise, ThrottleRetryAfter (a Retry-After header, which TOP
	// does not document, and no ban in sub_msg) or ThrottleNoHint.
	Throttle simkit.Throttle
}

// Credentials are what a client must present.
type Credentials struct {
	AppKey, AppSecret, Session string
}

// Stats counts what the gateway saw since it was made.
type Stats struct {
	// Requests is every request that reached the gateway (past the fault
	// injector); Served those answered with data.
	Requests, Served int64
	// ByAPI counts requests by method parameter.
	ByAPI map[string]int64
	// Refused counts error answers by "code" or "code/sub_code".
	Refused map[string]int64
}

// Server is the simulated gateway.
type Server struct {
	// ShopID is the id of the seller whose session the gateway accepts.
	ShopID string

	creds    Credentials
	gw       *simkit.Gateway
	throttle simkit.Throttle
	// cat guards items against the seller's edits (Retitle, Reprice)
	// while the gateway answers; byID and onSale never change.
	cat     sync.RWMutex
	items   []catalogItem
	byID    map[string]int
	onSale  []int // indices of on-sale items, newest listing first
	handler http.Handler

	mu    sync.Mutex
	stats Stats
	seq   uint64
}

// New builds the catalogue and the gateway.
func New(o Options) *Server {
	def := func(s *string, d string) {
		if *s == "" {
			*s = d
		}
	}
	def(&o.AppKey, DefaultAppKey)
	def(&o.AppSecret, DefaultAppSecret)
	def(&o.Session, DefaultSession)
	def(&o.SellerID, DefaultSellerID)
	if o.Items <= 0 {
		o.Items = DefaultItems
	}
	s := &Server{
		ShopID:   o.SellerID,
		creds:    Credentials{AppKey: o.AppKey, AppSecret: o.AppSecret, Session: o.Session},
		gw:       simkit.NewGateway(simkit.GatewayOptions{Clock: simkit.ClockOf(o.Now), FaultSeed: o.Seed, Rate: o.Rate, Burst: max(o.Burst, 1)}),
		throttle: o.Throttle.Or(simkit.ThrottleBan),
		items:    generate(o.Seed, o.Items),
		byID:     make(map[string]int, o.Items),
		stats:    Stats{ByAPI: map[string]int64{}, Refused: map[string]int64{}},
	}
	for i, it := range s.items {
		s.byID[strconv.FormatInt(it.id, 10)] = i
		if it.state == onSale {
			s.onSale = append(s.onSale, i)
		}
	}
	// taobao.items.onsale.get orders by list_time:desc unless told
	// otherwise (apiId=18).
	slices.Reverse(s.onSale)
	s.handler = s.gw.WrapFunc(s.serve)
	return s
}

// Handler is the gateway behind its fault injector.
func (s *Server) Handler() http.Handler { return s.handler }

// Faults is the injector in front of the gateway.
func (s *Server) Faults() *faultinject.Injector { return s.gw.Faults }

// Credentials are the app key, secret and session the gateway accepts.
func (s *Server) Credentials() Credentials { return s.creds }

// IDs lists every item id of the catalogue in catalogue order, including
// the off-shelf and deleted ones (see Expect).
func (s *Server) IDs() []string {
	s.cat.RLock()
	defer s.cat.RUnlock()
	out := make([]string, len(s.items))
	for i, it := range s.items {
		out[i] = strconv.FormatInt(it.id, 10)
	}
	return out
}

// OnSaleIDs lists the ids taobao.items.onsale.get pages through, in its
// order.
func (s *Server) OnSaleIDs() []string {
	s.cat.RLock()
	defer s.cat.RUnlock()
	out := make([]string, len(s.onSale))
	for k, i := range s.onSale {
		out[k] = strconv.FormatInt(s.items[i].id, 10)
	}
	return out
}

// Expect says what the canonical product for id must contain; an id the
// catalogue does not hold is not found with reason "unknown".
func (s *Server) Expect(id string) Expectation {
	i, ok := s.byID[id]
	if !ok {
		return Expectation{ID: id, Reason: "unknown"}
	}
	s.cat.RLock()
	defer s.cat.RUnlock()
	return s.items[i].expect()
}

// SetRateLimit changes the app's call limit and refills its bucket; rate 0
// lifts it. A burst of 0 with a positive rate refuses every call, each
// with a ban of 1/rate seconds, until the limit is changed again.
func (s *Server) SetRateLimit(rate float64, burst int) { s.gw.Limit.Set(rate, burst) }

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.stats
	out.ByAPI, out.Refused = map[string]int64{}, map[string]int64{}
	for k, v := range s.stats.ByAPI {
		out.ByAPI[k] = v
	}
	for k, v := range s.stats.Refused {
		out.Refused[k] = v
	}
	return out
}

// topError is one error_response.
type topError struct {
	Code    int    `json:"code"`
	Msg     string `json:"msg"`
	SubCode string `json:"sub_code,omitempty"`
	SubMsg  string `json:"sub_msg,omitempty"`
	// retryAfter, when set, is sent as a Retry-After header (seconds).
	retryAfter int64
}

func refuse(code int, msg, subCode, subMsg string) *topError {
	return &topError{Code: code, Msg: msg, SubCode: subCode, SubMsg: subMsg}
}

func badParam(name, why string) *topError {
	return refuse(41, "Invalid arguments", "isv.invalid-parameter:"+name, why)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	params, api, terr := s.admit(r)
	var body any
	if terr == nil {
		body, terr = s.answer(api, params)
	}
	s.mu.Lock()
	s.stats.Requests++
	if api != "" {
		s.stats.ByAPI[api]++
	}
	s.seq++
	requestID := fmt.Sprintf("%x", 0x5a000000+s.seq)
	// Every other answer escapes its Chinese, so that clients meet both
	// spellings.
	escape := s.seq%2 == 0
	if terr != nil {
		key := strconv.Itoa(terr.Code)
		if terr.SubCode != "" {
			key += "/" + terr.SubCode
		}
		s.stats.Refused[key]++
	} else {
		s.stats.Served++
	}
	s.mu.Unlock()

	var out map[string]any
	if terr != nil {
		out = map[string]any{"error_response": map[string]any{
			"code": terr.Code, "msg": terr.Msg, "sub_code": terr.SubCode, "sub_msg": terr.SubMsg, "request_id": requestID,
		}}
	} else {
		out = map[string]any{responseKey(api): body}
		body.(map[string]any)["request_id"] = requestID
	}
	if terr != nil && terr.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt(terr.retryAfter, 10))
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // TOP writes a description's tags as they are
	enc.Encode(out)
	b := buf.Bytes()
	if escape {
		b = simkit.ASCIIJSON(b)
	}
	w.Write(b)
}

func responseKey(api string) string {
	return strings.ReplaceAll(strings.TrimPrefix(api, "taobao."), ".", "_") + "_response"
}

// The system parameters the gateway knows (the Java SDK's
// protocalMustParams and protocalOptParams).
var systemParams = map[string]bool{
	"method": true, "app_key": true, "session": true, "timestamp": true, "v": true,
	"format": true, "sign_method": true, "sign": true, "partner_id": true, "simplify": true, "target_app_key": true,
}

// admit checks a request's protocol in the order the gateway does: it
// finds the API, then checks the system parameters and the signature, the
// session, and the app's call limit. It returns the parameters as
// received.
func (s *Server) admit(r *http.Request) (map[string]string, string, *topError) {
	if r.URL.Path != Path {
		return nil, "", refuse(22, "Invalid method", "", "no API at "+r.URL.Path)
	}
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		return nil, "", refuse(9, "Http action not allowed", "", "use POST or GET")
	}
	params := map[string]string{}
	if terr := readPairs(r.URL.RawQuery, params); terr != nil {
		return nil, "", terr
	}
	if r.Method == http.MethodPost && r.Body != nil {
		raw, err := io.ReadAll(io.LimitReader(r.Body, 10<<20))
		if err != nil {
			return nil, "", refuse(23, "Invalid format", "", "unreadable body")
		}
		if len(raw) > 0 {
			ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
			if ct != "application/x-www-form-urlencoded" {
				return nil, "", refuse(23, "Invalid format", "", "body must be application/x-www-form-urlencoded, got "+ct)
			}
			if terr := readPairs(string(raw), params); terr != nil {
				return nil, "", terr
			}
		}
	}
	api := params["method"]
	switch {
	case api == "":
		return params, "", refuse(21, "Missing method", "", "")
	case apis[api] == nil:
		return params, api, refuse(22, "Invalid method", "", api)
	}
	for k, v := range params {
		if strings.TrimSpace(v) == "" {
			return params, api, badParam(k, "parameter "+k+" has an empty value")
		}
	}
	if terr := s.checkSystem(params); terr != nil {
		return params, api, terr
	}
	if wait, ok := s.gw.Take(); !ok {
		return params, api, s.limited(wait)
	}
	return params, api, nil
}

// limited is error 7 for the app's call limit, saying when to come back
// as Options.Throttle chose.
func (s *Server) limited(wait time.Duration) *topError {
	e := refuse(7, "App Call Limited", "accesscontrol.limited-by-app-access-count", "")
	switch s.throttle {
	case simkit.ThrottleBan:
		e.SubMsg = fmt.Sprintf("This ban will last for %d more seconds", simkit.BanSeconds(wait))
	case simkit.ThrottleRetryAfter:
		e.retryAfter = simkit.BanSeconds(wait)
	}
	return e
}

// LimitCounts is what the app's call limit took and refused: the
// platform's side of the quota.
func (s *Server) LimitCounts() simkit.Counts { return s.gw.Limit.Counts() }

// readPairs decodes raw query or form bytes into into. A name given twice
// is refused: which value to sign would be ambiguous.
func readPairs(raw string, into map[string]string) *topError {
	for _, pair := range strings.Split(raw, "&") {
		if pair == "" {
			continue
		}
		rk, rv, _ := strings.Cut(pair, "=")
		k, err1 := url.QueryUnescape(rk)
		v, err2 := url.QueryUnescape(rv)
		if err1 != nil || err2 != nil {
			return refuse(23, "Invalid format", "", "bad percent-encoding in "+pair)
		}
		if _, dup := into[k]; dup {
			return badParam(k, "parameter "+k+" is given twice")
		}
		into[k] = v
	}
	return nil
}

func (s *Server) checkSystem(p map[string]string) *topError {
	switch {
	case p["app_key"] == "":
		return refuse(28, "Missing app key", "", "")
	case p["app_key"] != s.creds.AppKey:
		return refuse(29, "Invalid app Key", "isv.appkey-not-exists", "app key "+p["app_key"]+" does not exist")
	case p["v"] == "":
		return refuse(32, "Missing version", "", "")
	case p["v"] == "1.0":
		return refuse(34, "Unsupported version", "", "only 2.0 is served")
	case p["v"] != "2.0":
		return refuse(33, "Invalid version", "", p["v"])
	case p["format"] != "" && p["format"] != "json":
		// xml is the platform's default; this simulator writes JSON only.
		return refuse(23, "Invalid format", "", "this simulator answers format=json only")
	case p["timestamp"] == "":
		return refuse(30, "Missing timestamp", "", "")
	case p["sign"] == "":
		return refuse(24, "Missing signature", "", "")
	}
	ts, ok := parseTimestamp(p["timestamp"])
	if !ok {
		return refuse(31, "Invalid timestamp", "", "timestamp must be yyyy-MM-dd HH:mm:ss in GMT+8")
	}
	if d := s.gw.Now().Sub(ts); d > 10*time.Minute || d < -10*time.Minute {
		return refuse(31, "Invalid timestamp", "", fmt.Sprintf("timestamp %s is %s away from the server's clock; 10 minutes are allowed", p["timestamp"], d.Round(time.Second)))
	}
	want, ok := signature(p, s.creds.AppSecret, p["sign_method"])
	if !ok {
		return refuse(25, "Invalid signature", "", "unknown sign_method "+p["sign_method"])
	}
	if !strings.EqualFold(want, p["sign"]) {
		return refuse(25, "Invalid signature", "", "Invalid signature")
	}
	switch {
	case p["session"] == "":
		return refuse(26, "Missing session", "", "")
	case p["session"] != s.creds.Session:
		return refuse(27, "Invalid session", "invalid-sessionkey", "非法或过期的SessionKey参数，请使用有效的SessionKey参数")
	}
	return nil
}

var gmt8 = time.FixedZone("GMT+8", 8*60*60)

// parseTimestamp reads the documented form, and also the milliseconds
// since 1970 that the official Python SDK sends (top/api/base.py:
// str(int(time.time() * 1000))), which the gateway accepts too.
func parseTimestamp(s string) (time.Time, bool) {
	if t, err := time.ParseInLocation("2006-01-02 15:04:05", s, gmt8); err == nil {
		return t, true
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil && ms > 0 {
		return time.UnixMilli(ms), true
	}
	return time.Time{}, false
}

// signature recomputes the signature the way the gateway checks it: every
// received parameter but sign, by name in byte order, name and value
// joined, digested with the app secret. A missing sign_method is the
// legacy md5 ("空（老md5)" in the Java SDK's comment on signTopRequest).
func signature(p map[string]string, secret, method string) (string, bool) {
	names := make([]string, 0, len(p))
	for k := range p {
		if k != "sign" {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	var joined strings.Builder
	for _, k := range names {
		joined.WriteString(k + p[k])
	}
	msg := []byte(joined.String())
	var sum []byte
	switch method {
	case "", "md5":
		d := md5.Sum([]byte(secret + joined.String() + secret))
		sum = d[:]
	case "hmac":
		m := hmac.New(md5.New, []byte(secret))
		m.Write(msg)
		sum = m.Sum(nil)
	case "hmac-sha256":
		m := hmac.New(sha256.New, []byte(secret))
		m.Write(msg)
		sum = m.Sum(nil)
	default:
		return "", false
	}
	return strings.ToUpper(hex.EncodeToString(sum)), true
}
