package client

import (
	"fmt"
	"net/http"

	"github.com/marketsync/marketsync/sdk/model"
)

// Error codes the API answers with, in the "code" field of its error body.
// Callers branch on these rather than on messages, which are for people.
const (
	// CodeMalformedJSON: the request body is not the JSON object the route
	// takes (syntax error, wrong type, unknown field, trailing data).
	CodeMalformedJSON = "malformed_json"
	// CodeUnsupportedMediaType: a body was sent without Content-Type
	// application/json.
	CodeUnsupportedMediaType = "unsupported_media_type"
	// CodeBodyTooLarge: the request body is over the server's limit.
	CodeBodyTooLarge = "body_too_large"
	// CodeInvalidRequest: the body parsed but a value is wrong (a missing
	// platform, an empty id, an id holding whitespace, ids and a scope).
	CodeInvalidRequest = "invalid_request"
	// CodeMissingIDs: a collect request without ids or a scope.
	CodeMissingIDs = "missing_ids"
	// CodeTooManyIDs: a collect request over the per-request id limit.
	CodeTooManyIDs = "too_many_ids"
	// CodeDuplicateIDs: a collect request that names an id twice.
	CodeDuplicateIDs = "duplicate_ids"
	// CodeIdempotencyKeyReused: an Idempotency-Key that started a job for
	// another request within the last 24 hours (422).
	CodeIdempotencyKeyReused = "idempotency_key_reused"
	// CodeInvalidQuery: a query parameter has a value the route rejects.
	CodeInvalidQuery = "invalid_query"
	// CodeInvalidID: the id in the path cannot name a job or product (it
	// holds a slash, whitespace or a control character, or is over 2 KiB).
	CodeInvalidID = "invalid_id"
	// CodeUnknownPlatform: no platform of that name is configured.
	CodeUnknownPlatform = model.CodeUnknownPlatform
	// CodeJobNotFound and CodeProductNotFound: no such job or product.
	CodeJobNotFound = "job_not_found"
	// CodeJobFinished: a cancel asked for a job that is already over.
	CodeJobFinished     = "job_finished"
	CodeProductNotFound = "product_not_found"
	// CodeAmbiguousProduct: a bare product id exists on several platforms;
	// ask again as platform:id.
	CodeAmbiguousProduct = "ambiguous_product"
	// CodeNotFound: no route for the path.
	CodeNotFound = "not_found"
	// CodeMethodNotAllowed: the path exists but not for this method; the
	// Allow header lists the methods it takes.
	CodeMethodNotAllowed = "method_not_allowed"
	// CodeUnauthorized: a token is required and was missing or wrong.
	CodeUnauthorized = "unauthorized"
	// CodeInsufficientScope: the token is valid but its scope does not
	// cover the route (a read token on a POST).
	CodeInsufficientScope = "insufficient_scope"
	// CodeForbiddenHost: an agent without a token was addressed by a
	// Host other than localhost, 127.0.0.0/8 or [::1].
	CodeForbiddenHost = "forbidden_host"
	// CodeUnavailable: the agent cannot serve the request now (starting,
	// shutting down, a platform actor not answering).
	CodeUnavailable = "unavailable"
	// CodeInternal: anything else; the agent logged the cause.
	CodeInternal = "internal"

	// The agent's own answers add these.

	// CodeUnsupportedOperation: the platform's plugin cannot do what was
	// asked, such as collecting from a store.
	CodeUnsupportedOperation = "unsupported_operation"
	// CodeBadURL: a product page URL that the platform's plugin does not
	// take or cannot resolve to an id.
	CodeBadURL = "bad_url"

	// The platform and job actors report these (they are defined with the
	// model, sdk/model/codes.go); the agent passes them on with a 503, and
	// a failed item's error may carry them.

	// CodePluginUnimplemented: the plugin does not implement the operation.
	CodePluginUnimplemented = model.CodePluginUnimplemented
	// CodeStopping: the agent or the platform is shutting down.
	CodeStopping = model.CodeStopping
	// CodePlatformFailed: the platform's plugin could not be started or
	// configured; calls fail fast.
	CodePlatformFailed = model.CodePlatformFailed
	// CodeCallFailed: a call to the plugin failed without a typed error.
	CodeCallFailed = model.CodeCallFailed
	// CodePlatformTimeout: the platform's actor did not answer in time.
	CodePlatformTimeout = model.CodePlatformTimeout
	// CodeJobNotRunning: the job actors' answer to a cancel that reached
	// a job just as it finished; the API answers it as CodeJobFinished.
	CodeJobNotRunning = model.CodeJobNotRunning
)

// ErrorBody is the wire form of every error the API returns:
// {"error":{"code":"...","message":"..."}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the inside of an ErrorBody.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// APIError is a failure reported by the API: a response whose status was 400
// or above. Code is empty when the body was not the API's error format (a
// proxy in between answered, for instance); Message then holds the start of
// the body or the status text.
type APIError struct {
	StatusCode int
	Code       string
	Message    string
}

// Error reads "<message> (<code>)", or "<message> (HTTP <status>)" when the
// response carried no code.
func (e *APIError) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("%s (HTTP %d)", e.Message, e.StatusCode)
	}
	return fmt.Sprintf("%s (%s)", e.Message, e.Code)
}

// IsNotFound reports whether e is a 404: an unknown job, product or path.
func (e *APIError) IsNotFound() bool { return e.StatusCode == http.StatusNotFound }
