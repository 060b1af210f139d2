package telemetry

import (
	"bytes"
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

// A platform forgotten (its block removed by a reload) has no series
// left, the others keep theirs, and a platform of that name added again
// starts afresh.
func TestForgetPlatform(t *testing.T) {
	m := exercised()
	m.RegisterWebhooks(`shop "1"`)
	m.RegisterPlatform(`shop "1"`)
	m.StateChanged(`shop "1"`, platform.State_STATE_FAILED, "crash loop")
	m.ForgetPlatform(`shop "1"`)
	out := scrape(t, m)
	if strings.Contains(out, `platform="shop \"1\""`) {
		t.Errorf("series of the forgotten platform remain:\n%s", out)
	}
	for _, want := range []string{`marketsync_platform_state{platform="idle",state="ready"} 1`, `marketsync_platform_state{platform="locked",state="unauthorized"} 1`} {
		if !strings.Contains(out, want) {
			t.Errorf("exposition lacks %q", want)
		}
	}
	m.RegisterPlatform(`shop "1"`)
	if out := scrape(t, m); !strings.Contains(out, `marketsync_platform_state{platform="shop \"1\"",state="ready"} 1`) ||
		strings.Contains(out, `marketsync_plugin_restarts_total{platform="shop \"1\""} 1`) {
		t.Errorf("the platform added again does not start afresh:\n%s", out)
	}
}

// TestExpositionPassesPromlint checks a real scrape with Prometheus's own
// linter (the library behind `promtool check metrics`).
func TestExpositionPassesPromlint(t *testing.T) {
	if err := Lint(strings.NewReader(scrape(t, exercised()))); err != nil {
		t.Fatalf("the scrape fails promlint:\n%v", err)
	}
	// The check must be able to fail: a counter without _total is refused,
	// and so is text that is not the exposition format.
	if err := Lint(strings.NewReader("# HELP x_seconds A thing.\n# TYPE x_seconds counter\nx_seconds 1\n")); err == nil {
		t.Error("a counter without the _total suffix passed; the check proves nothing")
	}
	if err := Lint(strings.NewReader("x_total{ 1\n")); err == nil {
		t.Error("a malformed line passed")
	}
}
