package api

import (
	"time"

	actorjob "github.com/marketsync/marketsync/actors/job"
	actorplatform "github.com/marketsync/marketsync/actors/platform"
	"github.com/marketsync/marketsync/daemon/client"
	"github.com/marketsync/marketsync/sdk/host"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// These convert the actors' records to the API's types, so a Backend built
// on the actors and the job store answers with them directly.

var jobStates = map[actorjob.State]client.JobState{
	actorjob.State_STATE_QUEUED:    client.JobQueued,
	actorjob.State_STATE_RUNNING:   client.JobRunning,
	actorjob.State_STATE_SUCCEEDED: client.JobSucceeded,
	actorjob.State_STATE_PARTIAL:   client.JobPartial,
	actorjob.State_STATE_FAILED:    client.JobFailed,
	actorjob.State_STATE_CANCELLED: client.JobCancelled,
}

var jobKinds = map[actorjob.Kind]client.JobKind{
	actorjob.Kind_KIND_COLLECT: client.JobKindCollect,
}

var itemStates = map[actorjob.ItemState]client.ItemState{
	actorjob.ItemState_ITEM_PENDING:   client.ItemPending,
	actorjob.ItemState_ITEM_SUCCEEDED: client.ItemSucceeded,
	actorjob.ItemState_ITEM_FAILED:    client.ItemFailed,
}

var platformStates = map[actorplatform.State]client.PlatformState{
	actorplatform.State_STATE_STARTING:   client.PlatformStarting,
	actorplatform.State_STATE_READY:      client.PlatformReady,
	actorplatform.State_STATE_RESTARTING: client.PlatformRestarting,
	actorplatform.State_STATE_FAILED:     client.PlatformFailed,
	actorplatform.State_STATE_STOPPING:   client.PlatformStopping,
}

// JobFromRecord converts a job record; nil stays nil.
func JobFromRecord(j *actorjob.Job) *client.Job {
	if j == nil {
		return nil
	}
	out := &client.Job{
		ID:         j.GetId(),
		Kind:       jobKinds[j.GetKind()],
		Platform:   j.GetPlatform(),
		State:      jobStates[j.GetState()],
		CreatedAt:  timeOf(j.GetCreatedAt()),
		UpdatedAt:  timeOf(j.GetUpdatedAt()),
		StartedAt:  timeOf(j.GetStartedAt()),
		FinishedAt: timeOf(j.GetFinishedAt()),
		Total:      int(j.GetTotal()),
		Succeeded:  int(j.GetSucceeded()),
		Failed:     int(j.GetFailed()),
		Calls:      int(j.GetCalls()),
		Error:      j.GetError(),
		Index:      JobIndex(j),
	}
	if pu := timeOf(j.GetPausedUntil()); pu.After(timeOf(j.GetUpdatedAt())) && !out.State.Final() {
		out.PausedUntil, out.PausedReason = pu, j.GetPausedReason()
	}
	fillPending(out)
	return out
}

// JobIndex is the blocking-query index of a job: it changes whenever the
// job record does (every checkpoint moves UpdatedAt and the counters).
// Only equality matters.
func JobIndex(j *actorjob.Job) uint64 {
	return uint64(j.GetUpdatedAt().AsTime().UnixNano()) + uint64(j.GetSucceeded()+j.GetFailed())<<1 + uint64(j.GetState())
}

// ItemFromRecord converts one item record of a job.
func ItemFromRecord(it *actorjob.Item) client.JobItem {
	return client.JobItem{
		Index:     int(it.GetIndex()),
		ID:        it.GetId(),
		State:     itemStates[it.GetState()],
		Error:     host.ErrorFromModel(it.GetError()),
		Attempts:  int(it.GetAttempts()),
		UpdatedAt: timeOf(it.GetUpdatedAt()),
	}
}

// PlatformFromStatus converts a platform actor's status.
func PlatformFromStatus(st *actorplatform.Status) client.Platform {
	out := client.Platform{
		Name:         st.GetName(),
		Plugin:       st.GetPlugin(),
		Version:      st.GetVersion(),
		State:        platformStates[st.GetState()],
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
