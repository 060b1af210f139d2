package sim

import (
	"maps"
	"net/http"
	"sync"
	"time"

	"github.com/marketsync/marketsync/sdk/faultinject"
	"github.com/marketsync/marketsync/sdk/simkit"
)

// Defaults of Options.
const (
	DefaultConsumerKey    = "ck_4f1d2c9a7b0e4f6a8c3d5e7f9a1b2c3d4e5f6a7b"
	DefaultConsumerSecret = "cs_9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d"
	DefaultWebhookSecret  = "whsec-sim-6d1f0e4c"
	// DefaultBatchLimit is woocommerce_rest_batch_items_limit's default
	// (check_batch_limit in class-wc-rest-controller.php).
	DefaultBatchLimit = 100
	// OAuthWindow is how far oauth_timestamp may be from the store's
	// clock, and how long a nonce is remembered
	// (check_oauth_timestamp_and_nonce: "15 minute window").
	OAuthWindow = 15 * time.Minute
)

// Permissions of an API key (WooCommerce > Settings > Advanced > REST API).
const (
	PermRead      = "read"
	PermWrite     = "write"
	PermReadWrite = "read_write"
)

// Options configures a store. Every zero value means its default.
type Options struct {
	// The one API key the store knows, and its permissions (default
	// read_write).
	ConsumerKey, ConsumerSecret string
	Permissions                 string
	// HomeURL is the store's home URL, the base of the OAuth base string
	// and of X-WC-Webhook-Source. Empty: the scheme and Host of each
	// request.
	HomeURL string
	// WebhookURL receives a delivery for every product created, updated
	// or deleted, signed with WebhookSecret. Empty: deliveries are only
	// recorded (Deliveries).
	WebhookURL    string
	WebhookSecret string
	// BatchLimit is the woocommerce_rest_batch_items_limit filter's value.
	BatchLimit int
	// Rate and Burst limit calls (a host's limit; WooCommerce has none of
	// its own). Rate 0 means no limit.
	Rate  float64
	Burst int
	// Now is the store's clock (OAuth timestamps, dates, the limit, fault
	// windows); After waits for slow faults. Defaults time.Now and
	// time.After.
	Now   func() time.Time
	After func(time.Duration) <-chan time.Time
	// FaultSeed seeds the fault injector's random choices.
	FaultSeed uint64
	// Client sends webhook deliveries. Default a client with a 60-second
	// timeout (WC_Webhook::deliver's MINUTE_IN_SECONDS).
	Client *http.Client
}

// Credentials are the API key a plugin's config needs.
type Credentials struct {
	ConsumerKey, ConsumerSecret string
}

// Server is a simulated WooCommerce store. Its methods are safe to call
// while it serves requests.
type Server struct {
	opts    Options
	gw      *simkit.Gateway
	handler http.Handler

	mu     sync.Mutex
	state  *state
	races  map[int64]int64 // product or variation → stock set just before its next batch update
	nonces map[string]time.Time
	stats  Stats
	hooks  *hooks
	fence  *simkit.Fence
}

// Stats counts what reached the store behind the fault injector.
type Stats struct {
	// Requests is every request that reached the store.
	Requests int64
	// Calls counts the requests answered 2xx, by method and route
	// pattern: "POST products/batch", "POST
	// products/{id}/variations/batch", "GET products", …
	Calls map[string]int64
	// Errors counts the error answers of whole calls, by code.
	Errors map[string]int64
	// ItemErrors counts the refused items inside batch answers, by code.
	ItemErrors map[string]int64
	// Items counts the items of batches carried out, by route pattern and
	// action: "products/batch create", "products/{id}/variations/batch
	// update", …
	Items map[string]int64
}

func newStats() Stats {
	return Stats{Calls: map[string]int64{}, Errors: map[string]int64{}, ItemErrors: map[string]int64{}, Items: map[string]int64{}}
}

// New returns an empty store. Its handler is wrapped in a fault injector
// with no rules; add them through Injector.
func New(o Options) *Server {
	if o.ConsumerKey == "" {
		o.ConsumerKey = DefaultConsumerKey
	}
	if o.ConsumerSecret == "" {
		o.ConsumerSecret = DefaultConsumerSecret
	}
	if o.Permissions == "" {
		o.Permissions = PermReadWrite
	}
	if o.WebhookSecret == "" {
		o.WebhookSecret = DefaultWebhookSecret
	}
	if o.BatchLimit <= 0 {
		o.BatchLimit = DefaultBatchLimit
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: time.Minute}
	}
	s := &Server{opts: o, state: newState(), races: map[int64]int64{}, nonces: map[string]time.Time{}, stats: newStats(), fence: simkit.NewFence()}
	s.gw = simkit.NewGateway(simkit.GatewayOptions{Clock: simkit.ClockOf(o.Now), After: o.After, FaultSeed: o.FaultSeed, Rate: o.Rate, Burst: max(o.Burst, 1)})
	s.hooks = newHooks(o.Client)
	s.handler = s.gw.WrapFunc(s.serve)
	return s
}

// Handler is the store behind its fault injector.
func (s *Server) Handler() http.Handler { return s.handler }

// Injector is the fault injector in front of the store.
func (s *Server) Injector() *faultinject.Injector { return s.gw.Faults }

// Credentials returns the API key the store accepts.
func (s *Server) Credentials() Credentials {
	return Credentials{ConsumerKey: s.opts.ConsumerKey, ConsumerSecret: s.opts.ConsumerSecret}
}

// WebhookSecret is the secret deliveries are signed with.
func (s *Server) WebhookSecret() string { return s.opts.WebhookSecret }

// SetRateLimit changes the calls a second and the burst allowed; rate 0
// lifts the limit.
func (s *Server) SetRateLimit(rate float64, burst int) { s.gw.Limit.Set(rate, max(burst, 1)) }

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Stats{Requests: s.stats.Requests, Calls: maps.Clone(s.stats.Calls), Errors: maps.Clone(s.stats.Errors),
		ItemErrors: maps.Clone(s.stats.ItemErrors), Items: maps.Clone(s.stats.Items)}
}

// ResetStats sets the counters to zero.
func (s *Server) ResetStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats = newStats()
}

func (s *Server) now() time.Time { return s.gw.Now().UTC() }
