package httpclient_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/httpclient"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestParseRetryAfter(t *testing.T) {
	for name, tc := range map[string]struct {
		value string
		want  time.Duration
		ok    bool
	}{
		"delay seconds":          {"120", 120 * time.Second, true},
		"zero seconds":           {"0", 0, true},
		"surrounding space":      {"  7 ", 7 * time.Second, true},
		"overflowing seconds":    {"99999999999999999999999", (1 << 31) * time.Second, true},
		"IMF-fixdate ahead":      {"Sun, 01 Mar 2026 12:01:30 GMT", 90 * time.Second, true},
		"RFC 850 date ahead":     {"Sunday, 01-Mar-26 12:00:10 GMT", 10 * time.Second, true},
		"asctime date ahead":     {"Sun Mar  1 12:00:05 2026", 5 * time.Second, true},
		"date in the past":       {"Sun, 01 Mar 2026 11:59:00 GMT", 0, true},
		"date equal to now":      {"Sun, 01 Mar 2026 12:00:00 GMT", 0, true},
		"empty":                  {"", 0, false},
		"negative seconds":       {"-5", 0, false},
		"fractional seconds":     {"1.5", 0, false},
		"seconds with unit":      {"30s", 0, false},
		"garbage":                {"soon, maybe", 0, false},
		"date without zone":      {"Sun, 01 Mar 2026 12:01:30", 0, false},
		"plus sign":              {"+5", 0, false},
		"ISO 8601 is not a date": {"2026-03-01T12:01:30Z", 0, false},
	} {
		t.Run(name, func(t *testing.T) {
			got, ok := httpclient.ParseRetryAfter(tc.value, now)
			if got != tc.want || ok != tc.ok {
				t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tc.value, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestStatusError(t *testing.T) {
	for name, tc := range map[string]struct {
		status     int
		retryAfter string
		kind       sdk.ErrorKind // KindUnknown: no error
		after      time.Duration
	}{
		"200 is no error":                 {status: 200},
		"204 is no error":                 {status: 204},
		"304 is no error":                 {status: 304},
		"429 with seconds":                {status: 429, retryAfter: "30", kind: sdk.KindRateLimited, after: 30 * time.Second},
		"429 with a date":                 {status: 429, retryAfter: "Sun, 01 Mar 2026 12:00:45 GMT", kind: sdk.KindRateLimited, after: 45 * time.Second},
		"429 with a past date":            {status: 429, retryAfter: "Sun, 01 Mar 2026 11:00:00 GMT", kind: sdk.KindRateLimited},
		"429 without Retry-After":         {status: 429, kind: sdk.KindRateLimited},
		"429 with garbage Retry-After":    {status: 429, retryAfter: "later", kind: sdk.KindRateLimited},
		"503 with seconds":                {status: 503, retryAfter: "12", kind: sdk.KindUnavailable, after: 12 * time.Second},
		"503 with a date":                 {status: 503, retryAfter: "Sun, 01 Mar 2026 12:02:00 GMT", kind: sdk.KindUnavailable, after: 2 * time.Minute},
		"503 without Retry-After":         {status: 503, kind: sdk.KindUnavailable},
		"500":                             {status: 500, kind: sdk.KindUnavailable},
		"502 ignores Retry-After":         {status: 502, retryAfter: "9", kind: sdk.KindUnavailable},
		"504":                             {status: 504, kind: sdk.KindUnavailable},
		"599 unknown 5xx":                 {status: 599, kind: sdk.KindUnavailable},
		"408 is worth retrying":           {status: 408, kind: sdk.KindUnavailable},
		"401":                             {status: 401, kind: sdk.KindAuth},
		"403":                             {status: 403, kind: sdk.KindAuth},
		"404":                             {status: 404, kind: sdk.KindNotFound},
		"410":                             {status: 410, kind: sdk.KindNotFound},
		"409":                             {status: 409, kind: sdk.KindConflict},
		"412":                             {status: 412, kind: sdk.KindConflict},
		"400":                             {status: 400, kind: sdk.KindInvalid},
		"413":                             {status: 413, kind: sdk.KindInvalid},
		"422":                             {status: 422, kind: sdk.KindInvalid},
		"499 unknown 4xx":                 {status: 499, kind: sdk.KindInvalid},
		"400 ignores Retry-After":         {status: 400, retryAfter: "9", kind: sdk.KindInvalid},
		"401 with Retry-After stays Auth": {status: 401, retryAfter: "9", kind: sdk.KindAuth},
	} {
		t.Run(name, func(t *testing.T) {
			h := http.Header{}
			if tc.retryAfter != "" {
				h.Set("Retry-After", tc.retryAfter)
			}
			got := httpclient.StatusError(tc.status, h, nil, now)
			if tc.kind == sdk.KindUnknown {
				if got != nil {
					t.Fatalf("StatusError(%d) = %v, want nil", tc.status, got)
				}
				return
			}
			if got == nil {
				t.Fatalf("StatusError(%d) = nil, want kind %v", tc.status, tc.kind)
			}
			if got.Kind != tc.kind || got.RetryAfter != tc.after {
				t.Errorf("StatusError(%d) = %v (kind %v, after %v); want kind %v, after %v",
					tc.status, got, got.Kind, got.RetryAfter, tc.kind, tc.after)
			}
			if want := "http_" + strconv.Itoa(tc.status); got.Code != want {
				t.Errorf("code %q, want %q", got.Code, want)
			}
		})
	}
}

func TestStatusErrorMessage(t *testing.T) {
	for name, tc := range map[string]struct {
		status int
		body   string
		want   string
	}{
		"no body":        {404, "", "404 Not Found"},
		"short body":     {400, `{"error": "bad sku"}`, `400 Bad Request: {"error": "bad sku"}`},
		"folded space":   {500, "<h1>oops</h1>\n\n  <p>later</p>\n", "500 Internal Server Error: <h1>oops</h1> <p>later</p>"},
		"long body":      {502, strings.Repeat("x", 300), "502 Bad Gateway: " + strings.Repeat("x", 256) + "…"},
		"cut mid-rune":   {400, strings.Repeat("a", 255) + "é" + "zzz", "400 Bad Request: " + strings.Repeat("a", 255) + "…"},
		"unknown status": {499, "", "499"},
	} {
		t.Run(name, func(t *testing.T) {
			got := httpclient.StatusError(tc.status, http.Header{}, []byte(tc.body), now)
			if got.Message != tc.want {
				t.Errorf("message %q, want %q", got.Message, tc.want)
			}
		})
	}
}
