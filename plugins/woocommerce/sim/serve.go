package sim

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/marketsync/marketsync/sdk/simkit"
)

// Running is a store served over HTTP for the length of one test.
type Running struct {
	*Server
	// URL is the store's home URL: a plugin's store_url.
	URL string
	// Clock is the store's clock, which the test moves. It starts at the
	// wall clock's time, so that a plugin in another process, which
	// stamps OAuth requests with the wall clock, is inside the window.
	Clock *simkit.FakeClock

	srv *httptest.Server
}

// ServeTest starts a store on a plain-HTTP httptest server (requests
// authenticate with OAuth 1.0a), closed when the test ends. Unless o.Now
// is set, the store reads Running.Clock.
func ServeTest(tb testing.TB, o Options) *Running { return serveTest(tb, o, false) }

// ServeTLS is ServeTest on HTTPS (requests authenticate with Basic auth);
// the server's client trusts its certificate.
func ServeTLS(tb testing.TB, o Options) (*Running, *httptest.Server) {
	r := serveTest(tb, o, true)
	return r, r.srv
}

func serveTest(tb testing.TB, o Options, tls bool) *Running {
	tb.Helper()
	r := &Running{Clock: simkit.NewFakeClock(time.Now().Truncate(time.Second))}
	if o.Now == nil {
		o.Now = r.Clock.Now
	}
	if o.After == nil {
		o.After = r.Clock.After
	}
	r.Server = New(o)
	if tls {
		r.srv = httptest.NewTLSServer(r.Handler())
	} else {
		r.srv = httptest.NewServer(r.Handler())
	}
	tb.Cleanup(r.srv.Close)
	r.URL = r.srv.URL
	if o.HomeURL == "" {
		r.SetHomeURL(r.URL)
	}
	return r
}
