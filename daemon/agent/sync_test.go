package agent

import (
	"regexp"
	"testing"

	"github.com/marketsync/marketsync/config"
	"github.com/marketsync/marketsync/daemon/conflict"
	"github.com/marketsync/marketsync/daemon/store"
	"github.com/marketsync/marketsync/daemon/store/storetest"
)

// conflicts_pending counts each pipeline's open conflicts, 0 for one
// without any, and only the pipelines its argument matches.
func TestConflictsPendingAlertFunction(t *testing.T) {
	db := storetest.Open(t, store.Options{InMemory: true})
	a := &Agent{cfg: &config.Config{Syncs: []config.Sync{{Name: "tb-shop"}, {Name: "tb-woo"}, {Name: "other"}}}, db: db}
	if err := db.Update(func(txn *store.Txn) error {
		for _, f := range []string{"price[A]", "stock[A]", "title[en]"} {
			if _, _, err := conflict.Add(txn, &conflict.Conflict{Pipeline: "tb-shop", SourcePlatform: "taobao", SourceID: "1", Field: f}); err != nil {
				return err
			}
		}
		c, _, err := conflict.Add(txn, &conflict.Conflict{Pipeline: "tb-woo", SourcePlatform: "taobao", SourceID: "1", Field: "price[A]"})
		if err != nil {
			return err
		}
		_, err = conflict.Resolve(txn, c.ID, conflict.TakeSource, "", c.DetectedAt)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	call := &config.AlertCall{Func: "conflicts_pending", Args: map[string]config.AlertArg{"sync": {Regexp: regexp.MustCompile("^tb-.*$")}}}
	samples, err := syncAlerts{a}.Eval(t.Context(), call)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, s := range samples {
		got[s.Labels["sync"]] = s.Value
	}
	if len(got) != 2 || got["tb-shop"] != 3 || got["tb-woo"] != 0 {
		t.Fatalf("samples %v; want tb-shop 3, tb-woo 0 (resolved), other filtered out", got)
	}
}
