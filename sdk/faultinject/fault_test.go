package faultinject_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/marketsync/marketsync/sdk/faultinject"
	"github.com/marketsync/marketsync/sdk/httpclient"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const product = `{"id":"42","title":"Teapot","skus":[{"id":"42-1","stock":7},{"id":"42-2","stock":0}]}`

// platform is the simulator's real handler: one product, counted.
type platform struct{ calls atomic.Int64 }

func (p *platform) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.calls.Add(1)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Request-Id", "abc")
	io.WriteString(w, product)
}

// simulate starts the platform behind inj; tls picks an HTTPS server.
func simulate(t *testing.T, inj *faultinject.Injector, tls bool) (*httptest.Server, *platform) {
	t.Helper()
	p := &platform{}
	h := faultinject.Wrap(p, inj)
	var srv *httptest.Server
	if tls {
		srv = httptest.NewTLSServer(h)
	} else {
		srv = httptest.NewServer(h)
	}
	t.Cleanup(srv.Close)
	return srv, p
}

func newInjector(t *testing.T, o faultinject.Options, rules ...faultinject.Rule) *faultinject.Injector {
	t.Helper()
	if o.Now == nil {
		o.Now = func() time.Time { return t0 }
	}
	inj := faultinject.New(o)
	if err := inj.Add(rules...); err != nil {
		t.Fatal(err)
	}
	return inj
}

