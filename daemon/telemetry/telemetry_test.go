package telemetry

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/marketsync/marketsync/actors/job"
	"github.com/marketsync/marketsync/actors/platform"
	"github.com/marketsync/marketsync/sdk"
)

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	var buf bytes.Buffer
	if err := m.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func exercised() *Metrics {
	m := New()
	m.RegisterPlatform("idle")
	m.SeedJobs(map[job.State]int{job.State_STATE_SUCCEEDED: 4})
	m.JobChanged(0, job.State_STATE_QUEUED, true)
	m.JobChanged(job.State_STATE_QUEUED, job.State_STATE_RUNNING, false)
	for i, outcome := range []string{"ok", "ok", "rate_limited", "timeout"} {
		m.CallFinished(platform.CallRecord{
			Platform: `shop "1"`, Operation: sdk.OpFetchProducts, Outcome: outcome,
			Latency: time.Duration(i+1) * 2 * time.Millisecond, Waited: 250 * time.Millisecond, Attempt: i + 1,
		})
	}
	m.PluginRestarted(`shop "1"`, "crashed")
	m.RegisterPlatform("locked")
	m.StateChanged("locked", platform.State_STATE_UNAUTHORIZED, "taobao.locked: the platform rejected the signature")
	return m
}

func TestSeries(t *testing.T) {
	out := scrape(t, exercised())
	for _, want := range []string{
		`marketsync_platform_calls_total{platform="shop \"1\"",operation="fetch_products",outcome="ok"} 2`,
		`marketsync_platform_calls_total{platform="shop \"1\"",operation="fetch_products",outcome="timeout"} 1`,
		`marketsync_platform_call_duration_seconds_bucket{platform="shop \"1\"",operation="fetch_products",le="0.005"} 2`,
		`marketsync_platform_call_duration_seconds_bucket{platform="shop \"1\"",operation="fetch_products",le="+Inf"} 4`,
		`marketsync_platform_call_duration_seconds_count{platform="shop \"1\"",operation="fetch_products"} 4`,
		`marketsync_platform_retries_total{platform="shop \"1\"",operation="fetch_products"} 3`,
		`marketsync_platform_rate_limit_wait_seconds_total{platform="shop \"1\""} 1`,
		`marketsync_plugin_restarts_total{platform="shop \"1\""} 1`,
		`marketsync_plugin_restarts_total{platform="idle"} 0`,
		`marketsync_platform_state{platform="idle",state="ready"} 1`,
		`marketsync_platform_state{platform="locked",state="unauthorized"} 1`,
		`marketsync_platform_state{platform="locked",state="ready"} 0`,
		`marketsync_platform_breaker{platform="idle",state="closed"} 1`,
		`marketsync_jobs{state="succeeded"} 4`,
		`marketsync_jobs{state="running"} 1`,
		`marketsync_jobs{state="queued"} 0`,
		"# HELP marketsync_platform_calls_total Plugin calls by platform",
		"# TYPE marketsync_platform_call_duration_seconds histogram",
		"# TYPE process_io_read_bytes_total counter",
	} {
		if !strings.Contains(out, want+"\n") && !strings.Contains(out, want) {
			t.Errorf("exposition lacks %q", want)
		}
	}
	if strings.Contains(out, "go_cpu_count") {
		t.Error("a dropped family is still exposed")
	}
}

// TestPromtoolAccepts runs Prometheus's own linter on a real scrape. The
// Makefile installs promtool (Debian package prometheus) and sets
// MARKETSYNC_REQUIRE_TOOLS, so under `make test` this never skips.
func TestPromtoolAccepts(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("MARKETSYNC_REQUIRE_TOOLS") != "" {
			t.Fatal("promtool is required: install it with `make tools`")
		}
		t.Skip("promtool not installed; `make test` installs it")
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(scrape(t, exercised()))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
	// The check must be able to fail: a counter without _total is refused.
	bad := exec.Command(promtool, "check", "metrics")
	bad.Stdin = strings.NewReader("# HELP x_seconds A thing.\n# TYPE x_seconds counter\nx_seconds 1\n")
	if err := bad.Run(); err == nil {
		t.Fatal("promtool accepted a counter without the _total suffix; the check proves nothing")
	}
}
