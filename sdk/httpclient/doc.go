// Package httpclient is the outbound HTTP client that plugins use to reach
// their platforms. It owns the transport settings (per-request, dial, TLS
// handshake and response-header timeouts, an optional pool of proxies that
// rotates away from a proxy whose connections fail), a bounded read of the
// response body, and the translation of transport failures into *sdk.Error
// values of kind Unavailable with stable codes (CodeTimeout, CodeConnection,
// CodeDNS, CodeTLS).
//
// It also owns the HTTP-level helpers a plugin calls on a Response:
// StatusError maps statuses to error kinds, ParseRetryAfter reads
// Retry-After in both forms of RFC 9110, and QuotaReaders (RateLimitHeaders,
// XRateLimitHeaders, ShopifyCallLimit) read quota feedback into an
// *sdk.Quota that the plugin passes back in its response.
//
// Like the rest of the SDK it reports and never retries or sleeps; the
// host's platform actor decides what happens next. Time is read from
// Options.Now so tests control it.
package httpclient
