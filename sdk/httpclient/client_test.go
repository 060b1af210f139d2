package httpclient_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/httpclient"
)

// clock is a settable Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: now} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newClient(t *testing.T, o httpclient.Options) *httpclient.Client {
	t.Helper()
	c, err := httpclient.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func get(t *testing.T, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// stalling starts a server whose handler calls before (if any) and then
// blocks until the client goes away or the test ends, and tells on entered
// that a request arrived.
func stalling(t *testing.T, before func(http.ResponseWriter)) (srv *httptest.Server, entered <-chan struct{}) {
	t.Helper()
	release := make(chan struct{})
	in := make(chan struct{}, 16)
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if before != nil {
			before(w)
		}
		in <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs first: handlers return, Close can finish
	return srv, in
}

// wantSDKError fails unless err is an *sdk.Error of kind and code whose
// message contains every one of parts.
func wantSDKError(t *testing.T, err error, kind sdk.ErrorKind, code string, parts ...string) *sdk.Error {
	t.Helper()
	e, ok := sdk.AsError(err)
	if !ok {
		t.Fatalf("error %v (%T), want *sdk.Error %v %s", err, err, kind, code)
	}
	if e.Kind != kind || e.Code != code {
		t.Fatalf("error %v, want kind %v code %s", e, kind, code)
	}
	for _, p := range parts {
		if !strings.Contains(e.Message, p) {
			t.Errorf("message %q does not contain %q", e.Message, p)
		}
	}
	return e
}

func TestDoReadsResponse(t *testing.T) {
	var gotUA []string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		gotUA = append(gotUA, r.UserAgent())
		mu.Unlock()
		w.Header().Set("RateLimit-Limit", "100")
		w.Header().Set("RateLimit-Remaining", "99")
		w.Header().Set("RateLimit-Reset", "10")
		w.WriteHeader(http.StatusTeapot)
		fmt.Fprint(w, `{"ok":true}`)
	}))
	defer srv.Close()
	clk := newClock()
	c := newClient(t, httpclient.Options{UserAgent: "marketsync-test/1", Quota: httpclient.RateLimitHeaders, Now: clk.Now})

	resp, err := c.Do(context.Background(), get(t, srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusTeapot || string(resp.Body) != `{"ok":true}` {
		t.Errorf("got %d %q", resp.StatusCode, resp.Body)
	}
	if resp.Header.Get("RateLimit-Limit") != "100" {
		t.Errorf("headers not kept: %v", resp.Header)
	}
	if want := (&sdk.Quota{Remaining: 99, Limit: 100, Reset: now.Add(10 * time.Second)}); !sameQuota(resp.Quota, want) {
		t.Errorf("quota %+v, want %+v", resp.Quota, want)
	}
	if !resp.Received.Equal(now) {
		t.Errorf("received %v, want the client's clock %v", resp.Received, now)
	}
	if e := resp.StatusError(); e == nil || e.Kind != sdk.KindInvalid {
		t.Errorf("StatusError() = %v, want Invalid for 418", e)
	}

	req := get(t, srv.URL)
	req.Header.Set("User-Agent", "own/2")
	if _, err := c.Do(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if req.Header.Get("User-Agent") != "own/2" {
		t.Error("Do changed the caller's request")
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"marketsync-test/1", "own/2"}; fmt.Sprint(gotUA) != fmt.Sprint(want) {
		t.Errorf("User-Agents %q, want %q", gotUA, want)
	}
}

func TestDoWithoutQuotaReader(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("RateLimit-Remaining", "1")
	}))
	defer srv.Close()
	resp, err := newClient(t, httpclient.Options{}).Do(context.Background(), get(t, srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Quota != nil {
		t.Errorf("quota %+v without a reader", resp.Quota)
	}
	if resp.StatusError() != nil {
		t.Errorf("StatusError() = %v for 200", resp.StatusError())
	}
}

func TestResponseSizeLimit(t *testing.T) {
	const limit = 1000
	gzipped := func(n int) []byte {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write(bytes.Repeat([]byte("a"), n))
		zw.Close()
		return b.Bytes()
	}
	for name, tc := range map[string]struct {
		handler http.HandlerFunc
		wantLen int // -1: too large
	}{
		"exactly the limit": {
			handler: func(w http.ResponseWriter, r *http.Request) { w.Write(bytes.Repeat([]byte("a"), limit)) },
			wantLen: limit,
		},
		"Content-Length over the limit": {
			handler: func(w http.ResponseWriter, r *http.Request) { w.Write(bytes.Repeat([]byte("a"), limit+1)) },
			wantLen: -1,
		},
		"chunked over the limit": {
			handler: func(w http.ResponseWriter, r *http.Request) {
				for range 5 {
					w.Write(bytes.Repeat([]byte("a"), limit/2))
					http.NewResponseController(w).Flush()
				}
			},
			wantLen: -1,
		},
		"gzip that inflates over the limit": {
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Encoding", "gzip")
				w.Write(gzipped(100 * limit))
			},
			wantLen: -1,
		},
		"gzip that inflates under the limit": {
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Encoding", "gzip")
				w.Write(gzipped(limit / 2))
			},
			wantLen: limit / 2,
		},
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			c := newClient(t, httpclient.Options{MaxResponseBytes: limit})
			resp, err := c.Do(context.Background(), get(t, srv.URL+"/items?sign=SECRET"))
			if tc.wantLen < 0 {
				wantSDKError(t, err, sdk.KindInvalid, httpclient.CodeResponseTooLarge, "larger than 1000 bytes", "GET "+srv.URL+"/items")
				if resp != nil {
					t.Error("a response came with the error")
				}
				if strings.Contains(err.Error(), "SECRET") {
					t.Errorf("query leaked into %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.Body) != tc.wantLen {
				t.Errorf("body %d bytes, want %d", len(resp.Body), tc.wantLen)
			}
		})
	}
}

