package sim

import (
	"encoding/json"
	"maps"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/marketsync/marketsync/sdk/faultinject"
	"github.com/marketsync/marketsync/sdk/simkit"
)

// Defaults of Options.
const (
	DefaultProducts    = 3000
	DefaultAppKey      = "500321"
	DefaultAppSecret   = "Z3AkHoDLoTsK34fu8txgwtnC8vQyMC4j-sim"
	DefaultAccessToken = "50000601c30atpedfgu3LVvik87Ixlsvle3mSoB7701ceb156fPunYZ43GBg"
	DefaultShopID      = "cn1510000001"
	// DefaultTimestampWindow is how far a request's timestamp may be from
	// the gateway's clock: "the difference between the timestamp and UTC
	// time should not exceed 7200 seconds" ("Calling parameters",
	// https://developer.alibaba.com/docs/doc.htm?articleId=120691&docType=1&treeId=727).
	DefaultTimestampWindow = 7200 * time.Second
)

// Options configures a simulator. Every zero value means its default.
type Options struct {
	// Seed and Products make the catalogue: the same pair gives the same
	// products, field for field.
	Seed     uint64
	Products int
	// The one app the gateway knows, and the token it issued to the
	// store's account.
	AppKey, AppSecret, AccessToken string
	// ShopID is the store's owner login id (owner_member_id), the scope of
	// its product list.
	ShopID string
	// Rate and Burst limit calls per app key: Rate calls a second, Burst at
	// once after a pause. Rate 0 means no limit. SetRateLimit changes them
	// while serving.
	Rate  float64
	Burst int
	// Throttle is how ApiCallLimit says when to come back: ThrottleBan
	// (the default, the platform's "this ban will last N seconds" in the
	// message), or, for clients that must cope with a gateway that words
	// it otherwise, ThrottleRetryAfter (a Retry-After header, which IOP
	// does not document, and no ban in the message) or ThrottleNoHint.
	Throttle simkit.Throttle
	// TimestampWindow bounds the skew of request timestamps.
	TimestampWindow time.Duration
	// Now is the gateway's clock (timestamps, flow control, fault
	// windows); After waits for slow faults. Tests inject both so nothing
	// depends on the wall clock. Defaults time.Now and time.After.
	Now   func() time.Time
	After func(time.Duration) <-chan time.Time
	// FaultSeed seeds the fault injector's random choices.
	FaultSeed uint64
}

// Credentials are the app's and the account's, as a plugin's config needs
// them.
type Credentials struct {
	AppKey, AppSecret, AccessToken string
}

// Server is a simulated AliExpress open platform gateway. Its methods are
// safe to call while it serves requests.
type Server struct {
	opts    Options
	cat     *catalog
	gw      *simkit.Gateway
	handler http.Handler

	mu    sync.Mutex
	stats Stats
	seq   int64
}

// Stats counts what the gateway saw behind the fault injector.
type Stats struct {
	// Requests is every request that reached the gateway.
	Requests int64
	// Calls counts the requests answered with data, by method.
	Calls map[string]int64
	// Errors counts the error answers, by the platform's error code
	// (business codes such as 605 count here too).
	Errors map[string]int64
}

// New builds the catalogue and the gateway. The handler it serves is
// wrapped in a fault injector with no rules; add them through Injector.
func New(o Options) *Server {
	if o.Products <= 0 {
		o.Products = DefaultProducts
	}
	if o.AppKey == "" {
		o.AppKey = DefaultAppKey
	}
	if o.AppSecret == "" {
		o.AppSecret = DefaultAppSecret
	}
	if o.AccessToken == "" {
		o.AccessToken = DefaultAccessToken
	}
	if o.ShopID == "" {
		o.ShopID = DefaultShopID
	}
	if o.TimestampWindow <= 0 {
		o.TimestampWindow = DefaultTimestampWindow
	}
	s := &Server{opts: o, cat: newCatalog(o.Seed, o.Products)}
	s.stats = newStats()
	s.gw = simkit.NewGateway(simkit.GatewayOptions{Clock: simkit.ClockOf(o.Now), After: o.After, FaultSeed: o.FaultSeed, Rate: o.Rate, Burst: max(o.Burst, 1)})
	s.handler = s.gw.WrapFunc(s.serve)
	return s
}

func newStats() Stats { return Stats{Calls: map[string]int64{}, Errors: map[string]int64{}} }

// Handler is the gateway behind its fault injector, ready for
// httptest.NewServer. It answers /sync (business APIs by method) and
// /rest/<path> (system APIs).
func (s *Server) Handler() http.Handler { return s.handler }

// Injector is the fault injector in front of the gateway.
func (s *Server) Injector() *faultinject.Injector { return s.gw.Faults }

// Credentials returns the app key, secret and token the gateway accepts.
func (s *Server) Credentials() Credentials {
	return Credentials{AppKey: s.opts.AppKey, AppSecret: s.opts.AppSecret, AccessToken: s.opts.AccessToken}
}

// ShopID is the store owner's login id: the scope under which
// aliexpress.solution.product.list.get lists the catalogue.
func (s *Server) ShopID() string { return s.opts.ShopID }

// IDs returns every product id of the catalogue in order, off-shelf and
// deleted ones included.
func (s *Server) IDs() []string {
	out := make([]string, len(s.cat.items))
	for i, it := range s.cat.items {
		out[i] = strconv.FormatInt(it.id, 10)
	}
	return out
}

// ListedIDs returns, in order, the ids the store's on-sale product list
// holds: every product but the off-shelf and deleted ones.
func (s *Server) ListedIDs() []string {
	var out []string
	for _, it := range s.cat.items {
		if it.status == onSelling {
			out = append(out, strconv.FormatInt(it.id, 10))
		}
	}
	return out
}

// SetRateLimit changes the calls a second and the burst allowed per app
// key; rate 0 lifts the limit. The bucket starts full.
func (s *Server) SetRateLimit(rate float64, burst int) { s.gw.Limit.Set(rate, max(burst, 1)) }

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Stats{Requests: s.stats.Requests, Calls: maps.Clone(s.stats.Calls), Errors: maps.Clone(s.stats.Errors)}
}

// ResetStats sets the counters to zero.
func (s *Server) ResetStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats = newStats()
}

// BanFault is a fault for Injector rules that answers as the gateway does
// when flow control refuses a call: status 200 with the ApiCallLimit error
// and "this ban will last N seconds", whatever the app's real quota. It
// makes a plugin see rate limiting at a chosen moment, without spending a
// limit first.
func BanFault(d time.Duration) faultinject.Fault {
	body, _ := json.Marshal(syncEnvelope(banError(d), "2140fa35ban"))
	return faultinject.ErrorBody(func(*http.Request) []byte { return body })
}

// LimitCounts is what the app key's flow control took and refused: the
// platform's side of the quota.
func (s *Server) LimitCounts() simkit.Counts { return s.gw.Limit.Counts() }
