package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/plugintest"
)

// binary is the plugin built once for the package's tests.
var binary string

func TestMain(m *testing.M) { plugintest.Main(m, "feed", &binary) }

// TestConformance runs the SDK's conformance kit against the plugin, as
// the built binary and in-process (a target with both runs each check
// against each), with the feed served by a test server.
func TestConformance(t *testing.T) {
	for format, contentType := range map[string]string{"csv": "text/csv", "json": "application/json"} {
		srv := newFeedServer(t, "testdata/feed."+format, contentType)
		target := plugintest.Target{
			Binary:     binary,
			New:        func() sdk.Plugin { return New() },
			Config:     `{"url": "` + srv.URL + `/export", "auth_header": "` + testAuth + `"}`,
			KnownIDs:   []string{"A100", "B200", "D400", "E500"},
			UnknownIDs: []string{"Z999", "a100"},
			AuthConfig: `{"url": "` + srv.URL + `/export", "auth_header": "Bearer wrong"}`,
			RateLimit: &plugintest.RateLimit{
				Start: func(testing.TB) func() {
					return srv.fail(http.StatusTooManyRequests, http.Header{"Retry-After": {"30"}})
				},
				Wait: 30 * time.Second,
			},
			PageSize: 2,
		}
		t.Run(format, func(t *testing.T) { plugintest.Run(t, target) })
	}
}
