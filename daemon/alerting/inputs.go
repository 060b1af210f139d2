package alerting

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/marketsync/marketsync/config"
	"github.com/marketsync/marketsync/daemon/client"
)

// AgentState is what the agent inputs read of the agent, in the API's
// types: the platform actors' status and the jobs.
type AgentState interface {
	Platforms(ctx context.Context) ([]client.Platform, error)
	Jobs(ctx context.Context, opts client.JobListOptions) ([]client.Job, error)
}

// StatsReader answers windowed call statistics, as GET /v1/stats does.
type StatsReader interface {
	Stats(ctx context.Context, q client.StatsQuery) (*client.Stats, error)
}

// CacheReader answers the cache's hit statistics, as GET /v1/cache/stats.
type CacheReader interface {
	CacheStats(ctx context.Context) (*client.CacheStats, error)
}

// AgentInputs is the Provider of the functions over the agent's own
// statistics and state. Cache may be nil (no cache_hit_rate samples).
type AgentInputs struct {
	State AgentState
	Stats StatsReader
	Cache CacheReader

	mu       sync.Mutex
	restarts map[string][]restartCount // per platform, oldest first
}

type restartCount struct {
	at    time.Time
	count int
}

// restartsKept bounds the restart history: the longest window a rule can
// look back on with plugin_restarts.
const restartsKept = 24 * time.Hour

// Functions implements Provider.
func (in *AgentInputs) Functions() []string {
	return []string{"error_rate", "latency_quantile", "rate_limited_share", "calls", "breaker_open", "platform_state",
		"plugin_restarts", "jobs_failed", "job_paused_for", "backlog", "cache_hit_rate"}
}

// Eval implements Provider.
func (in *AgentInputs) Eval(ctx context.Context, call *config.AlertCall) ([]Sample, error) {
	switch call.Func {
	case "error_rate", "latency_quantile", "rate_limited_share", "calls":
		return in.stats(ctx, call)
	case "cache_hit_rate":
		return in.cacheHitRate(ctx, call)
	case "jobs_failed", "job_paused_for", "backlog":
		return in.jobs(ctx, call)
	}
	return in.platforms(ctx, call)
}

func platformSample(name string, v float64) Sample {
	return Sample{Labels: map[string]string{"platform": name}, Value: v}
}

// stats reads the window of each matching platform: one query per
// platform, whose total row has the platform's latency quantiles.
func (in *AgentInputs) stats(ctx context.Context, call *config.AlertCall) ([]Sample, error) {
	ps, err := in.State.Platforms(ctx)
	if err != nil {
		return nil, err
	}
	re, window := call.Args["platform"].Regexp, call.Args["window"].Duration
	var out []Sample
	for _, p := range ps {
		if !re.MatchString(p.Name) {
			continue
		}
		st, err := in.Stats.Stats(ctx, client.StatsQuery{Platform: p.Name, Range: window})
		if err != nil {
			return nil, fmt.Errorf("stats of %s: %w", p.Name, err)
		}
		row := st.Total
		switch call.Func {
		case "calls":
			out = append(out, platformSample(p.Name, float64(row.Calls)))
			continue
		}
		if row.Calls == 0 {
			continue // no calls: no rate to judge
		}
		switch call.Func {
		case "error_rate":
			out = append(out, platformSample(p.Name, 1-row.SuccessRate))
		case "rate_limited_share":
			out = append(out, platformSample(p.Name, row.RateLimitedShare))
		case "latency_quantile":
			q := map[string]float64{"0.5": row.Latency.P50, "0.95": row.Latency.P95, "0.99": row.Latency.P99}
			out = append(out, platformSample(p.Name, q[call.Args["quantile"].Text]))
		}
	}
	return out, nil
}

