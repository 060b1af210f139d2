package store

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/marketsync/marketsync/plugins/woocommerce/wcapi"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/httpclient"
)

// Name is the plugin's name and the Source of the products it reads.
const Name = "woocommerce"

// Version of the WooCommerce plugin.
const Version = "0.1.0"

// Names of the config fields.
const (
	FieldStoreURL       = "store_url"
	FieldConsumerKey    = wcapi.SettingConsumerKey
	FieldConsumerSecret = wcapi.SettingConsumerSecret
	FieldWebhookSecret  = "webhook_secret"
	FieldCurrency       = "currency"
	FieldLocale         = "locale"
	FieldTimeout        = sdk.FieldTimeout
	FieldProxies        = sdk.FieldProxies
)

// Limits declared in Describe.
const (
	// maxBatch: check_batch_limit refuses more than 100 items a batch
	// request (woocommerce_rest_batch_items_limit), and WordPress's
	// per_page stops at 100, so one call of every operation is at most
	// one request of each kind.
	maxBatch = wcapi.MaxBatch
	// maxWebhooks bounds VerifyWebhooks, which calls nothing.
	maxWebhooks = 1000
	// rate and burst: WooCommerce itself does not limit the REST API v3
	// (only the Store API has a rate limiter); the limit is the host's
	// PHP workers. 5 calls a second with 5 at once keeps a small shared
	// host responsive; operators of a bigger store raise it in the
	// platform block's rate_limit.
	rate  = 5
	burst = 5
)

var spec = sdk.ConfigSpec{
	{Name: FieldStoreURL, Type: sdk.FieldString, Required: true,
		Description: "Home URL of the WordPress site (https://shop.example, with the folder WordPress is in if any). https sends the key with Basic auth; plain http signs every request with OAuth 1.0a instead."},
	{Name: FieldConsumerKey, Type: sdk.FieldString, Required: true,
		Description: "Consumer key (ck_…) of a REST API key with read_write permissions (WooCommerce > Settings > Advanced > REST API)."},
	{Name: FieldConsumerSecret, Type: sdk.FieldString, Required: true, Sensitive: true,
		Description: "Consumer secret (cs_…) of that key."},
	{Name: FieldWebhookSecret, Type: sdk.FieldString, Default: "", Sensitive: true,
		Description: "Secret of the store's product webhooks (WooCommerce > Settings > Advanced > Webhooks); empty: the platform takes no webhooks, and the agent answers 404 to deliveries for it."},
	{Name: FieldCurrency, Type: sdk.FieldString, Default: "USD",
		Description: "The store's currency (WooCommerce > Settings > General), ISO 4217; prices in another currency are refused per item."},
	{Name: FieldLocale, Type: sdk.FieldString, Default: "en",
		Description: "BCP 47 locale of the store's texts: titles and descriptions are written from it and read back under it."},
	{Name: FieldTimeout, Type: sdk.FieldDuration, Default: sdk.DefaultTimeout,
		Description: "Time one call to the store may take, answer included."},
	{Name: FieldProxies, Type: sdk.FieldStringList, Default: []string{},
		Description: "Outbound proxies (http, https, socks5 URLs), used in turn when one fails."},
}

// app names the plugin in the not-configured error. WooCommerce's key
// has no access token, so sdk.AppSpec's shared fields do not fit its
// config; sdk.Configured does.
var app = sdk.AppSpec{Plugin: Name}

// Plugin publishes to one WooCommerce store.
type Plugin struct {
	cfg sdk.Configured[settings]
	// http is the transport's options hook for tests (TLS roots).
	http func(*httpclient.Options)
}

// settings is one Configure's outcome.
type settings struct {
	client        *wcapi.Client
	currency      string
	digits        int
	locale        string
	webhookSecret string
	shapes        *shapes
}

var (
	_ sdk.Plugin          = (*Plugin)(nil)
	_ sdk.Publisher       = (*Plugin)(nil)
	_ sdk.WebhookVerifier = (*Plugin)(nil)
)

// Option changes how New builds the plugin.
type Option func(*Plugin)

// WithTLS makes the plugin trust roots for the store's certificate, for
// tests against a simulator on HTTPS.
func WithTLS(roots *tls.Config) Option {
	return func(p *Plugin) { p.http = func(o *httpclient.Options) { o.TLSConfig = roots } }
}

// New returns an unconfigured plugin.
func New(opts ...Option) *Plugin {
	p := &Plugin{cfg: sdk.Configured[settings]{Spec: app}}
	for _, o := range opts {
		o(p)
	}
	return p
}