// freshClient has its own transport, so its first request opens a new
// connection.
func freshClient(t *testing.T, srv *httptest.Server) *http.Client {
	t.Helper()
	c := srv.Client()
	tr := c.Transport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// result is what a real client saw.
type result struct {
	status int
	header http.Header
	body   []byte
	err    error
}

func fetch(t *testing.T, c *http.Client, url string) result {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		return result{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return result{status: resp.StatusCode, header: resp.Header, body: b, err: err}
}

func TestFaultsSeenByHTTPClient(t *testing.T) {
	topError := func(r *http.Request) []byte {
		return fmt.Appendf(nil, `{"error_response":{"code":7,"msg":"App Call Limited","sub_code":"accesscontrol.limited-by-app-access-count","method":%q}}`,
			r.URL.Query().Get("method"))
	}
	for name, tc := range map[string]struct {
		fault faultinject.Fault
		tls   bool
		check func(t *testing.T, got result)
	}{
		"429 with seconds": {
			fault: faultinject.TooManyRequests(2500 * time.Millisecond),
			check: func(t *testing.T, got result) {
				wantStatus(t, got, 429)
				if ra := got.header.Get("Retry-After"); ra != "3" {
					t.Errorf("Retry-After %q, want 3 (rounded up)", ra)
				}
			},
		},
		"429 with a date": {
			fault: faultinject.TooManyRequestsUntil(30 * time.Second),
			check: func(t *testing.T, got result) {
				wantStatus(t, got, 429)
				ra := got.header.Get("Retry-After")
				if ra != "Sun, 01 Mar 2026 12:00:30 GMT" {
					t.Errorf("Retry-After %q", ra)
				}
				if d, ok := httpclient.ParseRetryAfter(ra, t0); !ok || d != 30*time.Second {
					t.Errorf("parses as %v, %v", d, ok)
				}
			},
		},
		"502 with a body": {
			fault: faultinject.Status(502, []byte("<html>Bad Gateway</html>")),
			check: func(t *testing.T, got result) {
				wantStatus(t, got, 502)
				if string(got.body) != "<html>Bad Gateway</html>" {
					t.Errorf("body %q", got.body)
				}
			},
		},
		"503 without a body, with Retry-After": {
			fault: faultinject.Status(503, nil).WithHeader("Retry-After", "5"),
			check: func(t *testing.T, got result) {
				wantStatus(t, got, 503)
				if len(got.body) != 0 || got.header.Get("Retry-After") != "5" {
					t.Errorf("body %q, Retry-After %q", got.body, got.header.Get("Retry-After"))
				}
			},
		},
		"reset": {
			fault: faultinject.Reset(),
			check: wantReset,
		},
		"reset over TLS": {
			fault: faultinject.Reset(),
			tls:   true,
			check: wantReset,
		},
		"truncated": {
			fault: faultinject.Truncated(),
			check: func(t *testing.T, got result) {
				wantStatus(t, got, 200)
				if want := product[:len(product)/2]; string(got.body) != want {
					t.Errorf("body %q, want %q", got.body, want)
				}
				if got.header.Get("X-Request-Id") != "abc" || got.header.Get("Content-Type") != "application/json" {
					t.Errorf("real headers lost: %v", got.header)
				}
				var v any
				if err := json.Unmarshal(got.body, &v); err == nil {
					t.Error("truncated body parsed as JSON")
				}
			},
		},
		"garbage": {
			fault: faultinject.Garbage(100),
			check: func(t *testing.T, got result) {
				wantStatus(t, got, 200)
				if len(got.body) != 100 || got.body[0] != 0xFF {
					t.Errorf("body %d bytes starting %x", len(got.body), got.body[:1])
				}
				var v any
				if err := json.Unmarshal(got.body, &v); err == nil {
					t.Error("garbage parsed as JSON")
				}
			},
		},
		"error inside a 200 body": {
			fault: faultinject.ErrorBody(topError),
			check: func(t *testing.T, got result) {
				wantStatus(t, got, 200)
				var body struct {
					ErrorResponse struct {
						Code    int    `json:"code"`
						SubCode string `json:"sub_code"`
						Method  string `json:"method"`
					} `json:"error_response"`
				}
				if err := json.Unmarshal(got.body, &body); err != nil {
					t.Fatal(err)
				}
				if e := body.ErrorResponse; e.Code != 7 || e.Method != "taobao.item.get" {
					t.Errorf("error %+v", e)
				}
				if ct := got.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
					t.Errorf("Content-Type %q", ct)
				}
			},
		},
		"error body as XML": {
			fault: faultinject.ErrorBody(func(*http.Request) []byte { return []byte(`<error_response><code>7</code></error_response>`) }).
				WithHeader("Content-Type", "text/xml;charset=utf-8"),
			check: func(t *testing.T, got result) {
				wantStatus(t, got, 200)
				if ct := got.header.Get("Content-Type"); ct != "text/xml;charset=utf-8" {
					t.Errorf("Content-Type %q", ct)
				}
			},
		},
	} {
		t.Run(name, func(t *testing.T) {
			inj := newInjector(t, faultinject.Options{Seed: 1}, faultinject.Rule{Name: "only", Fault: tc.fault})
			srv, p := simulate(t, inj, tc.tls)
			got := fetch(t, freshClient(t, srv), srv.URL+"/router/rest?method=taobao.item.get")
			tc.check(t, got)

			s := inj.Stats()
			if s.Requests != 1 || s.Injected != 1 || s.ByKind[tc.fault.Kind()] != 1 || s.ByRule["only"] != 1 {
				t.Errorf("stats %+v", s)
			}
			wantCalls := int64(0)
			if tc.fault.Kind() == faultinject.KindTruncated {
				wantCalls = 1 // the real response is what gets cut
			}
			if n := p.calls.Load(); n != wantCalls {
				t.Errorf("real handler called %d times, want %d", n, wantCalls)
			}
		})
	}
}

func wantStatus(t *testing.T, got result, status int) {
	t.Helper()
	if got.err != nil {
		t.Fatalf("transport error %v, want status %d", got.err, status)
	}
	if got.status != status {
		t.Fatalf("status %d, want %d", got.status, status)
	}
}

func wantReset(t *testing.T, got result) {
	t.Helper()
	if got.err == nil {
		t.Fatalf("got status %d, want a transport error", got.status)
	}
	if !errors.Is(got.err, syscall.ECONNRESET) {
		t.Errorf("error %v, want ECONNRESET", got.err)
	}
}

// net/http's client replays an idempotent request once, on a new
// connection, when a reused keep-alive connection fails before any
// response. A single reset on a reused connection is therefore invisible
// to a GET; a burst of two is not.
func TestResetOnReusedConnection(t *testing.T) {
	inj := newInjector(t, faultinject.Options{})
	srv, p := simulate(t, inj, false)
	c := freshClient(t, srv)
	wantStatus(t, fetch(t, c, srv.URL), 200) // opens the connection to reuse

	if err := inj.Add(faultinject.Rule{Name: "one", Fault: faultinject.Reset(), When: faultinject.Next(1)}); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, fetch(t, c, srv.URL), 200)
	if s := inj.Stats(); s.Requests != 3 || s.ByRule["one"] != 1 || p.calls.Load() != 2 {
		t.Errorf("stats %+v, real calls %d: want the reset request replayed", s, p.calls.Load())
	}

	if err := inj.Add(faultinject.Rule{Name: "two", Fault: faultinject.Reset(), When: faultinject.Next(2)}); err != nil {
		t.Fatal(err)
	}
	wantReset(t, fetch(t, c, srv.URL))
	if s := inj.Stats(); s.ByRule["two"] != 2 {
		t.Errorf("stats %+v", s)
	}
}

