package store

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/marketsync/marketsync/plugins/shopify/admin"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/httpclient"
)

// Name and version of the plugin.
const (
	Name    = "shopify"
	Version = "0.1.0"
)

// Names of the config fields.
const (
	FieldShop             = "shop"
	FieldAccessToken      = sdk.FieldAccessToken
	FieldAppSecret        = sdk.FieldAppSecret
	FieldLocationID       = "location_id"
	FieldCurrency         = "currency"
	FieldLocale           = "locale"
	FieldEndpoint         = sdk.FieldEndpoint
	FieldTimeout          = sdk.FieldTimeout
	FieldProxies          = sdk.FieldProxies
	FieldBulkThreshold    = "bulk_threshold"
	FieldBulkPollInterval = "bulk_poll_interval"
)

// Limits declared in Describe. Shopify limits by calculated query cost, so
// Rate and Burst are points: the restore rate and bucket size of the
// Standard plan's bucket as the throttled answers report it
// (restoreRate 50, maximumAvailable 1000; "GraphQL Admin API rate
// limits", https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits).
// Shopify runs a document only when the bucket holds its requested cost
// (the worst case of what it may return), takes that, then gives back
// what the actual cost left over. So each operation's Cost is the
// requested cost of its largest document, what must be available for the
// call to pass; what it really spent comes back in Quota.Cost and the
// bucket after it in Quota.Remaining.
const (
	restoreRate = 50
	bucketSize  = 1000
	// mutationCost is a mutation field's documented default cost.
	mutationCost = 10
	// syncChunk is how many productSet fields one synchronous document
	// carries (100 points).
	syncChunk = 10
	// maxUpsert bounds one UpsertProducts call: the bulk path takes a
	// thousand products (about 1.5 MB of JSONL for three variants each)
	// in one staged file and one operation.
	maxUpsert = 1000
	// maxWrites bounds SetPrices and SetInventory: at most 50 mutation
	// fields (500 points) per document.
	maxWrites = 50
	// readChunk products per nodes document: variants(first: 100) makes
	// each product 103 points requested (1 + 2 + 100), so 4 stay near 400.
	readChunk = 4
	// maxVariants is the variants read per product; Shopify's default
	// limit is 2048 but the plugin's products stay far below 100.
	maxVariants = 100
	// maxGet bounds GetRemoteProducts: 9 × 103 = 927 points, under the
	// single query limit of 1000.
	maxGet = 9
	// defaultBulkThreshold: batches larger than this go through a bulk
	// mutation.
	defaultBulkThreshold = 250
)

// Namespace and key of the custom ID metafield that holds the product's
// source identity.
const (
	metaNamespace = "marketsync"
	metaKey       = "source_id"
)

var app = sdk.AppSpec{Plugin: Name}

var spec = sdk.ConfigSpec{
	{Name: FieldShop, Type: sdk.FieldString, Required: true,
		Description: "The store's permanent domain, <name>.myshopify.com."},
	{Name: FieldAccessToken, Type: sdk.FieldString, Required: true, Sensitive: true,
		Description: "Admin API access token of the app installed on the store (sent as X-Shopify-Access-Token); scopes write_products, write_inventory."},
	{Name: FieldAppSecret, Type: sdk.FieldString, Required: true, Sensitive: true,
		Description: "The app's client secret: the key of the webhooks' X-Shopify-Hmac-Sha256."},
	{Name: FieldLocationID, Type: sdk.FieldString, Required: true,
		Description: "The location whose available quantities the plugin sets, gid://shopify/Location/<n>."},
	{Name: FieldCurrency, Type: sdk.FieldString, Default: "USD",
		Description: "The store's currency (ISO 4217); prices in another currency are refused per item."},
	{Name: FieldLocale, Type: sdk.FieldString, Default: "en",
		Description: "The locale of the titles and descriptions written (BCP 47); a product without it uses its first locale."},
	{Name: FieldEndpoint, Type: sdk.FieldString,
		Description: "Base URL to send requests to instead of https://<shop> (a simulator or a forward proxy)."},
	{Name: FieldTimeout, Type: sdk.FieldDuration, Default: sdk.DefaultTimeout,
		Description: "Time one request to the store may take, answer included."},
	{Name: FieldProxies, Type: sdk.FieldStringList, Default: []string{},
		Description: "Outbound proxies (http, https, socks5 URLs), used in turn when one fails."},
	{Name: FieldBulkThreshold, Type: sdk.FieldInt, Default: int64(defaultBulkThreshold),
		Description: "Upserts of more products than this go through one bulk mutation over a staged upload instead of synchronous productSet calls."},
	{Name: FieldBulkPollInterval, Type: sdk.FieldDuration, Default: "2s",
		Description: "Time between polls of a running bulk mutation."},
}

// Plugin publishes to one Shopify store.
type Plugin struct {
	cfg sdk.Configured[settings]
	// after waits between bulk polls; tests replace it.
	after func(time.Duration) <-chan time.Time
}

