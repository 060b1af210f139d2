package httpclient

import (
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/marketsync/marketsync/sdk"
)

// maxDeltaSeconds caps a delay-seconds value, as RFC 9111 §1.2.2 does for
// delta-seconds that overflow: https://www.rfc-editor.org/rfc/rfc9111#section-1.2.2
const maxDeltaSeconds = 1 << 31

// ParseRetryAfter reads a Retry-After field value as defined by RFC 9110
// §10.2.3 (https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3):
//
//	Retry-After = HTTP-date / delay-seconds
//
// delay-seconds (1*DIGIT) is a number of seconds after now; HTTP-date is
// accepted in all three forms that §5.6.7 obliges a recipient to parse
// (IMF-fixdate, RFC 850, asctime). A date at or before now gives 0, true:
// the server allows a retry at once. An empty, negative or malformed value
// gives 0, false.
func ParseRetryAfter(value string, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(value)
	if v == "" {
		return 0, false
	}
	if isDigits(v) {
		secs, err := strconv.ParseUint(v, 10, 64)
		if err != nil || secs > maxDeltaSeconds {
			// Only an overflow makes ParseUint fail on digits.
			secs = maxDeltaSeconds
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	if d := t.Sub(now); d > 0 {
		return d, true
	}
	return 0, true
}

func isDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// maxExcerpt bounds how much of an error body StatusError puts in the
// message.
const maxExcerpt = 256

// StatusError maps an HTTP status to an *sdk.Error for platforms that
// report errors through HTTP statuses; it returns nil for 1xx–3xx. now is
// the time the response arrived (Response.Received), against which an
// HTTP-date Retry-After is measured.
//
//	429                  RateLimited, RetryAfter from Retry-After (0 when absent)
//	503                  Unavailable, RetryAfter from Retry-After (0 when absent)
//	other 5xx            Unavailable
//	408 Request Timeout  Unavailable: the server gave up waiting, a retry may succeed
//	401, 403             Auth
//	404, 410 Gone        NotFound
//	409, 412             Conflict
//	other 4xx            Invalid
//
// Retry-After is honoured on 429 (RFC 6585 §4) and 503 (RFC 9110 §15.6.4),
// the statuses it is defined for. The code is "http_" and the status
// ("http_429"); the message is the status text and the start of the body.
// A plugin whose platform has its own error codes in the body should map
// those instead, and use this for what the body does not explain.
func StatusError(status int, h http.Header, body []byte, now time.Time) *sdk.Error {
	if status < 400 {
		return nil
	}
	code := "http_" + strconv.Itoa(status)
	msg := statusMessage(status, body)
	switch {
	case status == http.StatusTooManyRequests:
		after, _ := ParseRetryAfter(h.Get("Retry-After"), now)
		return sdk.RateLimited(after, code, msg)
	case status == http.StatusServiceUnavailable:
		e := sdk.Unavailable(code, msg)
		e.RetryAfter, _ = ParseRetryAfter(h.Get("Retry-After"), now)
		return e
	case status >= 500, status == http.StatusRequestTimeout:
		return sdk.Unavailable(code, msg)
	case status == http.StatusUnauthorized, status == http.StatusForbidden:
		return sdk.Auth(code, msg)
	case status == http.StatusNotFound, status == http.StatusGone:
		return sdk.NotFound(code, msg)
	case status == http.StatusConflict, status == http.StatusPreconditionFailed:
		return sdk.Conflict(code, msg)
	}
	return sdk.Invalid(code, msg)
}

// statusMessage is "429 Too Many Requests: <start of body>", the body cut
// at maxExcerpt bytes on a rune boundary and its white space folded.
func statusMessage(status int, body []byte) string {
	s := strconv.Itoa(status)
	if text := http.StatusText(status); text != "" {
		s += " " + text
	}
	b := body
	if len(b) > maxExcerpt {
		b = b[:maxExcerpt]
		for len(b) > 0 && !utf8.Valid(b) {
			b = b[:len(b)-1]
		}
	}
	excerpt := strings.Join(strings.Fields(string(b)), " ")
	if excerpt == "" {
		return s
	}
	if len(b) < len(body) {
		excerpt += "…"
	}
	return s + ": " + excerpt
}