func TestSlow(t *testing.T) {
	t.Run("client gives up first", func(t *testing.T) {
		waits := make(chan time.Duration, 1)
		never := make(chan time.Time)
		inj := newInjector(t, faultinject.Options{After: func(d time.Duration) <-chan time.Time {
			waits <- d
			return never
		}}, faultinject.Rule{Fault: faultinject.Slow(time.Hour)})
		p := &platform{}
		returned := make(chan struct{}, 1)
		h := faultinject.Wrap(p, inj)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() { returned <- struct{}{} }()
			h.ServeHTTP(w, r)
		}))
		defer srv.Close()

		c := freshClient(t, srv)
		c.Timeout = 100 * time.Millisecond
		got := fetch(t, c, srv.URL)
		var ne interface{ Timeout() bool }
		if !errors.As(got.err, &ne) || !ne.Timeout() {
			t.Fatalf("error %v, want the client's timeout", got.err)
		}
		if d := <-waits; d != time.Hour {
			t.Errorf("waited for %v, want 1h", d)
		}
		<-returned // the handler ends with the request, without the hour passing
		if p.calls.Load() != 0 {
			t.Error("the real handler answered a request the client had given up")
		}
	})
	t.Run("answers after the delay", func(t *testing.T) {
		waits := make(chan time.Duration, 1)
		fire := make(chan time.Time, 1)
		inj := newInjector(t, faultinject.Options{After: func(d time.Duration) <-chan time.Time {
			waits <- d
			return fire
		}}, faultinject.Rule{Fault: faultinject.Slow(3 * time.Second)})
		srv, p := simulate(t, inj, false)

		done := make(chan result, 1)
		go func() { done <- fetch(t, freshClient(t, srv), srv.URL) }()
		if d := <-waits; d != 3*time.Second {
			t.Errorf("waited for %v", d)
		}
		select {
		case got := <-done:
			t.Fatalf("answered before the delay: %+v", got)
		default:
		}
		fire <- t0
		got := <-done
		wantStatus(t, got, 200)
		if string(got.body) != product || p.calls.Load() != 1 {
			t.Errorf("body %q, real calls %d", got.body, p.calls.Load())
		}
	})
}

func TestGarbageIsReproducible(t *testing.T) {
	bodies := func(seed uint64) [][]byte {
		inj := newInjector(t, faultinject.Options{Seed: seed}, faultinject.Rule{Name: "g", Fault: faultinject.Garbage(32)})
		h := faultinject.Wrap(&platform{}, inj)
		var out [][]byte
		for range 3 {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
			out = append(out, rec.Body.Bytes())
		}
		return out
	}
	a, b, c := bodies(7), bodies(7), bodies(8)
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			t.Errorf("request %d: same seed, different bytes", i+1)
		}
		if bytes.Equal(a[i], c[i]) {
			t.Errorf("request %d: different seeds, same bytes", i+1)
		}
	}
	if bytes.Equal(a[0], a[1]) {
		t.Error("the same garbage twice in a row")
	}
}

func TestFaultsThroughPluginClient(t *testing.T) {
	for name, tc := range map[string]struct {
		fault faultinject.Fault
		opts  httpclient.Options
		check func(t *testing.T, resp *httpclient.Response, err error)
	}{
		"reset is a connection failure": {
			fault: faultinject.Reset(),
			check: func(t *testing.T, resp *httpclient.Response, err error) {
				wantCode(t, err, httpclient.CodeConnection)
			},
		},
		"slow is a timeout": {
			fault: faultinject.Slow(time.Hour),
			opts:  httpclient.Options{Timeout: 100 * time.Millisecond},
			check: func(t *testing.T, resp *httpclient.Response, err error) {
				wantCode(t, err, httpclient.CodeTimeout)
			},
		},
		"429 with a date is rate limited": {
			fault: faultinject.TooManyRequestsUntil(time.Minute),
			check: func(t *testing.T, resp *httpclient.Response, err error) {
				if err != nil {
					t.Fatal(err)
				}
				e := resp.StatusError()
				if e == nil || e.Code != "http_429" || e.RetryAfter != time.Minute {
					t.Errorf("status error %v", e)
				}
			},
		},
		"truncated body is a 200 that does not parse": {
			fault: faultinject.Truncated(),
			check: func(t *testing.T, resp *httpclient.Response, err error) {
				if err != nil || resp.StatusError() != nil {
					t.Fatalf("%v, %v", err, resp.StatusError())
				}
				if json.Valid(resp.Body) {
					t.Errorf("body %q is valid JSON", resp.Body)
				}
			},
		},
	} {
		t.Run(name, func(t *testing.T) {
			inj := newInjector(t, faultinject.Options{After: func(time.Duration) <-chan time.Time { return nil }},
				faultinject.Rule{Fault: tc.fault})
			srv, _ := simulate(t, inj, true)
			tc.opts.TLSConfig = srv.Client().Transport.(*http.Transport).TLSClientConfig
			tc.opts.Now = func() time.Time { return t0 }
			c, err := httpclient.New(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/items/42", nil)
			resp, err := c.Do(t.Context(), req)
			tc.check(t, resp, err)
		})
	}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), "UNAVAILABLE "+code) {
		t.Errorf("error %v, want UNAVAILABLE %s", err, code)
	}
}
