package snapshot_test

import (
	"errors"
	"testing"
	"time"

	"github.com/marketsync/marketsync/actors/sync/render"
	"github.com/marketsync/marketsync/daemon/snapshot"
	"github.com/marketsync/marketsync/daemon/store"
	"github.com/marketsync/marketsync/daemon/store/storetest"
	"github.com/marketsync/marketsync/sdk/model"
	"google.golang.org/protobuf/proto"
)

func listing() *render.Listing {
	return &render.Listing{
		Product: &model.Product{
			Id:          "6543210",
			Title:       map[string]string{"en": "Cotton T-shirt"},
			Description: map[string]string{"en": "Cotton", "zh-CN": "纯棉", "ja": "綿"},
			Variants:    []*model.Variant{{Sku: "A", Price: &model.Money{Amount: 699, Currency: "USD"}, Stock: 3}},
		},
		Status:    render.Status_STATUS_ACTIVE,
		CompareAt: map[string]*model.Money{"A": {Amount: 999, Currency: "USD"}, "B": {Amount: 1, Currency: "USD"}},
	}
}

func TestHashIsDeterministic(t *testing.T) {
	a, err := snapshot.HashOf(listing())
	if err != nil {
		t.Fatal(err)
	}
	for range 20 { // map iteration order differs between runs
		b, _ := snapshot.HashOf(proto.CloneOf(listing()))
		if a != b {
			t.Fatal("equal listings hash differently")
		}
	}
	changed := listing()
	changed.Product.Variants[0].Stock = 4
	if c, _ := snapshot.HashOf(changed); c == a {
		t.Error("a stock change leaves the hash as it was")
	}
}

func TestSnapshots(t *testing.T) {
	remote := time.Date(2026, 11, 30, 8, 0, 0, 123, time.UTC)
	synced := remote.Add(time.Second)
	k := snapshot.Key{Pipeline: "taobao-to-eu", Platform: "taobao", ID: "6543210/x"}
	for mode, o := range storetest.Modes(t) {
		t.Run(mode, func(t *testing.T) {
			db := storetest.Open(t, o)
			l := listing()
			h, _ := snapshot.HashOf(l)
			_ = db.View(func(txn *store.Txn) error {
				if changed, err := snapshot.Changed(txn, k, h); err != nil || !changed {
					t.Errorf("Changed before any sync = %v, %v; want true", changed, err)
				}
				if _, err := snapshot.Get(txn, k); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("Get = %v, want ErrNotFound", err)
				}
				return nil
			})
			if err := db.Update(func(txn *store.Txn) error {
				got, err := snapshot.Put(txn, k, l, remote, synced)
				if got != h {
					t.Errorf("Put hash = %x, want %x", got, h)
				}
				return err
			}); err != nil {
				t.Fatal(err)
			}
			other := listing()
			other.Status = render.Status_STATUS_DRAFT
			oh, _ := snapshot.HashOf(other)
			_ = db.View(func(txn *store.Txn) error {
				if changed, err := snapshot.Changed(txn, k, h); err != nil || changed {
					t.Errorf("Changed(same) = %v, %v", changed, err)
				}
				if changed, err := snapshot.Changed(txn, k, oh); err != nil || !changed {
					t.Errorf("Changed(other) = %v, %v", changed, err)
				}
				s, err := snapshot.Get(txn, k)
				if err != nil {
					t.Fatal(err)
				}
				if !proto.Equal(s.Listing, l) || s.Hash != h || !s.RemoteUpdatedAt.Equal(remote) || !s.SyncedAt.Equal(synced) {
					t.Errorf("Get = %+v", s)
				}
				other := k
				other.Pipeline = "taobao-to-us"
				if changed, _ := snapshot.Changed(txn, other, h); !changed {
					t.Error("another pipeline shares the snapshot")
				}
				return nil
			})
			if err := db.Update(func(txn *store.Txn) error { return snapshot.Delete(txn, k) }); err != nil {
				t.Fatal(err)
			}
			_ = db.View(func(txn *store.Txn) error {
				if changed, _ := snapshot.Changed(txn, k, h); !changed {
					t.Error("Changed after Delete = false")
				}
				return nil
			})
		})
	}
}

func TestInvalidKey(t *testing.T) {
	db := storetest.Open(t, store.Options{InMemory: true})
	for _, k := range []snapshot.Key{{"", "taobao", "1"}, {"p", "tao/bao", "1"}, {"p", "taobao", ""}} {
		if err := db.Update(func(txn *store.Txn) error {
			_, err := snapshot.Put(txn, k, listing(), time.Time{}, time.Time{})
			return err
		}); err == nil {
			t.Errorf("Put(%+v) succeeded", k)
		}
	}
}