func TestDefaultSizeLimit(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(httpclient.DefaultMaxResponseBytes+1))
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	_, err := newClient(t, httpclient.Options{}).Do(context.Background(), get(t, srv.URL))
	wantSDKError(t, err, sdk.KindInvalid, httpclient.CodeResponseTooLarge)
}

func TestTimeouts(t *testing.T) {
	const short = 100 * time.Millisecond
	for name, tc := range map[string]struct {
		opts   httpclient.Options
		before func(http.ResponseWriter) // nil: no headers are ever sent
		want   string                    // in the message
	}{
		"response headers never come": {
			opts: httpclient.Options{ResponseHeaderTimeout: short},
			want: "timeout awaiting response headers",
		},
		"body never ends": {
			opts: httpclient.Options{Timeout: short},
			before: func(w http.ResponseWriter) {
				w.Write([]byte(`{"items":[`))
				http.NewResponseController(w).Flush()
			},
			want: "no complete response within 100ms",
		},
		"whole request over the timeout before headers": {
			opts: httpclient.Options{Timeout: short},
			want: "no complete response within 100ms",
		},
	} {
		t.Run(name, func(t *testing.T) {
			srv, entered := stalling(t, tc.before)
			c := newClient(t, tc.opts)
			resp, err := c.Do(context.Background(), get(t, srv.URL+"/slow?session=SECRET"))
			e := wantSDKError(t, err, sdk.KindUnavailable, httpclient.CodeTimeout, tc.want, "GET "+srv.URL+"/slow")
			if strings.Contains(e.Error(), "SECRET") {
				t.Errorf("query leaked into %v", e)
			}
			if resp != nil {
				t.Error("a response came with the error")
			}
			select {
			case <-entered:
			default:
				t.Error("the request never reached the server")
			}
		})
	}
}

func TestTLSHandshakeTimeout(t *testing.T) {
	// A listener that accepts and never speaks TLS.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				<-done
				return
			}
			conns = append(conns, c)
		}
	})
	t.Cleanup(func() { close(done); ln.Close(); wg.Wait() })

	c := newClient(t, httpclient.Options{TLSHandshakeTimeout: 100 * time.Millisecond})
	_, err = c.Do(context.Background(), get(t, "https://"+ln.Addr().String()+"/"))
	wantSDKError(t, err, sdk.KindUnavailable, httpclient.CodeTimeout, "TLS handshake timeout")
}

