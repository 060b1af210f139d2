package sdk

import (
	"context"
	"time"

	"github.com/marketsync/marketsync/sdk/model"
)

// Plugin is what every plugin implements. A plugin also implements
// Collector, Publisher or both; Serve finds out which by type assertion and
// advertises the matching capabilities.
//
// Authors pin their types to the interfaces at compile time:
//
//	var (
//		_ sdk.Plugin    = (*Plugin)(nil)
//		_ sdk.Collector = (*Plugin)(nil)
//	)
type Plugin interface {
	// Describe returns the plugin's name, version, documented limits and
	// config schema. It is called before Configure and must not fail.
	Describe() Description
	// Configure receives the operator's config block, already checked
	// against the spec from Describe. It may be called again after a
	// restart of the plugin process; it must not call the platform.
	Configure(ctx context.Context, cfg *Config) error
}

// Collector reads listings from a source marketplace.
type Collector interface {
	Plugin
	// FetchProducts returns one result per requested id, in order; an id
	// the platform does not know, or an item off-shelf, is a per-item
	// NotFound, never an error of the whole call.
	FetchProducts(ctx context.Context, req *FetchProductsRequest) (*FetchProductsResponse, error)
	// ListProducts returns a page of ids and a cursor for the next page.
	ListProducts(ctx context.Context, req *ListProductsRequest) (*ListProductsResponse, error)
}

// URLResolver is implemented by collectors whose platform's product
// pages can be named by URL. Operators and the API may then give URLs
// wherever they give ids.
type URLResolver interface {
	Collector
	// ResolveURLs returns one result per URL, in order: the id, or a
	// per-item INVALID error for a URL that names no product of this
	// platform. It must not call the platform.
	ResolveURLs(ctx context.Context, req *ResolveURLsRequest) (*ResolveURLsResponse, error)
}

type ResolveURLsRequest struct {
	URLs []string
}

type ResolveURLsResponse struct {
	Results []ResolveResult
}

// ResolveResult is the id a URL names, or why it names none.
type ResolveResult struct {
	URL string
	ID  string
	Err *Error
}

// Publisher writes listings, stock and prices to a store.
type Publisher interface {
	Plugin
	UpsertProducts(ctx context.Context, req *UpsertProductsRequest) (*UpsertProductsResponse, error)
	SetInventory(ctx context.Context, req *SetInventoryRequest) (*SetInventoryResponse, error)
	SetPrices(ctx context.Context, req *SetPricesRequest) (*SetPricesResponse, error)
	GetRemoteProducts(ctx context.Context, req *GetRemoteProductsRequest) (*GetRemoteProductsResponse, error)
}

// WebhookVerifier is implemented by plugins whose platform pushes changes
// (webhooks). The agent receives a delivery, hands it over unread and acts
// only on what the plugin verified, so it never needs to know a
// platform's signing scheme.
type WebhookVerifier interface {
	Plugin
	// VerifyWebhooks returns one result per delivery, in order: the event
	// it carries, or a per-item AUTH error when its signature is missing or
	// wrong (compare in constant time) and INVALID when it cannot be read.
	// It must not call the platform.
	VerifyWebhooks(ctx context.Context, req *VerifyWebhooksRequest) (*VerifyWebhooksResponse, error)
}

// Webhook is one delivery as the agent received it.
type Webhook struct {
	// Headers by lower-case name; a repeated header's values joined with
	// ", ".
	Headers map[string]string
	// Body is the raw body, byte for byte.
	Body []byte
}

// WebhookEvent is what a genuine delivery says happened.
type WebhookEvent struct {
	// DeliveryID is the platform's id of the delivery, the same on every
	// redelivery.
	DeliveryID string
	Topic      string
	RemoteIDs  []string
	OccurredAt time.Time
}

// WebhookResult is the outcome for one delivery: its event or an error.
type WebhookResult struct {
	Event *WebhookEvent
	Err   *Error
}

type VerifyWebhooksRequest struct {
	Webhooks []Webhook
}

type VerifyWebhooksResponse struct {
	Results []WebhookResult
}

// Quota is what a platform said about the remaining allowance, read from
// its response headers or body; the host corrects its limiter with it.
type Quota struct {
	Remaining int64
	Limit     int64
	// Reset is when a call will be accepted again once Remaining is 0: the
	// end of the window for a platform that counts calls per window, the
	// next token for one that leaks a bucket. Zero when unknown. The host
	// holds calls until then when Remaining is 0, so a Reset later than
	// the truth costs throughput.
	Reset time.Time
	// Cost is what this call cost, for platforms that limit by cost (in
	// the unit of Remaining and Limit, such as Shopify's query points);
	// zero for platforms that count calls.
	Cost float64
}

// ProductResult is the outcome for one id: a product or an error.
type ProductResult struct {
	ID      string
	Product *Product
	Err     *Error
}

// WriteResult is the outcome for one write.
type WriteResult struct {
	RemoteID       string
	IdempotencyKey string
	Err            *Error
}

type FetchProductsRequest struct {
	IDs []string
	// Locales and Currency are preferences for platforms that translate or
	// convert; empty means the platform's own.
	Locales  []string
	Currency string
}

type FetchProductsResponse struct {
	Results []ProductResult
	Quota   *Quota
}

type ListProductsRequest struct {
	// Cursor is empty for the first page, else a NextCursor returned before.
	Cursor   string
	PageSize int
	// Scope selects the listing (a shop, a seller, a category);
	// plugin-specific, empty for the plugin's default.
	Scope string
}

type ListProductsResponse struct {
	IDs []string
	// NextCursor is empty on the last page.
	NextCursor string
	Quota      *Quota
}

// UpsertItem creates a product (RemoteID empty) or updates a bound one.
type UpsertItem struct {
	IdempotencyKey string
	Product        Product
	RemoteID       string
}

type UpsertProductsRequest struct {
	Items []UpsertItem
	// FencingToken is the cluster lease's token; stores that support
	// conditional writes reject stale ones. 0 outside a cluster.
	FencingToken uint64
}

// CodeStaleFencingToken is the code of a write the store refused because
// its FencingToken is below one the store has accepted: the writer lost
// its lease to another node. Report it as KindConflict (a retry cannot
// succeed), so the host records it on the items and does not retry.
const CodeStaleFencingToken = model.CodeStaleFencingToken

type UpsertProductsResponse struct {
	Results []WriteResult
	Quota   *Quota
}

type InventoryItem struct {
	IdempotencyKey string
	RemoteID       string
	SKU            string
	Stock          int64
	// ExpectedStock, when not nil, is the quantity the host believes the
	// store holds: a plugin whose store supports compare-and-set sends it,
	// and answers CONFLICT for the item when the store holds another.
	ExpectedStock *int64
}

type SetInventoryRequest struct {
	Items        []InventoryItem
	FencingToken uint64
}

type SetInventoryResponse struct {
	Results []WriteResult
	Quota   *Quota
}

type PriceItem struct {
	IdempotencyKey string
	RemoteID       string
	SKU            string
	Price          Money
}

type SetPricesRequest struct {
	Items        []PriceItem
	FencingToken uint64
}

type SetPricesResponse struct {
	Results []WriteResult
	Quota   *Quota
}

type GetRemoteProductsRequest struct {
	RemoteIDs []string
}

type GetRemoteProductsResponse struct {
	Results []ProductResult
	Quota   *Quota
}
