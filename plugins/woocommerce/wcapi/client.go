package wcapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/httpclient"
)

// APIRoot is where the wc/v3 routes are, below the store's home URL
// (WordPress's rest_get_url_prefix "wp-json" and WooCommerce's namespace
// "wc/v3").
const APIRoot = "/wp-json/wc/v3/"

// MaxBatch is the most items one batch request may carry, creates,
// updates and deletes together: the default of the
// woocommerce_rest_batch_items_limit filter (check_batch_limit in
// class-wc-rest-controller.php). More is refused whole with 413
// woocommerce_rest_request_entity_too_large.
const MaxBatch = 100

// MaxPerPage is the largest per_page of a collection (WordPress's
// get_collection_params: "maximum" 100).
const MaxPerPage = 100

// Credentials are a REST API key of the store (WooCommerce > Settings >
// Advanced > REST API).
type Credentials struct {
	ConsumerKey    string
	ConsumerSecret string
}

// Options configures a Client.
type Options struct {
	// StoreURL is the store's home URL (https://shop.example, or with the
	// folder WordPress is installed in). Its scheme decides how requests
	// authenticate: Basic over https, OAuth 1.0a signatures over http.
	StoreURL    string
	Credentials Credentials
	// HTTP sends the requests; it owns timeouts, proxies and the size
	// limit of answers.
	HTTP *httpclient.Client
	// Now stamps OAuth requests (oauth_timestamp, which WooCommerce
	// accepts within 15 minutes of its clock). Default time.Now.
	Now func() time.Time
	// Nonce makes oauth_nonce, which must never repeat within 15 minutes.
	// Default: 32 random letters and digits.
	Nonce func() string
}

// Client calls one store's REST API. It is safe for concurrent use.
type Client struct {
	home  string // scheme://host[:port][/path], no trailing slash
	oauth bool
	creds Credentials
	http  *httpclient.Client
	now   func() time.Time
	nonce func() string
}

// New checks o and returns a Client. It does not call the store.
func New(o Options) (*Client, error) {
	u, err := url.Parse(o.StoreURL)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("store URL %q must be an absolute http(s) URL without query, fragment or user", o.StoreURL)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, fmt.Errorf("store URL %q must be http or https", o.StoreURL)
	}
	if o.HTTP == nil {
		return nil, errors.New("no HTTP client")
	}
	if strings.TrimSpace(o.Credentials.ConsumerKey) == "" || strings.TrimSpace(o.Credentials.ConsumerSecret) == "" {
		return nil, errors.New("consumer key and consumer secret are required")
	}
	c := &Client{
		home:  strings.TrimRight(u.Scheme+"://"+u.Host+u.EscapedPath(), "/"),
		oauth: u.Scheme == "http",
		creds: o.Credentials,
		http:  o.HTTP,
		now:   o.Now,
		nonce: o.Nonce,
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.nonce == nil {
		c.nonce = randomNonce
	}
	return c, nil
}

func randomNonce() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// HeaderFencingToken carries a cluster's fencing token on writes.
// WooCommerce ignores it; a store with conditional writes refuses a stale
// one (CodeStaleFencingToken).
const HeaderFencingToken = "X-Marketsync-Fencing-Token"

type fencingKey struct{}

// WithFencingToken returns ctx with the fencing token every write (any
// request but GET) sent under it carries (none for 0, outside a
// cluster).
func WithFencingToken(ctx context.Context, token uint64) context.Context {
	if token == 0 {
		return ctx
	}
	return context.WithValue(ctx, fencingKey{}, token)
}

// Response is a successful answer: its body, headers and the quota a
// host's headers reported.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	Quota  *sdk.Quota
}

// Page is what a collection's headers say: X-WP-Total items in
// X-WP-TotalPages pages (WC_REST_CRUD_Controller::get_items).
type Page struct {
	Total, TotalPages int
}

// Page reads the collection headers; -1 for a header that is absent.
func (r *Response) Page() Page {
	read := func(name string) int {
		n, err := strconv.Atoi(r.Header.Get(name))
		if err != nil {
			return -1
		}
		return n
	}
	return Page{Total: read("X-WP-Total"), TotalPages: read("X-WP-TotalPages")}
}

