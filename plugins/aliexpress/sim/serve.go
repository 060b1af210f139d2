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
	// URL is the gateway's base URL: a plugin's endpoint.
	URL string
	// Clock is the gateway's clock, which the test moves. It starts at the
	// wall clock's time, so that a plugin in another process, which stamps
	// its requests with the wall clock, is inside the timestamp window.
	Clock *simkit.FakeClock
}

// ServeTest starts a simulator on an httptest server, closed when the
// test ends. Unless o.Now is set, the gateway reads Running.Clock.
func ServeTest(tb testing.TB, o Options) *Running {
	tb.Helper()
	r := &Running{Clock: simkit.NewFakeClock(time.Now().Truncate(time.Second))}
	if o.Now == nil {
		o.Now = r.Clock.Now
	}
	r.Server = New(o)
	srv := httptest.NewServer(r.Handler())
	tb.Cleanup(srv.Close)
	r.URL = srv.URL
	return r
}
