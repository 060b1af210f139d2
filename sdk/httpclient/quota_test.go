package httpclient_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/httpclient"
)

func TestQuotaReaders(t *testing.T) {
	for name, tc := range map[string]struct {
		read    httpclient.QuotaReader
		headers map[string]string
		want    *sdk.Quota
	}{
		"IETF all three": {
			read:    httpclient.RateLimitHeaders,
			headers: map[string]string{"RateLimit-Limit": "100", "RateLimit-Remaining": "42", "RateLimit-Reset": "30"},
			want:    &sdk.Quota{Remaining: 42, Limit: 100, Reset: now.Add(30 * time.Second)},
		},
		"IETF limit with quota policy": {
			read:    httpclient.RateLimitHeaders,
			headers: map[string]string{"RateLimit-Limit": "10, 10;w=1, 50;w=60", "RateLimit-Remaining": "9", "RateLimit-Reset": "1"},
			want:    &sdk.Quota{Remaining: 9, Limit: 10, Reset: now.Add(time.Second)},
		},
		"IETF lower-case names": {
			read:    httpclient.RateLimitHeaders,
			headers: map[string]string{"ratelimit-limit": "5", "ratelimit-remaining": "0"},
			want:    &sdk.Quota{Remaining: 0, Limit: 5},
		},
		"IETF remaining only": {
			read:    httpclient.RateLimitHeaders,
			headers: map[string]string{"RateLimit-Remaining": "3"},
			want:    &sdk.Quota{Remaining: 3},
		},
		"IETF garbage reset is left out": {
			read:    httpclient.RateLimitHeaders,
			headers: map[string]string{"RateLimit-Remaining": "3", "RateLimit-Reset": "soon"},
			want:    &sdk.Quota{Remaining: 3},
		},
		"IETF absent": {
			read:    httpclient.RateLimitHeaders,
			headers: map[string]string{"RateLimit-Limit": "100"},
		},
		"IETF negative remaining": {
			read:    httpclient.RateLimitHeaders,
			headers: map[string]string{"RateLimit-Remaining": "-1"},
		},
		"IETF ignores X- headers": {
			read:    httpclient.RateLimitHeaders,
			headers: map[string]string{"X-RateLimit-Remaining": "3"},
		},
		"X- with delta reset": {
			read:    httpclient.XRateLimitHeaders,
			headers: map[string]string{"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "4999", "X-RateLimit-Reset": "60"},
			want:    &sdk.Quota{Remaining: 4999, Limit: 5000, Reset: now.Add(time.Minute)},
		},
		"X- with Unix reset": {
			read:    httpclient.XRateLimitHeaders,
			headers: map[string]string{"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "12", "X-RateLimit-Reset": "1772366460"},
			want:    &sdk.Quota{Remaining: 12, Limit: 5000, Reset: time.Unix(1772366460, 0)},
		},
		"X- absent": {
			read:    httpclient.XRateLimitHeaders,
			headers: map[string]string{"RateLimit-Remaining": "3"},
		},
		"Shopify": {
			read:    httpclient.ShopifyCallLimit,
			headers: map[string]string{"X-Shopify-Shop-Api-Call-Limit": "32/40"},
			want:    &sdk.Quota{Remaining: 8, Limit: 40},
		},
		"Shopify full bucket": {
			read:    httpclient.ShopifyCallLimit,
			headers: map[string]string{"X-Shopify-Shop-Api-Call-Limit": "40/40"},
			want:    &sdk.Quota{Remaining: 0, Limit: 40},
		},
		"Shopify over the bucket": {
			read:    httpclient.ShopifyCallLimit,
			headers: map[string]string{"X-Shopify-Shop-Api-Call-Limit": "41/40"},
			want:    &sdk.Quota{Remaining: 0, Limit: 40},
		},
		"Shopify Plus with spaces": {
			read:    httpclient.ShopifyCallLimit,
			headers: map[string]string{"X-Shopify-Shop-Api-Call-Limit": " 2 / 80 "},
			want:    &sdk.Quota{Remaining: 78, Limit: 80},
		},
		"Shopify garbage": {
			read:    httpclient.ShopifyCallLimit,
			headers: map[string]string{"X-Shopify-Shop-Api-Call-Limit": "32 of 40"},
		},
		"Shopify zero bucket": {
			read:    httpclient.ShopifyCallLimit,
			headers: map[string]string{"X-Shopify-Shop-Api-Call-Limit": "0/0"},
		},
		"Shopify absent": {
			read:    httpclient.ShopifyCallLimit,
			headers: map[string]string{},
		},
		"first of several, IETF wins": {
			read:    httpclient.FirstQuota(httpclient.ShopifyCallLimit, httpclient.RateLimitHeaders, httpclient.XRateLimitHeaders),
			headers: map[string]string{"RateLimit-Remaining": "1", "X-RateLimit-Remaining": "2"},
			want:    &sdk.Quota{Remaining: 1},
		},
		"first of several, none": {
			read:    httpclient.FirstQuota(httpclient.ShopifyCallLimit, httpclient.RateLimitHeaders),
			headers: map[string]string{"Content-Type": "application/json"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tc.headers {
				h.Set(k, v)
			}
			got := tc.read(h, now)
			if !sameQuota(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func sameQuota(a, b *sdk.Quota) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Remaining == b.Remaining && a.Limit == b.Limit && a.Reset.Equal(b.Reset)
}
