package conflict_test

import (
	"errors"
	"testing"
	"time"

	"github.com/marketsync/marketsync/daemon/conflict"
	"github.com/marketsync/marketsync/daemon/store"
	"github.com/marketsync/marketsync/daemon/store/storetest"
)

func TestQueueRoundTrip(t *testing.T) {
	db := storetest.Open(t, store.Options{InMemory: true})
	c := &conflict.Conflict{Pipeline: "tb-shop", SourcePlatform: "taobao", SourceID: "1", Target: "shop", RemoteID: "r-1",
		Field: "price[A]", Kind: "price", Base: "1.00 USD", Source: "2.00 USD", Remote: "3.00 USD"}
	var first *conflict.Conflict
	if err := db.Update(func(txn *store.Txn) error {
		var isNew bool
		var err error
		if first, isNew, err = conflict.Add(txn, c); err != nil || !isNew {
			t.Fatalf("add: new %v, %v", isNew, err)
		}
		// The same field again: the open conflict is brought up to date.
		again := *c
		again.Remote = "4.00 USD"
		got, isNew, err := conflict.Add(txn, &again)
		if err != nil || isNew || got.ID != first.ID || got.Remote != "4.00 USD" {
			t.Fatalf("second add: %+v new %v %v", got, isNew, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	_ = db.Update(func(txn *store.Txn) error {
		open, err := conflict.List(txn, conflict.StateOpen)
		if err != nil || len(open) != 1 {
			t.Fatalf("open: %v %v", open, err)
		}
		if _, err := conflict.Resolve(txn, first.ID, "mine", "", time.Now()); err == nil {
			t.Fatal("take mine accepted")
		}
		if _, err := conflict.Resolve(txn, first.ID, conflict.TakeRemote, "5", time.Now()); err == nil {
			t.Fatal("a value with take remote accepted")
		}
		r, err := conflict.Resolve(txn, first.ID, conflict.TakeValue, "3.50 USD", time.Now())
		if err != nil || r.State != conflict.StateResolved || r.Chosen() != "3.50 USD" {
			t.Fatalf("resolve: %+v %v", r, err)
		}
		if _, err := conflict.Resolve(txn, first.ID, conflict.TakeSource, "", time.Now()); !errors.Is(err, conflict.ErrResolved) {
			t.Fatalf("second resolve: %v", err)
		}
		pending, _ := conflict.ForProduct(txn, "tb-shop", "taobao", "1")
		if len(pending) != 1 || pending[0].Applied {
			t.Fatalf("for product: %+v", pending)
		}
		if err := conflict.MarkApplied(txn, pending[0]); err != nil {
			t.Fatal(err)
		}
		pending, _ = conflict.ForProduct(txn, "tb-shop", "taobao", "1")
		if len(pending) != 0 {
			t.Fatalf("applied still pending: %+v", pending)
		}
		if _, err := conflict.Get(txn, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("get unknown: %v", err)
		}
		return nil
	})
}

func TestHistory(t *testing.T) {
	db := storetest.Open(t, store.Options{InMemory: true})
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	_ = db.Update(func(txn *store.Txn) error {
		for i, rule := range []string{"new", "source_changed", "remote_wins"} {
			d := &conflict.Decision{Pipeline: "p", Target: "shop", Field: "title[en]", Source: "s", Remote: "r", Rule: rule, At: t0.Add(time.Duration(i) * time.Minute)}
			if err := conflict.Record(txn, "taobao", "1", d); err != nil {
				t.Fatal(err)
			}
		}
		return conflict.Record(txn, "taobao", "10", &conflict.Decision{Rule: "other product"})
	})
	_ = db.View(func(txn *store.Txn) error {
		h, err := conflict.History(txn, "taobao", "1")
		if err != nil || len(h) != 3 || h[0].Rule != "new" || h[2].Rule != "remote_wins" {
			t.Fatalf("history %+v %v", h, err)
		}
		return nil
	})
}
