package api_test

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/marketsync/marketsync/actors/platform"
	"github.com/marketsync/marketsync/daemon/api"
	"github.com/marketsync/marketsync/daemon/api/apitest"
	"github.com/marketsync/marketsync/daemon/client"
	"github.com/marketsync/marketsync/daemon/stats"
	"github.com/marketsync/marketsync/daemon/store"
	"github.com/marketsync/marketsync/daemon/store/storetest"
	"github.com/marketsync/marketsync/sdk"
)

func statsServer(t *testing.T, st *apitest.Stats) *httptest.Server {
	t.Helper()
	return apitest.Serve(t, api.Config{Backend: apitest.NewBackend(), Stats: st})
}

func TestStatsNotEnabled(t *testing.T) {
	srv, _ := newServer(t)
	get(t, srv, "/v1/stats?range=1h").wantError(t, http.StatusNotFound, client.CodeNotFound, "stats are not enabled")
}

func TestStatsQuery(t *testing.T) {
	for name, tc := range map[string]struct {
		query     string
		retention time.Duration
		want      client.StatsQuery
	}{
		"defaults":                   {query: "", want: client.StatsQuery{Range: time.Hour}},
		"default within a short one": {query: "", retention: 30 * time.Minute, want: client.StatsQuery{Range: 30 * time.Minute}},
		"5m":                         {query: "?range=5m", want: client.StatsQuery{Range: 5 * time.Minute}},
		"the whole retention":        {query: "?range=24h", want: client.StatsQuery{Range: 24 * time.Hour}},
		"a minute":                   {query: "?range=60s", want: client.StatsQuery{Range: time.Minute}},
		"everything": {query: "?platform=tb&operation=list_products&range=90s&series=true",
			want: client.StatsQuery{Platform: "tb", Operation: "list_products", Range: 90 * time.Second, Series: true}},
		"series off": {query: "?series=false&range=2h", want: client.StatsQuery{Range: 2 * time.Hour}},
	} {
		t.Run(name, func(t *testing.T) {
			st := &apitest.Stats{Retention: tc.retention, Platforms: []string{"tb"}}
			var got client.Stats
			get(t, statsServer(t, st), "/v1/stats"+tc.query).decode(t, http.StatusOK, &got)
			if q := st.Queries(); len(q) != 1 || q[0] != tc.want {
				t.Errorf("the source got %+v, want %+v", q, tc.want)
			}
		})
	}
}

func TestStatsRejects(t *testing.T) {
	st := &apitest.Stats{Platforms: []string{"tb"}}
	srv := statsServer(t, st)
	for name, tc := range map[string]struct {
		query string
		code  string
		parts []string
	}{
		"words":             {"range=1%20hour", client.CodeInvalidQuery, []string{"range must be a duration", `"1 hour"`}},
		"a bare number":     {"range=60", client.CodeInvalidQuery, []string{"range must be a duration"}},
		"negative":          {"range=-5m", client.CodeInvalidQuery, []string{"from 1m to 24h", `"-5m"`}},
		"zero":              {"range=0s", client.CodeInvalidQuery, []string{"from 1m to 24h"}},
		"under a minute":    {"range=30s", client.CodeInvalidQuery, []string{"from 1m to 24h"}},
		"over the maximum":  {"range=24h1m", client.CodeInvalidQuery, []string{"from 1m to 24h", "keeps stats", `"24h1m"`}},
		"unknown operation": {"operation=fetch", client.CodeInvalidQuery, []string{"operation must be one of fetch_products, list_products", `"fetch"`}},
		"series":            {"series=yes", client.CodeInvalidQuery, []string{"series must be true or false"}},
		"unknown platform":  {"platform=nope", client.CodeUnknownPlatform, []string{`"nope"`}},
	} {
		t.Run(name, func(t *testing.T) {
			get(t, srv, "/v1/stats?"+tc.query).wantError(t, http.StatusBadRequest, tc.code, tc.parts...)
		})
	}
	if n := len(st.Queries()); n != 1 {
		t.Errorf("the source got %d queries, want only the one for an unknown platform", n)
	}
}

