package jobs

import (
	"errors"
	"testing"
	"time"

	"github.com/marketsync/marketsync/actors/job"
	"github.com/marketsync/marketsync/daemon/store"
	"github.com/marketsync/marketsync/daemon/store/storetest"
	"google.golang.org/protobuf/proto"
)

// TestNewDiscardsInterruptedCreate: a Create cut short by a crash, after
// its marker and some items but before its record, is never visible and
// is cleaned up by New after a restart.
func TestNewDiscardsInterruptedCreate(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(store.Options{Dir: dir, GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(db)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	whole := &job.Job{Id: job.NewID(now), Platform: "sandbox"}
	if err := s.Create(whole, []string{"a", "b"}); err != nil {
		t.Fatal(err)
	}
	cut := job.NewID(now.Add(time.Minute))
	if err := db.Update(func(txn *store.Txn) error {
		if err := txn.Set(ns, creatingKey(cut), nil); err != nil {
			return err
		}
		for i := range int32(3) {
			value, err := proto.Marshal(&job.Item{Index: i, Id: "x"})
			if err != nil {
				return err
			}
			if err := txn.Set(ns, itemKey(cut, i), value); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	unfinished, err := s.Unfinished()
	if err != nil || len(unfinished) != 1 || unfinished[0].Id != whole.Id {
		t.Fatalf("Unfinished before the restart = %v, %v; want only the whole job", unfinished, err)
	}
	if _, err := s.Pending(cut); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Pending of the cut job = %v, want ErrNotFound", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = storetest.Open(t, store.Options{Dir: dir, GCInterval: -1})
	if s, err = New(db); err != nil {
		t.Fatal(err)
	}
	left := 0
	if err := db.View(func(txn *store.Txn) error {
		for _, r := range []store.Range{{Prefix: itemsPrefix(cut)}, {Prefix: creatingKey(cut)}} {
			if err := txn.Scan(ns, r, func(_, _ []byte) error { left++; return nil }); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("%d keys of the cut job left after New", left)
	}
	if items, err := s.Pending(whole.Id); err != nil || len(items) != 2 {
		t.Errorf("pending items of the whole job = %d, %v; want 2", len(items), err)
	}
	// The id is free again: the daemon never reuses it, but nothing is in
	// its way.
	if err := s.Create(&job.Job{Id: cut, Platform: "sandbox"}, []string{"y"}); err != nil {
		t.Errorf("Create with the discarded id: %v", err)
	}
}