// Do sends method to route (relative to APIRoot, such as
// "products/batch") with the query and, when in is not nil, in as a JSON
// body. It returns the answer when its status is 2xx; otherwise the
// typed error (Classify).
func (c *Client) Do(ctx context.Context, method, route string, query url.Values, in any) (*Response, error) {
	if strings.HasPrefix(route, "/") || strings.Contains(route, "?") {
		return nil, sdk.Invalid(CodeBadRequest, fmt.Sprintf("route %q must be relative to %s, without a query", route, APIRoot))
	}
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return nil, sdk.Invalid(CodeBadRequest, "request body: "+err.Error())
		}
	}
	target := c.home + APIRoot + route
	q := url.Values{}
	for k, vs := range query {
		q[k] = append([]string(nil), vs...)
	}
	if c.oauth {
		c.sign(method, target, q)
	}
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	if err != nil {
		return nil, sdk.Invalid(CodeBadRequest, err.Error())
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if !c.oauth {
		req.SetBasicAuth(c.creds.ConsumerKey, c.creds.ConsumerSecret)
	}
	if token, ok := ctx.Value(fencingKey{}).(uint64); ok && method != http.MethodGet {
		req.Header.Set(HeaderFencingToken, strconv.FormatUint(token, 10))
	}
	resp, err := c.http.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	if e := Classify(resp.StatusCode, resp.Header, resp.Body, resp.Received); e != nil {
		return nil, e
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: resp.Body, Quota: resp.Quota}, nil
}

// sign adds the OAuth 1.0a parameters and the signature to q. The JSON
// body is not signed: WooCommerce signs $_GET and $_POST, and PHP fills
// $_POST from form bodies only.
func (c *Client) sign(method, target string, q url.Values) {
	q.Set(OAuthConsumerKey, c.creds.ConsumerKey)
	q.Set(OAuthTimestamp, strconv.FormatInt(c.now().Unix(), 10))
	q.Set(OAuthNonce, c.nonce())
	q.Set(OAuthSignatureMethod, SignatureMethod)
	q.Set(OAuthSignature, Sign(method, target, Flatten(q), c.creds.ConsumerSecret))
}

// Get reads route into out (a JSON value).
func (c *Client) Get(ctx context.Context, route string, query url.Values, out any) (*Response, error) {
	resp, err := c.Do(ctx, http.MethodGet, route, query, nil)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(resp.Body, out); err != nil {
		return nil, malformed(route, err)
	}
	return resp, nil
}

func malformed(route string, err error) *sdk.Error {
	return sdk.Unavailable(CodeMalformed, fmt.Sprintf("answer of %s is not the JSON the API sends: %v", route, err))
}

// Batch is the body of a …/batch request: objects to create, objects
// with their id to update, ids to delete.
type Batch struct {
	Create []any   `json:"create,omitempty"`
	Update []any   `json:"update,omitempty"`
	Delete []int64 `json:"delete,omitempty"`
}

// Len is the number of items check_batch_limit counts.
func (b *Batch) Len() int { return len(b.Create) + len(b.Update) + len(b.Delete) }

// BatchResult is the answer of a batch: one entry per item of each list,
// in order.
type BatchResult struct {
	Create []BatchItem `json:"create"`
	Update []BatchItem `json:"update"`
	Delete []BatchItem `json:"delete"`
}

// BatchItem is one item's outcome: the object as the API returns it, or
// {"id", "error"} when the store refused the item.
type BatchItem struct {
	ID  int64
	Err *APIError
	Raw json.RawMessage
}

// UnmarshalJSON keeps the object and reads its id and error.
func (b *BatchItem) UnmarshalJSON(data []byte) error {
	var head struct {
		ID    json.Number `json:"id"`
		Error *APIError   `json:"error"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return err
	}
	b.ID, _ = head.ID.Int64()
	b.Err, b.Raw = head.Error, append(json.RawMessage(nil), data...)
	return nil
}

// DoBatch posts b to route (such as "products/batch"). A batch above
// MaxBatch is refused before it is sent. The answer must have one entry
// per item sent; a shorter list is a malformed answer.
func (c *Client) DoBatch(ctx context.Context, route string, b *Batch) (*BatchResult, *Response, error) {
	if n := b.Len(); n > MaxBatch {
		return nil, nil, sdk.Invalid(CodeBadRequest, fmt.Sprintf("%s: %d items, the store accepts at most %d a request", route, n, MaxBatch))
	}
	resp, err := c.Do(ctx, http.MethodPost, route, nil, b)
	if err != nil {
		return nil, nil, err
	}
	var r BatchResult
	if err := json.Unmarshal(resp.Body, &r); err != nil {
		return nil, nil, malformed(route, err)
	}
	if len(r.Create) != len(b.Create) || len(r.Update) != len(b.Update) || len(r.Delete) != len(b.Delete) {
		return nil, nil, malformed(route, fmt.Errorf("%d/%d/%d results for %d/%d/%d items",
			len(r.Create), len(r.Update), len(r.Delete), len(b.Create), len(b.Update), len(b.Delete)))
	}
	return &r, resp, nil
}