type settings struct {
	shopDomain string
	client     *admin.Client
	http       *httpclient.Client
	secret     string
	location   string
	currency   string
	digits     int
	locale     string
	threshold  int
	poll       time.Duration
}

var (
	_ sdk.Plugin          = (*Plugin)(nil)
	_ sdk.Publisher       = (*Plugin)(nil)
	_ sdk.WebhookVerifier = (*Plugin)(nil)
)

// New returns an unconfigured plugin.
func New() *Plugin { return &Plugin{cfg: sdk.Configured[settings]{Spec: app}, after: time.After} }

// Describe implements sdk.Plugin.
func (p *Plugin) Describe() sdk.Description {
	return sdk.Description{
		Name:    Name,
		Version: Version,
		Summary: "Shopify store through the Admin GraphQL API " + admin.APIVersion + " (productSet, bulk mutations, inventorySetQuantities)",
		Limits: sdk.Limits{
			Rate:  restoreRate,
			Burst: bucketSize,
			Operations: map[sdk.Operation]sdk.OperationLimit{
				sdk.OpUpsertProducts:    {MaxBatch: maxUpsert, Cost: syncChunk * mutationCost},
				sdk.OpSetPrices:         {MaxBatch: maxWrites, Cost: maxWrites * mutationCost},
				sdk.OpSetInventory:      {MaxBatch: maxWrites, Cost: maxWrites * mutationCost},
				sdk.OpGetRemoteProducts: {MaxBatch: maxGet, Cost: maxGet * (1 + 2 + maxVariants)},
				sdk.OpVerifyWebhooks:    {MaxBatch: 100},
			},
		},
		Config: spec,
	}
}

var currencyCode = regexp.MustCompile(`^[A-Z]{3}$`)
var locationGID = regexp.MustCompile(`^gid://shopify/Location/[0-9]+$`)

// Configure implements sdk.Plugin. It checks the config and builds the
// client without calling the store.
func (p *Plugin) Configure(_ context.Context, cfg *sdk.Config) error {
	shop := cfg.String(FieldShop)
	if err := admin.CheckShop(shop); err != nil {
		return sdk.Invalid("config", err.Error())
	}
	for _, f := range []string{FieldAccessToken, FieldAppSecret} {
		if cfg.String(f) == "" {
			return sdk.Invalid("config", f+" must not be empty")
		}
	}
	if !locationGID.MatchString(cfg.String(FieldLocationID)) {
		return sdk.Invalid("config", fmt.Sprintf("%s %q must be a location id, gid://shopify/Location/<n>", FieldLocationID, cfg.String(FieldLocationID)))
	}
	currency := cfg.String(FieldCurrency)
	if !currencyCode.MatchString(currency) {
		return sdk.Invalid("config", fmt.Sprintf("%s %q must be an ISO 4217 code such as USD", FieldCurrency, currency))
	}
	if cfg.Int(FieldBulkThreshold) < 1 {
		return sdk.Invalid("config", FieldBulkThreshold+" must be at least 1")
	}
	if cfg.Duration(FieldTimeout) <= 0 || cfg.Duration(FieldBulkPollInterval) <= 0 {
		return sdk.Invalid("config", FieldTimeout+" and "+FieldBulkPollInterval+" must be positive")
	}
	hc, err := httpclient.New(httpclient.Options{
		Timeout:   cfg.Duration(FieldTimeout),
		Proxies:   cfg.StringList(FieldProxies),
		UserAgent: "marketsync-plugin-shopify/" + Version,
		// Bulk results can be large: 1000 products of 3 variants is
		// about 1.5 MB.
		MaxResponseBytes: 256 << 20,
	})
	if err != nil {
		return sdk.Invalid("config", err.Error())
	}
	client, err := admin.New(admin.Options{Shop: shop, Token: cfg.String(FieldAccessToken), Endpoint: cfg.String(FieldEndpoint), HTTP: hc})
	if err != nil {
		return sdk.Invalid("config", err.Error())
	}
	p.cfg.Set(&settings{
		shopDomain: shop, client: client, http: hc, secret: cfg.String(FieldAppSecret), location: cfg.String(FieldLocationID),
		currency: currency, digits: currencyDigits(currency), locale: cfg.String(FieldLocale),
		threshold: int(cfg.Int(FieldBulkThreshold)), poll: cfg.Duration(FieldBulkPollInterval),
	})
	return nil
}

func (s *settings) shop() string { return s.shopDomain }

// currencyDigits is the number of minor digits of an ISO 4217 currency
// (ISO 4217's minor unit column; 2 for the rest).
func currencyDigits(c string) int {
	switch c {
	case "JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF", "PYG":
		return 0
	case "KWD", "BHD", "OMR", "JOD", "TND", "IQD", "LYD":
		return 3
	}
	return 2
}
