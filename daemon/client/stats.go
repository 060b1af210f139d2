package client

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/marketsync/marketsync/sdk"
)

// StatsQuery selects the plugin calls GET /v1/stats describes.
type StatsQuery struct {
	// Platform and Operation (fetch_products, list_products, ...) keep
	// only the calls of that platform block and operation; empty means
	// all.
	Platform  string
	Operation string
	// Range is how far back the window reaches, from a minute to how long
	// the agent keeps stats (24 hours unless configured); zero is the
	// agent's default, an hour.
	Range time.Duration
	// Series asks for the selected calls minute by minute.
	Series bool
}

// StatsOperations are the values StatsQuery.Operation takes: the names
// of the plugin operations.
var StatsOperations = func() []string {
	names := make([]string, len(sdk.Operations))
	for i, op := range sdk.Operations {
		names[i] = op.String()
	}
	return names
}()

// Stats describes the plugin calls of a window: the whole minutes from
// From to To, which is when the agent answered. The window covers the
// range asked for plus the current minute so far.
type Stats struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Rows holds one row per platform and operation that had calls, by
	// platform name and then operation.
	Rows []StatsRow `json:"rows"`
	// Total sums the rows; it has no platform or operation.
	Total StatsRow `json:"total"`
	// Series, when asked for, holds the total of every minute from From
	// on, zero where there were no calls.
	Series []StatsPoint `json:"series,omitempty"`
}

// StatsRow describes the calls of one platform and operation, or a sum of
// them. Every attempt is a call: a call retried twice counts three times.
// Rates, shares and means are 0 when there were no calls.
type StatsRow struct {
	Platform  string `json:"platform,omitempty"`
	Operation string `json:"operation,omitempty"`

	Calls     int64 `json:"calls"`
	Succeeded int64 `json:"succeeded"`
	// SuccessRate is Succeeded / Calls, from 0 to 1.
	SuccessRate float64 `json:"success_rate"`
	// Errors counts the failed calls by outcome: timeout, rate_limited,
	// unavailable, invalid, auth, not_found, conflict or unknown; only
	// outcomes that occurred are present.
	Errors map[string]int64 `json:"errors"`
	// RateLimited counts the calls the platform refused for its rate
	// limit; RateLimitedShare is their share of Calls, from 0 to 1.
	RateLimited      int64   `json:"rate_limited"`
	RateLimitedShare float64 `json:"rate_limited_share"`
	// Retries counts the calls that retried a failed one;
	// BudgetExhausted the failed calls the retry budget refused to retry.
	Retries         int64 `json:"retries"`
	BudgetExhausted int64 `json:"budget_exhausted"`
	// Items is the number of items (ids, products) the calls carried.
	Items int64 `json:"items"`
	// WaitSeconds is the time the calls waited for the rate limiter's
	// tokens; MeanWaitSeconds that time per call.
	WaitSeconds     float64 `json:"wait_seconds"`
	MeanWaitSeconds float64 `json:"mean_wait_seconds"`
	// Latency is the time a call took, rate-limit waits excluded.
	Latency LatencySummary `json:"latency_seconds"`
}

// LatencySummary describes call latencies in seconds. The quantiles are
// within 2.3% of the exact ones; the mean and the largest are exact.
type LatencySummary struct {
	P50  float64 `json:"p50"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	Mean float64 `json:"mean"`
	Max  float64 `json:"max"`
}

// StatsPoint is one minute of a series: the calls of the minute starting
// at Minute.
type StatsPoint struct {
	Minute time.Time `json:"minute"`
	StatsRow
}

// StatsEndpoint is the handle on GET /v1/stats.
type StatsEndpoint struct {
	client *Client
}

// Stats returns the handle on the stats endpoint.
func (c *Client) Stats() *StatsEndpoint { return &StatsEndpoint{client: c} }

func (q StatsQuery) query() url.Values {
	v := url.Values{}
	setQuery(v, "platform", q.Platform)
	setQuery(v, "operation", q.Operation)
	if q.Range != 0 {
		v.Set("range", q.Range.String())
	}
	if q.Series {
		v.Set("series", "true")
	}
	return v
}

// Get describes the plugin calls q selects.
func (s *StatsEndpoint) Get(ctx context.Context, q StatsQuery) (*Stats, error) {
	var out Stats
	if err := s.client.do(ctx, http.MethodGet, "/v1/stats", q.query(), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
