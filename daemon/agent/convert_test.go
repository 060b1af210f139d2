package agent

import (
	"context"
	"errors"
	"math"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/marketsync/marketsync/actors/job"
	"github.com/marketsync/marketsync/actors/platform"
	"github.com/marketsync/marketsync/daemon/api"
	"github.com/marketsync/marketsync/daemon/client"
	"github.com/marketsync/marketsync/daemon/stats"
	"github.com/marketsync/marketsync/daemon/store"
	"github.com/marketsync/marketsync/daemon/store/storetest"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/model"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func TestJobFromRecord(t *testing.T) {
	start := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	got := jobFromRecord(&job.Job{
		Id: "01J", Kind: job.Kind_KIND_COLLECT, Platform: "sandbox", State: job.State_STATE_PARTIAL,
		CreatedAt: timestamppb.New(start), StartedAt: timestamppb.New(start.Add(time.Second)),
		Total: 10, Succeeded: 6, Failed: 1, Calls: 3, Error: "",
	})
	want := client.Job{ID: "01J", Kind: client.JobKindCollect, Platform: "sandbox", State: client.JobPartial,
		CreatedAt: start, StartedAt: start.Add(time.Second), Total: 10, Succeeded: 6, Failed: 1, Pending: 3, Calls: 3,
		Step: client.JobStepCollecting,
		// No UpdatedAt: 0 ns, plus 7 finished items shifted by one, plus
		// the state PARTIAL (3).
		Index: 17}
	if *got != want {
		t.Errorf("got  %+v\nwant %+v", *got, want)
	}
	if jobFromRecord(nil) != nil {
		t.Error("nil record did not stay nil")
	}
	r := jobFromRecord(&job.Job{State: job.State_STATE_RUNNING, Step: job.Step_STEP_RESOLVING, ToResolve: 40, Resolved: 12, Total: 50})
	if r.Step != client.JobStepResolving || r.ToResolve != 40 || r.Resolved != 12 || !r.Resolving() {
		t.Errorf("resolving job %+v", r)
	}
}

// The job actors' own error codes reach the API as they are.
func TestJobCodesAreTheAPIs(t *testing.T) {
	if job.CodeBadURL != client.CodeBadURL || job.CodeUnsupportedOperation != client.CodeUnsupportedOperation {
		t.Error("the job actors' codes differ from the API's")
	}
}

func TestJobIndexMovesWithEveryCheckpoint(t *testing.T) {
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	base := &job.Job{State: job.State_STATE_RUNNING, UpdatedAt: timestamppb.New(at), Succeeded: 5}
	later := &job.Job{State: job.State_STATE_RUNNING, UpdatedAt: timestamppb.New(at.Add(time.Millisecond)), Succeeded: 5}
	more := &job.Job{State: job.State_STATE_RUNNING, UpdatedAt: timestamppb.New(at), Succeeded: 6}
	done := &job.Job{State: job.State_STATE_SUCCEEDED, UpdatedAt: timestamppb.New(at), Succeeded: 5}
	for name, j := range map[string]*job.Job{"later": later, "one more item": more, "final": done} {
		if jobIndex(j) == jobIndex(base) {
			t.Errorf("%s: index did not change", name)
		}
	}
}

func TestItemFromRecord(t *testing.T) {
	got := itemFromRecord(&job.Item{Index: 4, Id: "100005", State: job.ItemState_ITEM_FAILED, Attempts: 2,
		Error: model.RateLimited(3*time.Second, "7", "App Call Limited")})
	if got.Index != 4 || got.ID != "100005" || got.State != client.ItemFailed || got.Attempts != 2 || !got.UpdatedAt.IsZero() {
		t.Errorf("item = %+v", got)
	}
	if e := got.Error; e == nil || e.Kind != sdk.KindRateLimited || e.Code != "7" || e.RetryAfter != 3*time.Second {
		t.Errorf("error = %+v", e)
	}
}

func TestPlatformFromStatus(t *testing.T) {
	got := platformFromStatus(&platform.Status{Name: "tb", Plugin: "taobao", Version: "1.2.0", State: platform.State_STATE_READY,
		Capabilities: []string{"collect"}, Rate: 2.5, Burst: 5, LimitSource: "plugin", Tokens: 4, Concurrency: 8, InFlight: 2,
		Queued: 7, Restarts: 1, LastError: "timeout", MaxBatch: map[string]int32{"fetch_products": 40}})
	if got.Name != "tb" || got.State != client.PlatformReady || got.Rate != 2.5 || got.Burst != 5 || got.LimitSource != "plugin" ||
		got.InFlight != 2 || got.Queued != 7 || got.Restarts != 1 || got.MaxBatch["fetch_products"] != 40 {
		t.Errorf("platform = %+v", got)
	}
}

// Every state the actors can record has an API name, so a new one added to
// the protos fails here instead of showing as "".
func TestEveryRecordStateHasAName(t *testing.T) {
	for v := range job.State_name {
		if s := jobFromRecord(&job.Job{State: job.State(v)}).State; s == "" {
			t.Errorf("job state %v has no API name", job.State(v))
		}
	}
	for v := range job.Kind_name {
		if k := jobFromRecord(&job.Job{Kind: job.Kind(v)}).Kind; k == "" && job.Kind(v) != job.Kind_KIND_UNSPECIFIED {
			t.Errorf("job kind %v has no API name", job.Kind(v))
		}
	}
	for v := range job.Step_name {
		if s := jobFromRecord(&job.Job{Step: job.Step(v)}).Step; s == "" {
			t.Errorf("job step %v has no API name", job.Step(v))
		}
	}
	for v := range job.ItemState_name {
		if s := itemFromRecord(&job.Item{State: job.ItemState(v)}).State; s == "" {
			t.Errorf("item state %v has no API name", job.ItemState(v))
		}
	}
	for v := range platform.State_name {
		if s := platformFromStatus(&platform.Status{State: platform.State(v)}).State; s == "" {
			t.Errorf("platform state %v has no API name", platform.State(v))
		}
	}
}

// The tables the store's filters use name every state of the API once.
func TestRecordStatesOfEveryAPIName(t *testing.T) {
	for _, s := range client.JobStates {
		if r, ok := recordJobState[s]; !ok || apiJobState[r] != s {
			t.Errorf("job state %q has no record state", s)
		}
	}
	for _, s := range client.ItemStates {
		if r, ok := recordItemState[s]; !ok || apiItemState[r] != s {
			t.Errorf("item state %q has no record state", s)
		}
	}
	if len(recordJobState) != len(apiJobState) || len(recordItemState) != len(apiItemState) {
		t.Errorf("two record states share an API name")
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
	src := statsFrom(rec, func(name string) bool { return name == "tb" || name == "idle" })
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
