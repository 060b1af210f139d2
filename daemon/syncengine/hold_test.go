package syncengine_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/marketsync/marketsync/actors/job"
	"github.com/marketsync/marketsync/daemon/syncengine"
)

// A job taken over from another node is held: its pipeline starts no
// other run (Run answers with the held job) and nothing is written until
// it is launched; launched, it runs from its pending items under its own
// id. Released instead, the pipeline is free again. A pipeline another
// run has cannot be held, nor one whose target this node does not own.
func TestHeldJobRunsOnlyOnceLaunched(t *testing.T) {
	const n = 120
	l := &lease{token: 7, held: true}
	h := newHarness(t, n, func(h *harness) { h.fence = l.fence })
	taken := func(id string) *job.Job {
		t.Helper()
		j := &job.Job{Id: id, Kind: job.Kind_KIND_SYNC, Platform: "shop", Pipeline: "tb-shop", State: job.State_STATE_RUNNING,
			Writes: map[string]int32{}}
		ids := make([]string, n)
		for i := range ids {
			ids[i] = fmt.Sprint(600000 + i)
		}
		if err := h.jobs.Create(j, ids); err != nil {
			t.Fatal(err)
		}
		return j
	}
	first := taken(job.NewID(time.Now()))
	held, err := h.eng.Hold(first)
	if err != nil {
		t.Fatal(err)
	}
	if !h.eng.Running(first.GetId()) {
		t.Fatal("a held job is not reported as running here")
	}
	if _, err := h.eng.Hold(taken(job.NewID(time.Now()))); !errors.Is(err, syncengine.ErrBusy) {
		t.Fatalf("a second hold of the pipeline: %v, want busy", err)
	}
	if j, err := h.eng.Run("tb-shop", nil); err != nil || j.GetId() != first.GetId() {
		t.Fatalf("a run asked while held: %v %v, want the held job", j.GetId(), err)
	}
	held.Release()
	if h.eng.Running(first.GetId()) {
		t.Fatal("a released job is still reported as running")
	}
	if got := h.store.count(); got != 0 {
		t.Fatalf("the store holds %d products before any launch", got)
	}

	held, err = h.eng.Hold(first)
	if err != nil {
		t.Fatal(err)
	}
	held.Launch(first)
	done := h.wait(first.GetId())
	if done.GetState() != job.State_STATE_SUCCEEDED || done.GetSucceeded() != n {
		t.Fatalf("the launched job: %v", done)
	}
	if got := h.store.count(); got != n {
		t.Fatalf("the store holds %d products, want %d", got, n)
	}
	if h.eng.Running(first.GetId()) {
		t.Fatal("a finished job is still reported as running")
	}

	l.set(7, false)
	var ne *syncengine.NotOwnerError
	if _, err := h.eng.Hold(taken(job.NewID(time.Now()))); !errors.As(err, &ne) {
		t.Fatalf("a hold without the target's lease: %v, want not the owner", err)
	}
	if _, err := h.eng.Hold(&job.Job{Pipeline: "nope"}); !errors.Is(err, syncengine.ErrUnknownPipeline) {
		t.Fatalf("a hold of an unknown pipeline: %v", err)
	}
}
