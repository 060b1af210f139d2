package httpclient

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/marketsync/marketsync/sdk"
)

// QuotaReader reads a platform's quota feedback from response headers. now
// is when the response arrived, for relative resets. It returns nil when
// the headers say nothing it understands.
type QuotaReader func(h http.Header, now time.Time) *sdk.Quota

// RateLimitHeaders reads the fields of the IETF RateLimit header draft
// (draft-ietf-httpapi-ratelimit-headers, revisions 00 to 06,
// https://datatracker.ietf.org/doc/html/draft-ietf-httpapi-ratelimit-headers-06):
//
//	RateLimit-Limit: 100
//	RateLimit-Remaining: 42
//	RateLimit-Reset: 30
//
// RateLimit-Reset is delta-seconds until the window resets. The early
// revisions allowed a quota policy after the limit ("100, 100;w=60"); only
// the leading number is read. RateLimit-Remaining must be present.
func RateLimitHeaders(h http.Header, now time.Time) *sdk.Quota {
	return readTriple(h, "RateLimit-", now, false)
}

// XRateLimitHeaders reads the older, unstandardised X-RateLimit-Limit,
// X-RateLimit-Remaining and X-RateLimit-Reset fields. Platforms disagree on
// the reset: some send seconds until the reset, others (GitHub among them)
// the reset's Unix time in seconds. A value of 1e9 or more is taken as a
// Unix time (a delay of 31 years is not meant), a smaller one as seconds.
func XRateLimitHeaders(h http.Header, now time.Time) *sdk.Quota {
	return readTriple(h, "X-RateLimit-", now, true)
}

// unixThreshold: an X-RateLimit-Reset at or above it is a Unix time.
const unixThreshold = 1_000_000_000

func readTriple(h http.Header, prefix string, now time.Time, unixAllowed bool) *sdk.Quota {
	remaining, ok := leadingInt(h.Get(prefix + "Remaining"))
	if !ok {
		return nil
	}
	q := &sdk.Quota{Remaining: remaining}
	if limit, ok := leadingInt(h.Get(prefix + "Limit")); ok {
		q.Limit = limit
	}
	if reset, ok := leadingInt(h.Get(prefix + "Reset")); ok {
		switch {
		case unixAllowed && reset >= unixThreshold:
			q.Reset = time.Unix(reset, 0)
		case reset <= maxDeltaSeconds:
			q.Reset = now.Add(time.Duration(reset) * time.Second)
		}
	}
	return q
}

// leadingInt reads the non-negative integer at the start of v, up to the
// first ',' or ';'.
func leadingInt(v string) (int64, bool) {
	if i := strings.IndexAny(v, ",;"); i >= 0 {
		v = v[:i]
	}
	v = strings.TrimSpace(v)
	if !isDigits(v) {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}

// ShopifyCallLimit reads Shopify's REST Admin API leaky-bucket header,
// "used/size" (https://shopify.dev/docs/api/admin-rest/usage/rate-limits,
// https://help.shopify.com/en/api/getting-started/api-call-limit):
//
//	X-Shopify-Shop-Api-Call-Limit: 32/40
//
// is 32 calls in a bucket of 40, so Remaining 8 and Limit 40. The bucket
// leaks continuously rather than resetting, so Reset stays zero.
func ShopifyCallLimit(h http.Header, _ time.Time) *sdk.Quota {
	used, size, ok := strings.Cut(h.Get("X-Shopify-Shop-Api-Call-Limit"), "/")
	if !ok {
		return nil
	}
	u, ok1 := leadingInt(used)
	s, ok2 := leadingInt(size)
	if !ok1 || !ok2 || s == 0 {
		return nil
	}
	return &sdk.Quota{Remaining: max(s-u, 0), Limit: s}
}

// FirstQuota tries readers in order and returns the first quota found.
func FirstQuota(readers ...QuotaReader) QuotaReader {
	return func(h http.Header, now time.Time) *sdk.Quota {
		for _, r := range readers {
			if q := r(h, now); q != nil {
				return q
			}
		}
		return nil
	}
}