func TestStatsSourceFails(t *testing.T) {
	st := &apitest.Stats{Err: errors.New("badger: closed")}
	srv := statsServer(t, st)
	r := get(t, srv, "/v1/stats")
	r.wantError(t, http.StatusInternalServerError, client.CodeInternal)
	if strings.Contains(string(r.body), "badger") {
		t.Errorf("the cause leaked to the client: %s", r.body)
	}
}

// TestStatsEmptyAnswer checks that lists and error maps a source leaves
// nil are sent as [] and {}.
func TestStatsEmptyAnswer(t *testing.T) {
	st := &apitest.Stats{Answer: client.Stats{Series: []client.StatsPoint{{}}}}
	r := get(t, statsServer(t, st), "/v1/stats?series=true")
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	body := string(r.body)
	if strings.Contains(body, "null") || !strings.Contains(body, `"rows":[]`) || strings.Count(body, `"errors":{}`) != 2 {
		t.Errorf("empty answer: %s", body)
	}
}

// TestStatsFrom serves a Recorder's answers through StatsFrom.
func TestStatsFrom(t *testing.T) {
	now := time.Date(2026, 1, 2, 12, 0, 30, 0, time.UTC)
	rec, err := stats.New(storetest.Open(t, store.Options{InMemory: true}), stats.Options{FlushEvery: -1, Retention: 2 * time.Hour, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	for _, outcome := range []string{"ok", "ok", "ok", "rate_limited"} {
		rec.CallFinished(platform.CallRecord{Platform: "tb", Operation: sdk.OpFetchProducts, Outcome: outcome,
			Latency: 200 * time.Millisecond, Waited: time.Second, Attempt: 1, Items: 10})
	}
	src := api.StatsFrom(rec, func(name string) bool { return name == "tb" || name == "idle" })
	if src.StatsRetention() != 2*time.Hour {
		t.Errorf("StatsRetention() = %v", src.StatsRetention())
	}
	got, err := src.Stats(context.Background(), client.StatsQuery{Platform: "tb", Range: 5 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	row := client.StatsRow{Platform: "tb", Operation: "fetch_products", Calls: 4, Succeeded: 3, SuccessRate: 0.75,
		Errors: map[string]int64{"rate_limited": 1}, RateLimited: 1, RateLimitedShare: 0.25, Items: 40,
		WaitSeconds: 4, MeanWaitSeconds: 1, Latency: client.LatencySummary{P50: 0.2, P95: 0.2, P99: 0.2, Mean: 0.2, Max: 0.2}}
	total := row
	total.Platform, total.Operation = "", ""
	want := &client.Stats{From: now.Add(-5*time.Minute - 30*time.Second), To: now, Rows: []client.StatsRow{row}, Total: total}
	// Quantiles are read from a histogram: 200 ms reads within the bound.
	quantiles := func(r *client.StatsRow) {
		for _, q := range []*float64{&r.Latency.P50, &r.Latency.P95, &r.Latency.P99} {
			if math.Abs(*q-0.2) > stats.QuantileError*0.2 {
				t.Errorf("quantile %v, want 0.2 ± %.1f%%", *q, 100*stats.QuantileError)
			}
			*q = 0.2
		}
	}
	quantiles(&got.Total)
	for i := range got.Rows {
		quantiles(&got.Rows[i])
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Stats =\n%+v\nwant\n%+v", got, want)
	}

	if got, err := src.Stats(context.Background(), client.StatsQuery{Platform: "idle", Range: time.Minute, Series: true}); err != nil || got.Total.Calls != 0 || len(got.Series) != 2 {
		t.Errorf("a platform without calls: %+v, %v", got, err)
	}
	var e *api.Error
	if _, err := src.Stats(context.Background(), client.StatsQuery{Platform: "nope", Range: time.Minute}); !errors.As(err, &e) || e.Code != client.CodeUnknownPlatform {
		t.Errorf("an unknown platform: %v", err)
	}
	if _, err := src.Stats(context.Background(), client.StatsQuery{Range: 3 * time.Hour}); !errors.As(err, &e) || e.Status != http.StatusBadRequest {
		t.Errorf("a range over the retention: %v", err)
	}
}
