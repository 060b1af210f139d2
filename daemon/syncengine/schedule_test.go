package syncengine_test

import (
	"testing"

	"github.com/marketsync/marketsync/actors/job"
)

// A pipeline with a schedule runs on it without being asked: the first
// tick syncs the catalogue, the next finds nothing changed. Status shows
// the schedule and the next run.
func TestScheduleRunsThePipeline(t *testing.T) {
	h := newHarness(t, 20, func(h *harness) { h.cfg.Schedule = "@every 1s" })
	st := h.eng.Status()
	if len(st) != 1 || st[0].Schedule != "@every 1s" || st[0].Next.IsZero() {
		t.Fatalf("status %+v", st)
	}
	if s := <-h.finals; s != job.State_STATE_SUCCEEDED || h.store.count() != 20 {
		t.Fatalf("first scheduled run: %v, store %d", s, h.store.count())
	}
	h.store.takeCalls()
	if s := <-h.finals; s != job.State_STATE_SUCCEEDED {
		t.Fatalf("second scheduled run: %v", s)
	}
	if calls := h.store.takeCalls(); len(calls) != 0 {
		t.Fatalf("second scheduled run wrote %v", calls)
	}
	if st := h.eng.Status(); st[0].LastJob == "" {
		t.Fatalf("no last job in %+v", st)
	}
}