func TestTLSFailure(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()

	// Without the simulator's certificate the handshake fails.
	_, err := newClient(t, httpclient.Options{}).Do(context.Background(), get(t, srv.URL))
	wantSDKError(t, err, sdk.KindUnavailable, httpclient.CodeTLS, "certificate")

	// With it the request goes through.
	tlsConfig := srv.Client().Transport.(*http.Transport).TLSClientConfig
	resp, err := newClient(t, httpclient.Options{TLSConfig: tlsConfig}).Do(context.Background(), get(t, srv.URL))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("with the server's roots: %v, %v", resp, err)
	}
}

func TestConnectionRefused(t *testing.T) {
	addr := refusingAddr(t)
	_, err := newClient(t, httpclient.Options{}).Do(context.Background(), get(t, "http://"+addr+"/x?access_token=SECRET"))
	e := wantSDKError(t, err, sdk.KindUnavailable, httpclient.CodeConnection, "GET http://"+addr+"/x", "refused")
	if strings.Contains(e.Error(), "SECRET") {
		t.Errorf("query leaked into %v", e)
	}
}

// refusingAddr returns a loopback address where nothing listens.
func refusingAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestCallerContext(t *testing.T) {
	t.Run("cancelled while waiting", func(t *testing.T) {
		srv, entered := stalling(t, nil)
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() {
			_, err := newClient(t, httpclient.Options{}).Do(ctx, get(t, srv.URL))
			errc <- err
		}()
		<-entered
		cancel()
		err := <-errc
		if err != context.Canceled {
			t.Fatalf("error %v (%T), want context.Canceled itself", err, err)
		}
	})
	t.Run("cancelled before the call", func(t *testing.T) {
		srv, _ := stalling(t, nil)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := newClient(t, httpclient.Options{}).Do(ctx, get(t, srv.URL))
		if err != context.Canceled {
			t.Fatalf("error %v, want context.Canceled", err)
		}
	})
	t.Run("caller deadline shorter than the client's", func(t *testing.T) {
		srv, _ := stalling(t, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, err := newClient(t, httpclient.Options{Timeout: time.Minute}).Do(ctx, get(t, srv.URL))
		if err != context.DeadlineExceeded {
			t.Fatalf("error %v (%T), want context.DeadlineExceeded itself", err, err)
		}
		if _, ok := sdk.AsError(err); ok {
			t.Error("the caller's deadline came back as a platform error")
		}
	})
}

func TestNewRejectsBadProxies(t *testing.T) {
	for name, proxy := range map[string]string{
		"unknown scheme": "ftp://10.0.0.1:21",
		"no host":        "http://",
		"unparsable":     "http://[::1",
		"no scheme":      "10.0.0.1:3128",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := httpclient.New(httpclient.Options{Proxies: []string{proxy}}); err == nil {
				t.Errorf("New accepted proxy %q", proxy)
			}
		})
	}
	t.Run("password not in the error", func(t *testing.T) {
		_, err := httpclient.New(httpclient.Options{Proxies: []string{"ftp://user:hunter2@10.0.0.1"}})
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("error %v", err)
		}
	})
}

func TestTransportErrorsAreRetryable(t *testing.T) {
	addr := refusingAddr(t)
	_, err := newClient(t, httpclient.Options{}).Do(context.Background(), get(t, "http://"+addr))
	if !errors.Is(err, &sdk.Error{Kind: sdk.KindUnavailable}) {
		t.Fatalf("error %v is not Unavailable", err)
	}
	if e, _ := sdk.AsError(err); !e.Kind.Retryable() {
		t.Error("not retryable")
	}
}

// When a TLS client gives up, it sends close_notify before closing; a
// server that then ends its handler normally makes net/http write an empty
// 200, which can still reach the client. That response must not count. The
// race shows in some attempts only: 40 of them, 10 under -short.
func TestNoResponseAfterTimeout(t *testing.T) {
	attempts := 40
	if testing.Short() {
		attempts = 10
	}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	defer srv.Close()
	c := newClient(t, httpclient.Options{
		Timeout:   50 * time.Millisecond,
		TLSConfig: srv.Client().Transport.(*http.Transport).TLSClientConfig,
	})
	for i := range attempts {
		resp, err := c.Do(context.Background(), get(t, srv.URL))
		if err == nil {
			t.Fatalf("attempt %d: got status %d with body %q after the timeout", i+1, resp.StatusCode, resp.Body)
		}
		wantSDKError(t, err, sdk.KindUnavailable, httpclient.CodeTimeout)
	}
}
