package api_test

import (
	"testing"
	"time"

	actorjob "github.com/marketsync/marketsync/actors/job"
	actorplatform "github.com/marketsync/marketsync/actors/platform"
	"github.com/marketsync/marketsync/daemon/api"
	"github.com/marketsync/marketsync/daemon/client"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/model"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func TestJobFromRecord(t *testing.T) {
	start := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	got := api.JobFromRecord(&actorjob.Job{
		Id: "01J", Kind: actorjob.Kind_KIND_COLLECT, Platform: "sandbox", State: actorjob.State_STATE_PARTIAL,
		CreatedAt: timestamppb.New(start), StartedAt: timestamppb.New(start.Add(time.Second)),
		Total: 10, Succeeded: 6, Failed: 1, Calls: 3, Error: "",
	})
	want := client.Job{ID: "01J", Kind: client.JobKindCollect, Platform: "sandbox", State: client.JobPartial,
		CreatedAt: start, StartedAt: start.Add(time.Second), Total: 10, Succeeded: 6, Failed: 1, Pending: 3, Calls: 3,
		// No UpdatedAt: 0 ns, plus 7 finished items shifted by one, plus
		// the state PARTIAL (3).
		Index: 17}
	if *got != want {
		t.Errorf("got  %+v\nwant %+v", *got, want)
	}
	if api.JobFromRecord(nil) != nil {
		t.Error("nil record did not stay nil")
	}
}

func TestJobIndexMovesWithEveryCheckpoint(t *testing.T) {
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	base := &actorjob.Job{State: actorjob.State_STATE_RUNNING, UpdatedAt: timestamppb.New(at), Succeeded: 5}
	later := &actorjob.Job{State: actorjob.State_STATE_RUNNING, UpdatedAt: timestamppb.New(at.Add(time.Millisecond)), Succeeded: 5}
	more := &actorjob.Job{State: actorjob.State_STATE_RUNNING, UpdatedAt: timestamppb.New(at), Succeeded: 6}
	done := &actorjob.Job{State: actorjob.State_STATE_SUCCEEDED, UpdatedAt: timestamppb.New(at), Succeeded: 5}
	for name, j := range map[string]*actorjob.Job{"later": later, "one more item": more, "final": done} {
		if api.JobIndex(j) == api.JobIndex(base) {
			t.Errorf("%s: index did not change", name)
		}
	}
}

func TestItemFromRecord(t *testing.T) {
	got := api.ItemFromRecord(&actorjob.Item{Index: 4, Id: "100005", State: actorjob.ItemState_ITEM_FAILED, Attempts: 2,
		Error: model.RateLimited(3*time.Second, "7", "App Call Limited")})
	if got.Index != 4 || got.ID != "100005" || got.State != client.ItemFailed || got.Attempts != 2 || !got.UpdatedAt.IsZero() {
		t.Errorf("item = %+v", got)
	}
	if e := got.Error; e == nil || e.Kind != sdk.KindRateLimited || e.Code != "7" || e.RetryAfter != 3*time.Second {
		t.Errorf("error = %+v", e)
	}
}

func TestPlatformFromStatus(t *testing.T) {
	got := api.PlatformFromStatus(&actorplatform.Status{Name: "tb", Plugin: "taobao", Version: "1.2.0", State: actorplatform.State_STATE_READY,
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
	for v := range actorjob.State_name {
		if s := api.JobFromRecord(&actorjob.Job{State: actorjob.State(v)}).State; s == "" {
			t.Errorf("job state %v has no API name", actorjob.State(v))
		}
	}
	for v := range actorjob.Kind_name {
		if k := api.JobFromRecord(&actorjob.Job{Kind: actorjob.Kind(v)}).Kind; k == "" && actorjob.Kind(v) != actorjob.Kind_KIND_UNSPECIFIED {
			t.Errorf("job kind %v has no API name", actorjob.Kind(v))
		}
	}
	for v := range actorjob.ItemState_name {
		if s := api.ItemFromRecord(&actorjob.Item{State: actorjob.ItemState(v)}).State; s == "" {
			t.Errorf("item state %v has no API name", actorjob.ItemState(v))
		}
	}
	for v := range actorplatform.State_name {
		if s := api.PlatformFromStatus(&actorplatform.Status{State: actorplatform.State(v)}).State; s == "" {
			t.Errorf("platform state %v has no API name", actorplatform.State(v))
		}
	}
}