func (in *AgentInputs) platforms(ctx context.Context, call *config.AlertCall) ([]Sample, error) {
	ps, err := in.State.Platforms(ctx)
	if err != nil {
		return nil, err
	}
	re := call.Args["platform"].Regexp
	now := time.Now()
	var out []Sample
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.restarts == nil {
		in.restarts = map[string][]restartCount{}
	}
	for _, p := range ps {
		// The restart history is kept on every evaluation of a platform
		// function, so that a window has a start to compare with.
		h := append(in.restarts[p.Name], restartCount{at: now, count: p.Restarts})
		for len(h) > 1 && now.Sub(h[0].at) > restartsKept {
			h = h[1:]
		}
		in.restarts[p.Name] = h
		if !re.MatchString(p.Name) {
			continue
		}
		switch call.Func {
		case "breaker_open":
			out = append(out, platformSample(p.Name, bool01(p.Breaker == "open")))
		case "platform_state":
			out = append(out, platformSample(p.Name, bool01(string(p.State) == call.Args["state"].Text)))
		case "plugin_restarts":
			base := h[0].count
			for _, c := range h {
				if now.Sub(c.at) <= call.Args["window"].Duration {
					base = c.count
					break
				}
			}
			out = append(out, platformSample(p.Name, float64(p.Restarts-base)))
		}
	}
	return out, nil
}

func bool01(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// jobListLimit bounds the jobs read per evaluation, newest first.
const jobListLimit = 1000

func (in *AgentInputs) jobs(ctx context.Context, call *config.AlertCall) ([]Sample, error) {
	re := call.Args["platform"].Regexp
	now := time.Now()
	var out []Sample
	switch call.Func {
	case "jobs_failed":
		list, err := in.State.Jobs(ctx, client.JobListOptions{State: client.JobFailed, Limit: jobListLimit})
		if err != nil {
			return nil, err
		}
		n := map[string]int{}
		for _, j := range list {
			if re.MatchString(j.Platform) && now.Sub(j.FinishedAt) <= call.Args["window"].Duration {
				n[j.Platform]++
			}
		}
		for p, c := range n {
			out = append(out, platformSample(p, float64(c)))
		}
	case "job_paused_for":
		list, err := in.State.Jobs(ctx, client.JobListOptions{State: client.JobRunning, Limit: jobListLimit})
		if err != nil {
			return nil, err
		}
		for _, j := range list {
			if re.MatchString(j.Platform) && !j.PausedUntil.IsZero() {
				// Measured from the job's last update: the record carries
				// no pause start, and a paused job's record is updated
				// when it pauses (again, if the platform refuses anew).
				out = append(out, Sample{Labels: map[string]string{"platform": j.Platform, "job": j.ID}, Value: now.Sub(j.UpdatedAt).Seconds()})
			}
		}
	case "backlog":
		ps, err := in.State.Platforms(ctx)
		if err != nil {
			return nil, err
		}
		n := map[string]int{}
		for _, p := range ps {
			if re.MatchString(p.Name) {
				n[p.Name] += p.Queued
			}
		}
		for _, state := range []client.JobState{client.JobQueued, client.JobRunning} {
			list, err := in.State.Jobs(ctx, client.JobListOptions{State: state, Limit: jobListLimit})
			if err != nil {
				return nil, err
			}
			for _, j := range list {
				if _, ok := n[j.Platform]; ok {
					n[j.Platform] += j.Pending
				}
			}
		}
		for p, c := range n {
			out = append(out, platformSample(p, float64(c)))
		}
	}
	return out, nil
}

func (in *AgentInputs) cacheHitRate(ctx context.Context, call *config.AlertCall) ([]Sample, error) {
	if in.Cache == nil {
		return nil, nil
	}
	st, err := in.Cache.CacheStats(ctx)
	if err != nil {
		return nil, err
	}
	var out []Sample
	for _, t := range st.Types {
		if call.Args["type"].Regexp.MatchString(t.Type) && float64(t.Requests) >= call.Args["min_requests"].Number {
			out = append(out, Sample{Labels: map[string]string{"cache_type": t.Type}, Value: t.HitRate})
		}
	}
	return out, nil
}
