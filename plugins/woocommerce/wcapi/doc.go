// Package wcapi is a client of the WooCommerce REST API v3 (the wc/v3
// routes under /wp-json): it authenticates every request as WooCommerce's
// WC_REST_Authentication checks it, sends it, and turns every failure into
// an *sdk.Error.
//
// Over HTTPS it sends the consumer key and secret with HTTP Basic auth.
// Over plain HTTP it never sends the secret: it signs each request with
// OAuth 1.0a "one-legged" (consumer key and secret, no token) with
// HMAC-SHA256, the parameters in the query string, as
// check_oauth_signature recomputes it (Sign). There is no way to make
// the client send credentials in the clear.
//
// Errors of the whole call come from WordPress's error object,
// {"code", "message", "data": {"status"}} (Classify); errors of one item
// of a batch come inside a 200 answer, in the same shape, next to the
// items that succeeded (ItemError).
package wcapi
