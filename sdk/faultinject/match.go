package faultinject

import (
	"bytes"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// Match selects the requests a rule applies to. A nil Match selects every
// request. It may read the request but must leave it as it found it for
// the real handler (Param shows how).
type Match func(*http.Request) bool

// Path matches the exact URL path.
func Path(p string) Match {
	return func(r *http.Request) bool { return r.URL.Path == p }
}

// PathPrefix matches paths that start with prefix.
func PathPrefix(prefix string) Match {
	return func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, prefix) }
}

// Method matches the HTTP method.
func Method(m string) Match {
	return func(r *http.Request) bool { return r.Method == m }
}

// maxFormBytes bounds how much of a form body Param reads.
const maxFormBytes = 10 << 20

// Param matches requests whose parameter key is value, in the URL query or
// in an application/x-www-form-urlencoded body, as Taobao TOP sends its
// "method" parameter either way. The body is read into memory and put back,
// so the real handler sees it unchanged (and can still check a signature
// over it).
func Param(key, value string) Match {
	return func(r *http.Request) bool {
		if r.URL.Query().Get(key) == value {
			return true
		}
		form, ok := peekForm(r)
		return ok && form.Get(key) == value
	}
}

// peekForm parses a urlencoded body without consuming it.
func peekForm(r *http.Request) (url.Values, bool) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, false
	}
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || ct != "application/x-www-form-urlencoded" {
		return nil, false
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxFormBytes))
	r.Body = readCloser{io.MultiReader(bytes.NewReader(b), r.Body), r.Body}
	if err != nil {
		return nil, false
	}
	form, err := url.ParseQuery(string(b))
	return form, err == nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// All matches when every m matches (and when there are none).
func All(ms ...Match) Match {
	return func(r *http.Request) bool {
		for _, m := range ms {
			if m != nil && !m(r) {
				return false
			}
		}
		return true
	}
}

// Any matches when at least one m matches.
func Any(ms ...Match) Match {
	return func(r *http.Request) bool {
		for _, m := range ms {
			if m == nil || m(r) {
				return true
			}
		}
		return false
	}
}
