package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/httpclient"
)

// APIVersion is the pinned Admin API version. 2026-04 is the first
// version in which inventorySetQuantities requires both changeFromQuantity
// on every quantity and an @idempotent key; the plugin always sends both,
// so it keeps working when older versions are retired. See the README.
const APIVersion = "2026-04"

// Header names of the Admin API.
const (
	HeaderAccessToken = "X-Shopify-Access-Token"
	// HeaderFencingToken carries a cluster's fencing token on writes.
	// Shopify itself has no conditional writes and ignores it; a store
	// (or proxy) that has them refuses a stale token with
	// CodeStaleFencingToken. See the plugin's README.
	HeaderFencingToken = "X-Marketsync-Fencing-Token"
)

// CodeStaleFencingToken is the extensions.code of a document refused
// because its fencing token is below one the store has accepted.
const CodeStaleFencingToken = "STALE_FENCING_TOKEN"

type fencingKey struct{}

// WithFencingToken returns ctx with the fencing token every document
// sent under it carries (none for 0, outside a cluster).
func WithFencingToken(ctx context.Context, token uint64) context.Context {
	if token == 0 {
		return ctx
	}
	return context.WithValue(ctx, fencingKey{}, token)
}

// Codes of the errors the client makes itself, besides httpclient's
// transport codes and the GraphQL codes Shopify sends.
const (
	// CodeMalformed: the answer is not the GraphQL JSON Shopify sends.
	CodeMalformed = "malformed_response"
	// CodeThrottled is the extensions.code of a throttled document.
	CodeThrottled = "THROTTLED"
	// CodeMaxCostExceeded: the document's requested cost is above the
	// single query limit; the plugin must ask for less.
	CodeMaxCostExceeded = "MAX_COST_EXCEEDED"
	// CodeAccessDenied: the token lacks a scope the document needs.
	CodeAccessDenied = "ACCESS_DENIED"
	// CodeInternal: Shopify's own failure, worth a retry.
	CodeInternal = "INTERNAL_SERVER_ERROR"
	// CodeGraphQL: any other top-level GraphQL error (a document the
	// schema refuses): a bug, not retried.
	CodeGraphQL = "graphql_error"
)

// Settings named in AUTH messages, so operators know what to fix.
const (
	SettingToken = "access_token"
	SettingShop  = "shop"
)

