package jobs_test

import (
	"errors"
	"testing"

	"github.com/marketsync/marketsync/actors/job"
	"github.com/marketsync/marketsync/daemon/catalog"
	"github.com/marketsync/marketsync/daemon/store"
	"github.com/marketsync/marketsync/daemon/store/storetest"
	"github.com/marketsync/marketsync/sdk/model"
)

// TestHook: the hook sees each Save and Commit inside its transaction,
// the record before and after with its counters, and the products of a
// commit; its error rolls the whole write back.
func TestHook(t *testing.T) {
	db := storetest.Open(t, store.Options{InMemory: true})
	s := newStore(t, db)
	j := create(t, s, 0, 2)
	type call struct {
		prev, next job.State
		succeeded  int32
		products   int
	}
	var calls []call
	fail := false
	s.SetHook(func(txn *store.Txn, prev, next *job.Job, products []*model.Product) error {
		calls = append(calls, call{prev.GetState(), next.GetState(), next.GetSucceeded(), len(products)})
		if fail {
			return errors.New("no room for the event")
		}
		return nil
	})
	j.State = job.State_STATE_RUNNING
	if err := s.Save(j); err != nil {
		t.Fatal(err)
	}
	fail = true
	if err := s.Commit(j, []*job.Item{item(0, job.ItemState_ITEM_SUCCEEDED)}, []*model.Product{product("p0")}); err == nil {
		t.Fatal("a failing hook did not fail the commit")
	}
	err := db.View(func(txn *store.Txn) error {
		_, err := catalog.Get(txn, "sandbox", "p0")
		return err
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the product of a rolled back commit: %v", err)
	}
	fail = false
	if err := s.Commit(j, []*job.Item{item(0, job.ItemState_ITEM_SUCCEEDED)}, []*model.Product{product("p0")}); err != nil {
		t.Fatal(err)
	}
	j.State = job.State_STATE_SUCCEEDED
	if err := s.Save(j); err != nil {
		t.Fatal(err)
	}
	want := []call{
		{job.State_STATE_QUEUED, job.State_STATE_RUNNING, 0, 0},
		{job.State_STATE_RUNNING, job.State_STATE_RUNNING, 1, 1}, // rolled back
		{job.State_STATE_RUNNING, job.State_STATE_RUNNING, 1, 1},
		{job.State_STATE_RUNNING, job.State_STATE_SUCCEEDED, 1, 0},
	}
	if len(calls) != len(want) {
		t.Fatalf("calls %+v, want %+v", calls, want)
	}
	for i := range want {
		if calls[i] != want[i] {
			t.Errorf("call %d: %+v, want %+v", i, calls[i], want[i])
		}
	}
}