// Describe implements sdk.Plugin.
func (p *Plugin) Describe() sdk.Description {
	ops := map[sdk.Operation]sdk.OperationLimit{sdk.OpVerifyWebhooks: {MaxBatch: maxWebhooks}}
	for _, op := range []sdk.Operation{sdk.OpUpsertProducts, sdk.OpSetInventory, sdk.OpSetPrices, sdk.OpGetRemoteProducts} {
		ops[op] = sdk.OperationLimit{MaxBatch: maxBatch}
	}
	return sdk.Description{
		Name:    Name,
		Version: Version,
		Summary: "WooCommerce store (REST API v3): products, variations, stock and prices; signed product webhooks",
		Limits:  sdk.Limits{Rate: rate, Burst: burst, Operations: ops},
		Config:  spec,
	}
}

// Configure implements sdk.Plugin. It checks the values and builds the
// client; it does not call the store.
func (p *Plugin) Configure(_ context.Context, cfg *sdk.Config) error {
	bad := func(format string, args ...any) error { return sdk.Invalid("config", fmt.Sprintf(format, args...)) }
	s := &settings{
		currency:      cfg.String(FieldCurrency),
		locale:        cfg.String(FieldLocale),
		webhookSecret: cfg.String(FieldWebhookSecret),
		shapes:        newShapes(),
	}
	digits, err := minorDigits(s.currency)
	if err != nil {
		return bad("%s: %v", FieldCurrency, err)
	}
	s.digits = digits
	if strings.TrimSpace(s.locale) == "" {
		return bad("%s must not be empty", FieldLocale)
	}
	for _, f := range []string{FieldConsumerKey, FieldConsumerSecret} {
		if strings.TrimSpace(cfg.String(f)) == "" {
			return bad("%s must not be empty", f)
		}
	}
	if cfg.Duration(FieldTimeout) <= 0 {
		return bad("%s must be positive", FieldTimeout)
	}
	u, err := url.Parse(cfg.String(FieldStoreURL))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return bad("%s %q must be the store's home URL, such as https://shop.example", FieldStoreURL, cfg.String(FieldStoreURL))
	}
	ho := httpclient.Options{
		Timeout:   cfg.Duration(FieldTimeout),
		Proxies:   cfg.StringList(FieldProxies),
		UserAgent: "marketsync-plugin-woocommerce/" + Version,
		Quota:     httpclient.FirstQuota(httpclient.RateLimitHeaders, httpclient.XRateLimitHeaders),
	}
	if p.http != nil {
		p.http(&ho)
	}
	hc, err := httpclient.New(ho)
	if err != nil {
		return bad("%s: %v", FieldProxies, err)
	}
	s.client, err = wcapi.New(wcapi.Options{
		StoreURL:    u.String(),
		Credentials: wcapi.Credentials{ConsumerKey: cfg.String(FieldConsumerKey), ConsumerSecret: cfg.String(FieldConsumerSecret)},
		HTTP:        hc,
	})
	if err != nil {
		return bad("%v", err)
	}
	p.cfg.Set(s)
	return nil
}

// shape is what the plugin knows of a product in the store: its type,
// its SKU and its variations' ids by SKU. live holds the stock of the
// product and of each variation, by id, as a read just found them; the
// cache keeps shapes without it, as stock goes stale at once.
type shape struct {
	variable   bool
	sku        string
	variations map[string]int64
	live       map[int64]stockState
}

// stockState is a product's or variation's stock as read: the quantity
// (nil when the store does not manage it) and the idempotency key of the
// last stock write the plugin made to it (metaStockKey).
type stockState struct {
	stock *int64
	key   string
}

// shapes caches shapes by product id, safe for concurrent use.
type shapes struct {
	mu sync.Mutex
	m  map[int64]shape
}

func newShapes() *shapes { return &shapes{m: map[int64]shape{}} }

func (c *shapes) get(id int64) (shape, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.m[id]
	return s, ok
}

func (c *shapes) put(id int64, s shape) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s.live = nil
	c.m[id] = s
}

func (c *shapes) forget(id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, id)
}

// remoteID reads a product id as the plugin returns them; anything else
// names no product of the store.
func remoteID(s string) (int64, *sdk.Error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, sdk.NotFound("woocommerce_rest_product_invalid_id", fmt.Sprintf("%q is not a WooCommerce product id", s))
	}
	return id, nil
}