var shopDomain = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*\.myshopify\.com$`)

// CheckShop reports whether shop is a permanent *.myshopify.com domain,
// the only host the Admin API answers on for a shop.
func CheckShop(shop string) error {
	if !shopDomain.MatchString(shop) {
		return fmt.Errorf("shop %q must be the store's permanent domain, <name>.myshopify.com (lower case, no scheme or path)", shop)
	}
	return nil
}

// Options configures a Client.
type Options struct {
	// Shop is the store's *.myshopify.com domain.
	Shop string
	// Token is the Admin API access token.
	Token string
	// Endpoint, when set, replaces https://<Shop> as the base URL (a
	// simulator or a forward proxy); the path is added to it.
	Endpoint string
	// HTTP sends the requests; it owns timeouts, proxies and size limits.
	HTTP *httpclient.Client
}

// Client sends GraphQL documents to one shop. Safe for concurrent use.
type Client struct {
	url   string
	base  string
	token string
	http  *httpclient.Client
}

// New checks o and returns a Client. It makes no request.
func New(o Options) (*Client, error) {
	if err := CheckShop(o.Shop); err != nil {
		return nil, err
	}
	if strings.TrimSpace(o.Token) == "" {
		return nil, errors.New("access token is required")
	}
	if o.HTTP == nil {
		return nil, errors.New("no HTTP client")
	}
	base := "https://" + o.Shop
	if o.Endpoint != "" {
		u, err := url.Parse(o.Endpoint)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" {
			return nil, fmt.Errorf("endpoint %q must be an http(s) URL without a query", o.Endpoint)
		}
		base = strings.TrimRight(o.Endpoint, "/")
	}
	return &Client{url: base + "/admin/api/" + APIVersion + "/graphql.json", base: base, token: o.Token, http: o.HTTP}, nil
}

// Base is the base URL requests go to (https://<shop> or the endpoint).
func (c *Client) Base() string { return c.base }

// ThrottleStatus is extensions.cost.throttleStatus: the bucket after the
// document ran (or was refused).
type ThrottleStatus struct {
	MaximumAvailable   float64 `json:"maximumAvailable"`
	CurrentlyAvailable float64 `json:"currentlyAvailable"`
	RestoreRate        float64 `json:"restoreRate"`
}

// Cost is extensions.cost of an answer.
type Cost struct {
	RequestedQueryCost float64 `json:"requestedQueryCost"`
	// ActualQueryCost is nil when the document did not run (throttled).
	ActualQueryCost *float64       `json:"actualQueryCost"`
	ThrottleStatus  ThrottleStatus `json:"throttleStatus"`
}

// GraphQLError is one entry of a top-level "errors" list.
type GraphQLError struct {
	Message    string `json:"message"`
	Extensions struct {
		Code string `json:"code"`
	} `json:"extensions"`
}

// UserError is a mutation payload's userErrors entry: a refusal of one
// input, with the path of the offending field.
type UserError struct {
	Field   []string `json:"field"`
	Message string   `json:"message"`
	Code    string   `json:"code"`
}

// Path is the field path joined with dots ("input.variants.0.price").
func (e UserError) Path() string { return strings.Join(e.Field, ".") }

// Err is the per-item error for e: INVALID with the platform's code (or
// "user_error") and a message naming the field.
func (e UserError) Err() *sdk.Error {
	code := e.Code
	if code == "" {
		code = "user_error"
	}
	msg := e.Message
	if p := e.Path(); p != "" {
		msg = p + ": " + msg
	}
	return sdk.Invalid(code, msg)
}

// Response is a document's answer that carries data.
type Response struct {
	Data json.RawMessage
	Cost *Cost
	// Quota is the bucket as sdk.Quota: Remaining currentlyAvailable,
	// Limit maximumAvailable, Cost actualQueryCost.
	Quota *sdk.Quota
}

type request struct {
	Query     string         `json:"query"`
	Variables map[string]any `json:"variables,omitempty"`
}

type answer struct {
	Data       json.RawMessage `json:"data"`
	Errors     []GraphQLError  `json:"errors"`
	Extensions struct {
		Cost *Cost `json:"cost"`
	} `json:"extensions"`
}

// Do posts one document with its variables and returns its data, or the
// typed error the answer means. A document with data and errors (a
// partial answer) is an error: the plugin's documents are small enough to
// ask again whole.
func (c *Client) Do(ctx context.Context, query string, variables map[string]any) (*Response, error) {
	body, err := json.Marshal(request{Query: query, Variables: variables})
	if err != nil {
		return nil, sdk.Invalid(CodeGraphQL, "cannot encode the variables: "+err.Error())
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, sdk.Invalid(CodeGraphQL, err.Error())
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set(HeaderAccessToken, c.token)
	if token, ok := ctx.Value(fencingKey{}).(uint64); ok {
		req.Header.Set(HeaderFencingToken, strconv.FormatUint(token, 10))
	}
	resp, err := c.http.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	return Read(resp)
}

// Read interprets one HTTP answer of the GraphQL endpoint.
func Read(resp *httpclient.Response) (*Response, error) {
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		return nil, sdk.Auth("http_401", "Shopify refused the access token (401 Unauthorized): set "+SettingToken+" to the Admin API access token of an app installed on the shop")
	case http.StatusForbidden:
		return nil, sdk.Auth("http_403", "Shopify refused the call (403 Forbidden): the app behind "+SettingToken+" lacks an access scope (write_products, write_inventory, read_products) or the shop was closed")
	case http.StatusNotFound:
		return nil, sdk.Invalid("http_404", "no Admin API at this address (404): check "+SettingShop+" (the store's .myshopify.com domain)")
	}
	if se := resp.StatusError(); se != nil {
		return nil, se
	}
	var a answer
	if err := json.Unmarshal(resp.Body, &a); err != nil {
		return nil, sdk.Unavailable(CodeMalformed, "answer is not GraphQL JSON: "+err.Error())
	}
	out := &Response{Data: a.Data, Cost: a.Extensions.Cost}
	if a.Extensions.Cost != nil {
		out.Quota = quota(a.Extensions.Cost, resp.Received)
	}
	if len(a.Errors) > 0 {
		return out, classify(a.Errors, a.Extensions.Cost)
	}
	if len(a.Data) == 0 || string(a.Data) == "null" {
		return nil, sdk.Unavailable(CodeMalformed, "answer has neither data nor errors")
	}
	return out, nil
}

// quota reads the bucket into sdk.Quota. Reset is when one point will
// have leaked back once the bucket is empty.
func quota(c *Cost, now time.Time) *sdk.Quota {
	ts := c.ThrottleStatus
	q := &sdk.Quota{Remaining: int64(math.Floor(ts.CurrentlyAvailable)), Limit: int64(ts.MaximumAvailable)}
	if c.ActualQueryCost != nil {
		q.Cost = *c.ActualQueryCost
	}
	if q.Remaining <= 0 && ts.RestoreRate > 0 {
		q.Reset = now.Add(seconds((1 - ts.CurrentlyAvailable) / ts.RestoreRate))
	}
	return q
}

// ThrottleWait is how long the leaky bucket needs to hold the requested
// cost again: (requested − currentlyAvailable) / restoreRate, at least one
// point's worth. The official libraries only wait a fixed second or a
// Retry-After (shopify-api-ruby's HttpClient); the bucket in the answer
// says exactly how long.
func ThrottleWait(c *Cost) time.Duration {
	if c == nil || c.ThrottleStatus.RestoreRate <= 0 {
		return time.Second
	}
	missing := c.RequestedQueryCost - c.ThrottleStatus.CurrentlyAvailable
	return max(seconds(missing/c.ThrottleStatus.RestoreRate), seconds(1/c.ThrottleStatus.RestoreRate))
}

func seconds(s float64) time.Duration {
	return time.Duration(math.Ceil(s * float64(time.Second)))
}

// classify maps top-level GraphQL errors: the first one with a code
// decides.
func classify(errs []GraphQLError, cost *Cost) error {
	e := errs[0]
	for _, x := range errs {
		if x.Extensions.Code != "" {
			e = x
			break
		}
	}
	switch e.Extensions.Code {
	case CodeThrottled:
		return sdk.RateLimited(ThrottleWait(cost), CodeThrottled, e.Message)
	case CodeAccessDenied:
		return sdk.Auth(CodeAccessDenied, e.Message+": grant the app behind "+SettingToken+" the scope this call needs")
	case CodeInternal:
		return sdk.Unavailable(CodeInternal, e.Message)
	case CodeMaxCostExceeded:
		return sdk.Invalid(CodeMaxCostExceeded, e.Message)
	case CodeStaleFencingToken:
		// Another node took the store over: nothing this node sends
		// under its token can succeed.
		return sdk.Conflict(sdk.CodeStaleFencingToken, e.Message+" (another node owns this store now)")
	case "":
		if strings.EqualFold(e.Message, "Throttled") {
			return sdk.RateLimited(ThrottleWait(cost), CodeThrottled, e.Message)
		}
		return sdk.Invalid(CodeGraphQL, e.Message)
	}
	return sdk.Invalid(e.Extensions.Code, e.Message)
}

// Tally adds resp's quota to a call's: the bucket as the latest answer
// left it, and the cost of every document the call sent, so that the
// host charges the call what it really spent and not only its last
// document. A response without a quota leaves sofar as it is.
func Tally(sofar *sdk.Quota, resp *Response) *sdk.Quota {
	if resp == nil || resp.Quota == nil {
		return sofar
	}
	q := *resp.Quota
	if sofar != nil {
		q.Cost += sofar.Cost
	}
	return &q
}
