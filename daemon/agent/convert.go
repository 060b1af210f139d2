package agent

import (
	"time"

	"github.com/marketsync/marketsync/actors/job"
	"github.com/marketsync/marketsync/actors/platform"
	"github.com/marketsync/marketsync/daemon/client"
	"github.com/marketsync/marketsync/sdk/host"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// These convert the actors' records to the API's types, so the API server
// sees only the types of package client.

// The API's names of the actors' states, and the other way round for the
// store's filters.
var (
	apiJobState = map[job.State]client.JobState{
		job.State_STATE_QUEUED:    client.JobQueued,
		job.State_STATE_RUNNING:   client.JobRunning,
		job.State_STATE_SUCCEEDED: client.JobSucceeded,
		job.State_STATE_PARTIAL:   client.JobPartial,
		job.State_STATE_FAILED:    client.JobFailed,
		job.State_STATE_CANCELLED: client.JobCancelled,
	}
	recordJobState = invert(apiJobState)

	apiJobKind = map[job.Kind]client.JobKind{
		job.Kind_KIND_COLLECT: client.JobKindCollect,
		job.Kind_KIND_SYNC:    client.JobKindSync,
	}

	// Records from before steps existed were collecting.
	apiJobStep = map[job.Step]client.JobStep{
		job.Step_STEP_UNSPECIFIED: client.JobStepCollecting,
		job.Step_STEP_RESOLVING:   client.JobStepResolving,
		job.Step_STEP_COLLECTING:  client.JobStepCollecting,
		job.Step_STEP_LISTING:     client.JobStepListing,
	}

	apiItemState = map[job.ItemState]client.ItemState{
		job.ItemState_ITEM_PENDING:   client.ItemPending,
		job.ItemState_ITEM_SUCCEEDED: client.ItemSucceeded,
		job.ItemState_ITEM_FAILED:    client.ItemFailed,
	}
	recordItemState = invert(apiItemState)

	apiPlatformState = map[platform.State]client.PlatformState{
		platform.State_STATE_STARTING:     client.PlatformStarting,
		platform.State_STATE_READY:        client.PlatformReady,
		platform.State_STATE_RESTARTING:   client.PlatformRestarting,
		platform.State_STATE_FAILED:       client.PlatformFailed,
		platform.State_STATE_STOPPING:     client.PlatformStopping,
		platform.State_STATE_UNAUTHORIZED: client.PlatformUnauthorized,
	}
)

// invert turns a one-to-one table around.
func invert[K, V comparable](m map[K]V) map[V]K {
	out := make(map[V]K, len(m))
	for k, v := range m {
		out[v] = k
	}
	return out
}

// jobFromRecord converts a job record; nil stays nil.
func jobFromRecord(j *job.Job) *client.Job {
	if j == nil {
		return nil
	}
	out := &client.Job{
		ID:         j.GetId(),
		Kind:       apiJobKind[j.GetKind()],
		Platform:   j.GetPlatform(),
		State:      apiJobState[j.GetState()],
		CreatedAt:  timeOf(j.GetCreatedAt()),
		UpdatedAt:  timeOf(j.GetUpdatedAt()),
		StartedAt:  timeOf(j.GetStartedAt()),
		FinishedAt: timeOf(j.GetFinishedAt()),
		Total:      int(j.GetTotal()),
		Succeeded:  int(j.GetSucceeded()),
		Failed:     int(j.GetFailed()),
		Calls:      int(j.GetCalls()),
		Error:      j.GetError(),
		Index:      jobIndex(j),
		Step:       apiJobStep[j.GetStep()],
		ToResolve:  int(j.GetToResolve()),
		Resolved:   int(j.GetResolved()),

		Scope:       j.GetScope(),
		ListedPages: int(j.GetListedPages()),
		Pipeline:    j.GetPipeline(),
		Reads:       int(j.GetReads()),
	}
	w := j.GetWrites()
	out.Writes = client.JobWrites{UpsertProducts: int(w["upsert_products"]), SetPrices: int(w["set_prices"]), SetInventory: int(w["set_inventory"])}
	if pu := timeOf(j.GetPausedUntil()); pu.After(timeOf(j.GetUpdatedAt())) && !out.State.Final() {
		out.PausedUntil, out.PausedReason = pu, j.GetPausedReason()
	}
	out.Pending = max(out.Total-out.Succeeded-out.Failed, 0)
	return out
}

// jobIndex is the blocking-query index of a job: it changes whenever the
// job record does (every checkpoint moves UpdatedAt and the counters).
// Only equality matters.
func jobIndex(j *job.Job) uint64 {
	return uint64(j.GetUpdatedAt().AsTime().UnixNano()) + uint64(j.GetSucceeded()+j.GetFailed()+j.GetResolved())<<1 + uint64(j.GetState())
}

// itemFromRecord converts one item record of a job.
func itemFromRecord(it *job.Item) client.JobItem {
	return client.JobItem{
		Index:     int(it.GetIndex()),
		ID:        it.GetId(),
		URL:       it.GetUrl(),
		State:     apiItemState[it.GetState()],
		Error:     host.ErrorFromModel(it.GetError()),
		Attempts:  int(it.GetAttempts()),
		UpdatedAt: timeOf(it.GetUpdatedAt()),
	}
}

// platformFromStatus converts a platform actor's status.
func platformFromStatus(st *platform.Status) client.Platform {
	out := client.Platform{
		Name:         st.GetName(),
		Plugin:       st.GetPlugin(),
		Version:      st.GetVersion(),
		State:        apiPlatformState[st.GetState()],
		Capabilities: st.GetCapabilities(),
		Rate:         st.GetRate(),
		Burst:        int(st.GetBurst()),
		LimitSource:  st.GetLimitSource(),
		Tokens:       st.GetTokens(),
		Concurrency:  int(st.GetConcurrency()),
		InFlight:     int(st.GetInFlight()),
		Queued:       int(st.GetQueued()),
		Restarts:     int(st.GetRestarts()),
		LastError:    st.GetLastError(),
		LastErrorAt:  timeOf(st.GetLastErrorAt()),
		Reason:       st.GetReason(),
		RetryAt:      timeOf(st.GetRetryAt()),

		Adaptive:       st.GetAdaptive(),
		ConfiguredRate: st.GetConfiguredRate(),
		Breaker:        st.GetBreaker(),
		BreakerUntil:   timeOf(st.GetBreakerUntil()),
		RetryBudget:    st.GetRetryBudget(),
	}
	if mb := st.GetMaxBatch(); len(mb) > 0 {
		out.MaxBatch = make(map[string]int, len(mb))
		for op, n := range mb {
			out.MaxBatch[op] = int(n)
		}
	}
	return out
}

// timeOf is the zero time for an unset timestamp.
func timeOf(ts *timestamppb.Timestamp) time.Time {
	if ts == nil {
		return time.Time{}
	}
	return ts.AsTime()
}
