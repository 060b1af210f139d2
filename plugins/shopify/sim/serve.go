package sim

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/marketsync/marketsync/sdk/simkit"
)

// Running is a simulator served over HTTP for the length of one test.
type Running struct {
	*Server
	// URL is the store's base URL: the plugin's endpoint.
	URL string
	// Clock is the store's clock, which the test moves.
	Clock *simkit.FakeClock
}

// ServeTest starts a simulator on an httptest server, closed when the
// test ends. Unless o.Now is set, the store reads Running.Clock.
func ServeTest(tb testing.TB, o Options) *Running {
	tb.Helper()
	r := &Running{Clock: simkit.NewFakeClock(time.Now().Truncate(time.Second))}
	if o.Now == nil {
		o.Now = r.Clock.Now
	}
	if o.After == nil {
		o.After = r.Clock.After
	}
	r.Server = New(o)
	srv := httptest.NewServer(r.Handler())
	tb.Cleanup(srv.Close)
	r.URL = srv.URL
	return r
}
