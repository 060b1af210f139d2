package agent

import (
	"context"
	"errors"
	"net/http"
	"slices"
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

// TestStats asks the real API, served from a real Recorder, through the
// client.
func TestStatsThroughTheClient(t *testing.T) {
	now := time.Date(2026, 1, 2, 12, 0, 30, 0, time.UTC)
	clock := now.Add(-3 * time.Minute)
	rec, err := stats.New(storetest.Open(t, store.Options{InMemory: true}), stats.Options{FlushEvery: -1, Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	call := func(platformName string, op sdk.Operation, outcome string, n int) {
		for range n {
			rec.CallFinished(platform.CallRecord{Platform: platformName, Operation: op, Outcome: outcome, Latency: 40 * time.Millisecond, Attempt: 1})
		}
	}
	call("tb", sdk.OpFetchProducts, "ok", 6) // 11:57
	clock = now
	call("tb", sdk.OpFetchProducts, "unavailable", 2)
	call("tb", sdk.OpListProducts, "ok", 1)
	call("pdd", sdk.OpFetchProducts, "ok", 3)

	known := []string{"tb", "pdd"}
	srv := apitest.Serve(t, api.Config{Backend: apitest.NewBackend(), Stats: statsFrom(rec, func(p string) bool { return slices.Contains(known, p) })})
	c, err := client.New(client.Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	all, err := c.Stats().Get(ctx, client.StatsQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if !all.From.Equal(now.Add(-time.Hour-30*time.Second)) || !all.To.Equal(now) || all.Total.Calls != 12 || len(all.Rows) != 3 || all.Series != nil {
		t.Errorf("the default hour: from %v to %v, %d calls in %d rows, %d points", all.From, all.To, all.Total.Calls, len(all.Rows), len(all.Series))
	}

	one, err := c.Stats().Get(ctx, client.StatsQuery{Platform: "tb", Operation: "fetch_products", Range: 3 * time.Minute, Series: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(one.Rows) != 1 || one.Total.Calls != 8 || one.Total.Errors["unavailable"] != 2 || one.Total.SuccessRate != 0.75 {
		t.Errorf("tb fetch_products: %+v", one)
	}
	if l := one.Total.Latency; l.Mean != 0.04 || l.Max != 0.04 {
		t.Errorf("latency in seconds: %+v", l)
	}
	var perMinute []int64
	for _, p := range one.Series {
		perMinute = append(perMinute, p.Calls)
	}
	if want := []int64{6, 0, 0, 2}; !slices.Equal(perMinute, want) {
		t.Errorf("calls per minute %v, want %v", perMinute, want)
	}

	// 90 s is sent as 1m30s and covers two minutes before this one.
	if s, err := c.Stats().Get(ctx, client.StatsQuery{Range: 90 * time.Second}); err != nil || !s.From.Equal(now.Add(-150*time.Second)) {
		t.Errorf("90s: %v, %v", s, err)
	}

	for name, tc := range map[string]struct {
		q    client.StatsQuery
		code string
	}{
		"unknown operation":  {client.StatsQuery{Operation: "fetch"}, client.CodeInvalidQuery},
		"over the retention": {client.StatsQuery{Range: 25 * time.Hour}, client.CodeInvalidQuery},
		"negative range":     {client.StatsQuery{Range: -time.Minute}, client.CodeInvalidQuery},
		"unknown platform":   {client.StatsQuery{Platform: "nope"}, client.CodeUnknownPlatform},
	} {
		_, err := c.Stats().Get(ctx, tc.q)
		t.Run(name, func(t *testing.T) {
			var e *client.APIError
			if !errors.As(err, &e) || e.StatusCode != http.StatusBadRequest || e.Code != tc.code {
				t.Errorf("got %v, want %d %s", err, http.StatusBadRequest, tc.code)
			}
		})
	}
}
