package alerting

import (
	"context"
	"maps"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/marketsync/marketsync/config"
	"github.com/marketsync/marketsync/daemon/client"
)

type fakeAgent struct {
	platforms []client.Platform
	jobs      map[client.JobState][]client.Job
	stats     map[string]client.StatsRow
	queries   []client.StatsQuery
}

func (f *fakeAgent) Platforms(context.Context) ([]client.Platform, error) { return f.platforms, nil }

func (f *fakeAgent) Jobs(_ context.Context, o client.JobListOptions) ([]client.Job, error) {
	return f.jobs[o.State], nil
}

func (f *fakeAgent) Stats(_ context.Context, q client.StatsQuery) (*client.Stats, error) {
	f.queries = append(f.queries, q)
	return &client.Stats{Total: f.stats[q.Platform]}, nil
}

func (f *fakeAgent) CacheStats(context.Context) (*client.CacheStats, error) {
	return &client.CacheStats{Types: []client.CacheTypeStats{
		{Type: "price", Requests: 500, HitRate: 0.4}, {Type: "stock", Requests: 20, HitRate: 0.1}}}, nil
}

// call parses one function call as a rule's expr would.
func call(t *testing.T, src string) *config.AlertCall {
	t.Helper()
	e, diags := config.ParseAlertExpr(mustExpr(t, src))
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return e.Call
}

// values returns the samples as "label value" → value.
func values(t *testing.T, in *AgentInputs, src string) map[string]float64 {
	t.Helper()
	got, err := in.Eval(context.Background(), call(t, src))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, s := range got {
		key := ""
		for _, k := range slices.Sorted(maps.Keys(s.Labels)) {
			key += k + "=" + s.Labels[k] + " "
		}
		out[key] = s.Value
	}
	return out
}

func TestAgentInputs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		now := time.Now()
		f := &fakeAgent{
			platforms: []client.Platform{
				{Name: "taobao-main", State: client.PlatformUnauthorized, Breaker: "open", Queued: 3, Restarts: 2},
				{Name: "shop", State: client.PlatformReady, Breaker: "closed"},
			},
			jobs: map[client.JobState][]client.Job{
				client.JobRunning: {{ID: "j1", Platform: "taobao-main", Pending: 10, PausedUntil: now.Add(time.Minute), UpdatedAt: now.Add(-40 * time.Minute)},
					{ID: "j2", Platform: "shop", Pending: 5}},
				client.JobQueued: {{ID: "j3", Platform: "taobao-main", Pending: 100}},
				client.JobFailed: {{ID: "j4", Platform: "shop", FinishedAt: now.Add(-time.Minute)}, {ID: "j5", Platform: "shop", FinishedAt: now.Add(-time.Hour)}},
			},
			stats: map[string]client.StatsRow{
				"taobao-main": {Calls: 100, SuccessRate: 0.7, RateLimitedShare: 0.25, Latency: client.LatencySummary{P50: 0.1, P95: 0.9, P99: 2}},
				"shop":        {},
			},
		}
		in := &AgentInputs{State: f, Stats: f, Cache: f}
		check := func(src string, want map[string]float64) {
			t.Helper()
			if got := values(t, in, src); !maps.Equal(got, want) {
				t.Errorf("%s = %v, want %v", src, got, want)
			}
		}
		check(`error_rate(".*", "10m")`, map[string]float64{"platform=taobao-main ": 0.30000000000000004})
		if q := f.queries[0]; q.Platform != "taobao-main" || q.Range != 10*time.Minute {
			t.Errorf("stats query %+v", q)
		}
		check(`calls()`, map[string]float64{"platform=taobao-main ": 100, "platform=shop ": 0})
		check(`latency_quantile("taobao.*", "0.99")`, map[string]float64{"platform=taobao-main ": 2})
		check(`rate_limited_share()`, map[string]float64{"platform=taobao-main ": 0.25})
		check(`breaker_open()`, map[string]float64{"platform=taobao-main ": 1, "platform=shop ": 0})
		check(`platform_state(".*", "unauthorized")`, map[string]float64{"platform=taobao-main ": 1, "platform=shop ": 0})
		check(`backlog()`, map[string]float64{"platform=taobao-main ": 113, "platform=shop ": 5})
		check(`job_paused_for()`, map[string]float64{"job=j1 platform=taobao-main ": 2400})
		check(`jobs_failed("shop", "15m")`, map[string]float64{"platform=shop ": 1})
		check(`cache_hit_rate()`, map[string]float64{"cache_type=price ": 0.4})

		// Restarts count within the window from the history the
		// evaluations keep.
		check(`plugin_restarts(".*", "15m")`, map[string]float64{"platform=taobao-main ": 0, "platform=shop ": 0})
		<-time.After(10 * time.Minute)
		f.platforms[0].Restarts = 5
		check(`plugin_restarts(".*", "15m")`, map[string]float64{"platform=taobao-main ": 3, "platform=shop ": 0})
		<-time.After(10 * time.Minute)
		check(`plugin_restarts(".*", "15m")`, map[string]float64{"platform=taobao-main ": 0, "platform=shop ": 0})
	})
}

func mustExpr(t *testing.T, src string) hcl.Expression {
	t.Helper()
	e, diags := hclsyntax.ParseExpression([]byte(src), "t.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return e
}
