package wcapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/httpclient"
)

// Codes of the errors the client makes itself, besides httpclient's
// transport codes and WooCommerce's own.
const (
	// CodeMalformed: the answer is not the JSON the API sends (cut short,
	// garbage, an HTML page from a proxy). Kind Unavailable: the next
	// answer is usually whole.
	CodeMalformed = "malformed_response"
	// CodeBadRequest: the plugin built a request it must not send. Kind
	// Invalid: a bug.
	CodeBadRequest = "bad_request"
	// CodeStaleFencingToken is the code of the 409 a store with
	// conditional writes answers for a write whose fencing token is below
	// one it accepted. WooCommerce itself has none; see the README.
	CodeStaleFencingToken = "marketsync_stale_fencing_token"
)

// Names of the settings an AUTH error tells the operator to fix.
const (
	SettingConsumerKey    = "consumer_key"
	SettingConsumerSecret = "consumer_secret"
)

// APIError is WordPress's error object, the body of every error answer
// of the REST API (WP_REST_Server::error_to_response) and the "error" of
// a failed item of a batch (WC_REST_Controller::batch_items).
type APIError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Data    struct {
		Status int `json:"status"`
	} `json:"data"`
}

// Classify turns an answer whose status is an error into an *sdk.Error;
// nil for 1xx–3xx. The kind comes from the status (see
// httpclient.StatusError: 429 RATE_LIMITED and 503 UNAVAILABLE with their
// Retry-After, other 5xx UNAVAILABLE, 401/403 AUTH, 404 NOT_FOUND, other
// 4xx INVALID); the code and message are WooCommerce's when the body is
// its error object. An AUTH error says which settings to fix.
func Classify(status int, h http.Header, body []byte, received time.Time) *sdk.Error {
	e := httpclient.StatusError(status, h, body, received)
	if e == nil {
		return nil
	}
	var api APIError
	if json.Unmarshal(body, &api) == nil && api.Code != "" {
		e.Code, e.Message = api.Code, api.Message
	}
	if e.Code == CodeStaleFencingToken {
		// Another node took the store over: nothing this node sends
		// under its token can succeed.
		return sdk.Conflict(sdk.CodeStaleFencingToken, e.Message+" (another node owns this store now)")
	}
	if e.Kind == sdk.KindAuth {
		e.Message = authMessage(e.Message)
	}
	return e
}

// authMessage names the settings behind a refusal of the credentials.
func authMessage(msg string) string {
	return fmt.Sprintf("the store refused the API key: %s (check the %s and %s settings: a key of this store with read_write permissions, WooCommerce > Settings > Advanced > REST API)",
		strings.TrimSpace(msg), SettingConsumerKey, SettingConsumerSecret)
}

// ItemError is the error of one item of a batch, answered inside a 200
// with the items that succeeded. Its data.status says what it is, as it
// would for the same request made alone: 400 INVALID (a duplicated SKU,
// an id that names nothing to update), 404 NOT_FOUND, 401/403 AUTH, 409
// CONFLICT, 5xx UNAVAILABLE. The store's code and message are kept.
func ItemError(e APIError) *sdk.Error {
	status := e.Data.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	out := httpclient.StatusError(status, nil, nil, time.Time{})
	if out == nil { // a status below 400 for a failed item: still refused
		out = sdk.Invalid("", "")
	}
	out.Code, out.Message = e.Code, e.Message
	if out.Kind == sdk.KindAuth {
		out.Message = authMessage(out.Message)
	}
	return out
}
