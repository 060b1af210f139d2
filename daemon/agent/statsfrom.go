package agent

import (
	"context"
	"errors"
	"time"

	"github.com/marketsync/marketsync/daemon/api"
	"github.com/marketsync/marketsync/daemon/client"
	"github.com/marketsync/marketsync/daemon/stats"
)

// This file is the last of package agent to see a type of the agent's
// (stats.Recorder): the agent's setup still builds its StatsSource here.
// It belongs with the agent's other conversions, in package agent.

// StatsFrom is a StatsSource that answers from rec. known reports whether
// a platform is configured; a query for any other is UnknownPlatform. A
// nil known accepts every name.
func statsFrom(rec *stats.Recorder, known func(platform string) bool) api.StatsSource {
	return recorderStats{rec: rec, known: known}
}

type recorderStats struct {
	rec   *stats.Recorder
	known func(string) bool
}

func (s recorderStats) StatsRetention() time.Duration { return s.rec.Retention() }

func (s recorderStats) Stats(ctx context.Context, q client.StatsQuery) (*client.Stats, error) {
	if q.Platform != "" && s.known != nil && !s.known(q.Platform) {
		return nil, api.UnknownPlatform(q.Platform)
	}
	sum, err := s.rec.Query(ctx, stats.Query{Platform: q.Platform, Operation: q.Operation, Range: q.Range, Series: q.Series})
	if errors.Is(err, stats.ErrInvalidQuery) {
		return nil, api.BadRequest(client.CodeInvalidQuery, err.Error())
	}
	if err != nil {
		return nil, err
	}
	return statsFromSummary(sum), nil
}

// statsFromSummary converts a stats summary; nil stays nil.
func statsFromSummary(s *stats.Summary) *client.Stats {
	if s == nil {
		return nil
	}
	out := &client.Stats{From: s.From, To: s.To, Total: statsRow(s.Total), Rows: make([]client.StatsRow, len(s.Rows))}
	for i, row := range s.Rows {
		out.Rows[i] = statsRow(row)
	}
	for _, p := range s.Series {
		out.Series = append(out.Series, client.StatsPoint{Minute: p.Minute, StatsRow: statsRow(p.Row)})
	}
	return out
}

func statsRow(r stats.Row) client.StatsRow {
	return client.StatsRow{
		Platform:         r.Platform,
		Operation:        r.Operation,
		Calls:            r.Calls,
		Succeeded:        r.Succeeded,
		SuccessRate:      r.SuccessRate,
		Errors:           r.Errors,
		RateLimited:      r.RateLimited,
		RateLimitedShare: r.RateLimitedShare,
		Retries:          r.Retries,
		BudgetExhausted:  r.BudgetExhausted,
		Items:            r.Items,
		WaitSeconds:      r.Waited.Seconds(),
		MeanWaitSeconds:  r.MeanWait.Seconds(),
		Latency: client.LatencySummary{
			P50:  r.P50.Seconds(),
			P95:  r.P95.Seconds(),
			P99:  r.P99.Seconds(),
			Mean: r.MeanLatency.Seconds(),
			Max:  r.MaxLatency.Seconds(),
		},
	}
}
