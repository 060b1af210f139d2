package store_test

import (
	"testing"
	"time"

	"github.com/marketsync/marketsync/daemon/store"
	"github.com/marketsync/marketsync/daemon/store/storetest"
)

var expiringNS = store.Register("expiring/")

func TestDeleteExpired(t *testing.T) {
	for mode, opts := range storetest.Modes(t) {
		t.Run(mode, func(t *testing.T) {
			db := storetest.Open(t, opts)
			now := time.Now()
			err := db.Update(func(txn *store.Txn) error {
				for key, at := range map[string]time.Time{"a/soon": now.Add(time.Hour), "a/later": now.Add(2 * time.Hour), "b/soon": now.Add(time.Hour)} {
					if err := txn.SetExpiring(expiringNS, []byte(key), []byte("v"), at); err != nil {
						return err
					}
				}
				return txn.Set(expiringNS, []byte("a/forever"), []byte("v"))
			})
			if err != nil {
				t.Fatal(err)
			}
			// Rewritten without expiry: its newest version is what counts.
			if err := db.Update(func(txn *store.Txn) error { return txn.Set(expiringNS, []byte("b/soon"), []byte("w")) }); err != nil {
				t.Fatal(err)
			}
			n, err := db.DeleteExpired(expiringNS, nil, now.Add(90*time.Minute))
			if err != nil || n != 1 {
				t.Fatalf("DeleteExpired: %d, %v; want a/soon only", n, err)
			}
			var keys []string
			db.View(func(txn *store.Txn) error {
				return txn.Scan(expiringNS, store.Range{KeysOnly: true}, func(k, _ []byte) error {
					keys = append(keys, string(k))
					return nil
				})
			})
			if len(keys) != 3 || keys[0] != "a/forever" || keys[1] != "a/later" || keys[2] != "b/soon" {
				t.Fatalf("keys left %q", keys)
			}
			if n, err := db.DeleteExpired(expiringNS, []byte("a/"), now.Add(3*time.Hour)); err != nil || n != 1 {
				t.Fatalf("second sweep under a/: %d, %v; want a/later (a/soon is a tombstone now)", n, err)
			}
		})
	}
}

// TestCountsLeaveExpiringEntriesOut: the start check compares Counts with
// those of the last clean stop, and an expiring entry may vanish while the
// agent is stopped; counted, a cache entry expiring overnight would make
// the next start refuse the data_dir as damaged.
func TestCountsLeaveExpiringEntriesOut(t *testing.T) {
	db := storetest.Open(t, storetest.Modes(t)["disk"])
	err := db.Update(func(txn *store.Txn) error {
		if err := txn.SetExpiring(expiringNS, []byte("cached"), []byte("v"), time.Now().Add(time.Hour)); err != nil {
			return err
		}
		return txn.Set(expiringNS, []byte("kept"), []byte("v"))
	})
	if err != nil {
		t.Fatal(err)
	}
	counts, err := db.Counts()
	if err != nil {
		t.Fatal(err)
	}
	if got := counts["expiring/"]; got != 1 {
		t.Errorf("Counts()[expiring/] = %d, want 1: the expiring entry is not a record the start check can hold the store to", got)
	}
}
