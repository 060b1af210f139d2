package command

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/marketsync/marketsync/daemon/api"
	"github.com/marketsync/marketsync/daemon/api/apitest"
	"github.com/marketsync/marketsync/daemon/client"
	"github.com/marketsync/marketsync/sdk"
)

// statsAgent starts the API with st as its stats source and points
// MARKETSYNC_ADDR at it.
func statsAgent(t *testing.T, st *apitest.Stats) {
	t.Helper()
	t.Setenv(client.EnvAddress, apitest.Serve(t, api.Config{Backend: apitest.NewBackend(), Stats: st}).URL)
	t.Setenv(client.EnvToken, "")
}

var hourOfCalls = client.Stats{
	From: apitest.Epoch,
	To:   apitest.Epoch.Add(time.Hour + 30*time.Second),
	Rows: []client.StatsRow{
		{Platform: "pdd", Operation: "fetch_products", Calls: 40, Succeeded: 40, SuccessRate: 1, Errors: map[string]int64{},
			Latency: client.LatencySummary{P50: 0.00085, P95: 0.0123, P99: 0.0456}},
		{Platform: "tb", Operation: "fetch_products", Calls: 200, Succeeded: 195, SuccessRate: 0.975,
			Errors:      map[string]int64{"unavailable": 3, "timeout": 1, "rate_limited": 1},
			RateLimited: 1, RateLimitedShare: 0.005, Retries: 4,
			Latency: client.LatencySummary{P50: 0.12, P95: 0.45, P99: 1.2345}},
	},
	Total: client.StatsRow{Calls: 240, Succeeded: 235, SuccessRate: 235.0 / 240,
		Errors:      map[string]int64{"unavailable": 3, "timeout": 1, "rate_limited": 1},
		RateLimited: 1, RateLimitedShare: 1.0 / 240, Retries: 4,
		Latency: client.LatencySummary{P50: 0.1, P95: 0.44, P99: 1.2}},
}

func TestStats(t *testing.T) {
	st := &apitest.Stats{Platforms: []string{"tb", "pdd"}, Answer: hourOfCalls}
	statsAgent(t, st)
	r := runCLI(t, "", "stats")
	r.want(t, 0, "Plugin calls from "+clock(hourOfCalls.From)+" to "+clock(hourOfCalls.To))
	hasLine(t, r.stdout, "PLATFORM | OPERATION | CALLS | SUCCESS | RATE-LIMITED | RETRIES | P50 | P95 | P99 | ERRORS")
	hasLine(t, r.stdout, "pdd | fetch_products | 40 | 100% | 0% | 0 | 850µs | 12.3ms | 45.6ms | -")
	hasLine(t, r.stdout, "tb | fetch_products | 200 | 97.5% | 0.5% | 4 | 120ms | 450ms | 1.23s | unavailable=3 rate_limited=1 timeout=1")
	hasLine(t, r.stdout, "total | 240 | 97.9% | 0.4% | 4 | 100ms | 440ms | 1.2s | unavailable=3 rate_limited=1 timeout=1")

	var got client.Stats
	r = runCLI(t, "", "stats", "-json")
	r.want(t, 0)
	r.decodeJSON(t, &got)
	if got.Total.Calls != 240 || len(got.Rows) != 2 || got.Rows[1].Errors["unavailable"] != 3 || !got.To.Equal(hourOfCalls.To) {
		t.Errorf("stats -json = %+v", got)
	}

	runCLI(t, "", "stats", "-platform", "tb", "-operation", "fetch_products", "-range", "5m").want(t, 0)
	want := []client.StatsQuery{{Range: time.Hour}, {Range: time.Hour}, {Platform: "tb", Operation: "fetch_products", Range: 5 * time.Minute}}
	if q := st.Queries(); !slices.Equal(q, want) {
		t.Errorf("the agent got %+v, want %+v", q, want)
	}
}

func TestStatsWithoutCalls(t *testing.T) {
	statsAgent(t, &apitest.Stats{Answer: client.Stats{From: apitest.Epoch, To: apitest.Epoch.Add(time.Minute)}})
	r := runCLI(t, "", "stats", "-range", "1m")
	r.want(t, 0, "Plugin calls from ", "No calls")
	if len(lines(r.stdout)) != 2 {
		t.Errorf("more than the window and \"No calls\":\n%s", r.stdout)
	}
}

func TestStatsErrors(t *testing.T) {
	statsAgent(t, &apitest.Stats{Platforms: []string{"tb"}})
	runCLI(t, "", "stats", "-range", "1 hour").wantUsage(t, `invalid value "1 hour" for flag -range`, "stats")
	runCLI(t, "", "stats", "extra").wantUsage(t, "stats takes no arguments", "stats")
	runCLI(t, "", "stats", "-range", "48h").wantError(t, "range must be from 1m to 24h")
	runCLI(t, "", "stats", "-operation", "fetch").wantError(t, "operation must be one of fetch_products")
	runCLI(t, "", "stats", "-platform", "nope").wantError(t, `no platform named "nope" is configured`)

	fakeAgent(t, "")
	runCLI(t, "", "stats").wantError(t, "stats are not enabled on this agent (not_found)")
}

func TestStatsHelpNamesEveryOperation(t *testing.T) {
	help := (&StatsCommand{}).Help()
	for _, op := range sdk.Operations {
		if !strings.Contains(help, op.String()) {
			t.Errorf("the help does not name %s", op)
		}
	}
}

func TestStatsFormats(t *testing.T) {
	for seconds, want := range map[float64]string{
		0:         "0s",
		0.0000004: "400ns",
		0.00085:   "850µs",
		0.0012345: "1.23ms",
		0.0999999: "100ms",
		1.2345:    "1.23s",
		134.56:    "2m15s",
	} {
		if got := latency(seconds, 1); got != want {
			t.Errorf("latency(%v) = %q, want %q", seconds, got, want)
		}
	}
	for share, want := range map[float64]string{0: "0%", 1: "100%", 0.975: "97.5%", 0.99999: "100%", 0.0004: "0%", 0.0005: "0.1%"} {
		if got := percent(share, 1); got != want {
			t.Errorf("percent(%v) = %q, want %q", share, got, want)
		}
	}
	if latency(0.5, 0) != "-" || percent(0.5, 0) != "-" || errorCounts(nil) != "-" {
		t.Error("a row without calls does not read -")
	}
}
