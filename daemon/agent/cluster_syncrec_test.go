package agent

import (
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/proto"

	"github.com/marketsync/marketsync/actors/job"
	"github.com/marketsync/marketsync/config"
	"github.com/marketsync/marketsync/daemon/binding"
	"github.com/marketsync/marketsync/daemon/cluster/clustertest"
	"github.com/marketsync/marketsync/daemon/cluster/jobrec"
	"github.com/marketsync/marketsync/daemon/jobs"
	"github.com/marketsync/marketsync/daemon/store"
	"github.com/marketsync/marketsync/daemon/syncengine"
	"github.com/marketsync/marketsync/daemon/telemetry"
)

// A sync run's writes go to the cluster's job table first, inside the
// transaction that checkpoints them here: its planned source ids, and
// each written item with the store's id of the product, taken from the
// binding the batch put. Once another node claimed the run, a checkpoint
// is refused as the engine's not-the-owner and nothing of it is stored
// here. A node that takes the run over rebuilds it from the table and
// binds the written items to the store's products, writing nothing to the
// store; only the unsettled items stay pending.
func TestSyncRunRecordMovesWithItsBindings(t *testing.T) {
	a, token := soloClusterAgent(t, &config.Config{Platforms: []config.Platform{{Name: "src"}, {Name: "shop"}},
		Syncs: []config.Sync{{Name: "src-shop", Source: "src", Target: "shop"}}}, "platform/shop", io.Discard)
	c := a.cluster
	s := a.clusterSyncStore(syncJobStore{Store: a.jobs, changes: a.changes})

	ids := []string{"p1", "p2", "p3"}
	j := &job.Job{Id: "sync-1", Kind: job.Kind_KIND_SYNC, Platform: "shop", Pipeline: "src-shop", State: job.State_STATE_RUNNING}
	if err := s.Create(j, ids); err != nil {
		t.Fatal(err)
	}
	rec, ok := c.node.Jobs().Get(j.GetId())
	if !ok || rec.Kind != jobrec.KindSync || len(rec.Request) != 3 || rec.Owner != "a" || rec.Token != token {
		t.Fatalf("the table's record after create: %+v %v", rec, ok)
	}
	// The batch: p1 written (its binding put in the checkpoint's
	// transaction), p2 failed, p3 in flight (attempted, still pending).
	items := []*job.Item{
		{Index: 0, Id: "p1", State: job.ItemState_ITEM_SUCCEEDED, Attempts: 1},
		{Index: 1, Id: "p2", State: job.ItemState_ITEM_FAILED, Attempts: 1},
		{Index: 2, Id: "p3", Attempts: 1},
	}
	written := &binding.Binding{SourcePlatform: "src", SourceID: "p1", Target: "shop", RemoteID: "gid://shopify/Product/7", Variants: map[string]string{"p1-a": "p1-a"}}
	if err := s.CommitWith(j, items, func(txn *store.Txn) error { return binding.Put(txn, written) }); err != nil {
		t.Fatal(err)
	}
	rec, _ = c.node.Jobs().Get(j.GetId())
	if rec.Succeeded != 1 || rec.Failed != 1 || rec.Items[0].Remote != written.RemoteID || rec.Items[0].Variants["p1-a"] != "p1-a" || rec.Items[1].Remote != "" {
		t.Fatalf("the table's record after the batch: %+v", rec)
	}

	// Node b claims the run under a newer token: this node's next
	// checkpoint is refused, as not the owner, and stores nothing here.
	if res, err := c.node.ApplyJob(jobrec.Command{Op: jobrec.OpClaim, ID: j.GetId(), Platform: "shop", Owner: "b", Token: token + 1}, applyTimeout); err != nil || res.Outcome != jobrec.Applied {
		t.Fatalf("b's claim: %v %v", res.Outcome, err)
	}
	late := []*job.Item{{Index: 2, Id: "p3", State: job.ItemState_ITEM_SUCCEEDED, Attempts: 1}}
	if err := s.CommitWith(j, late, nil); !errors.Is(err, syncengine.ErrNotOwner) {
		t.Fatalf("a checkpoint after another node's claim: %v, want not the owner", err)
	}
	if pending, err := a.jobs.Pending(j.GetId()); err != nil || len(pending) != 1 || pending[0].GetId() != "p3" {
		t.Fatalf("pending here after the refused checkpoint: %v %v", pending, err)
	}

	// Taken over on a node with none of it: this node's store emptied
	// stands for b's.
	other, err := store.Open(store.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	if a.jobs, err = jobs.New(other); err != nil {
		t.Fatal(err)
	}
	rec, _ = c.node.Jobs().Get(j.GetId())
	moved, err := c.jobs.rebuild(rec, func(txn *store.Txn, items []jobrec.Item) error { return bindSettled(txn, "src", "shop", items) })
	if err != nil {
		t.Fatal(err)
	}
	if moved.GetId() != j.GetId() || moved.GetTotal() != 3 || moved.GetSucceeded() != 1 || moved.GetFailed() != 1 {
		t.Fatalf("the run rebuilt: %+v", moved)
	}
	pending, err := a.jobs.Pending(j.GetId())
	if err != nil || len(pending) != 1 || pending[0].GetId() != "p3" || pending[0].GetAttempts() != 1 {
		t.Fatalf("pending after the rebuild: %v %v, want p3 attempted once (so it is looked up by SKU before a create)", pending, err)
	}
	err = other.View(func(txn *store.Txn) error {
		b, err := binding.Get(txn, "src", "p1", "shop")
		if err != nil || b.RemoteID != written.RemoteID || b.Variants["p1-a"] != "p1-a" {
			t.Errorf("p1's binding after the rebuild: %+v %v", b, err)
		}
		if _, err := binding.Get(txn, "src", "p2", "shop"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a failed item was bound: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// A run of a pipeline this node does not configure ends failed, with
	// the reason, in the table and here.
	gone := &job.Job{Id: "sync-2", Kind: job.Kind_KIND_SYNC, Platform: "shop", Pipeline: "gone", State: job.State_STATE_RUNNING}
	b, err := proto.Marshal(gone)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := c.node.ApplyJob(jobrec.Command{Op: jobrec.OpCreate, ID: gone.GetId(), Kind: jobrec.KindSync, Platform: "shop", Owner: "b",
		Token: token - 1, Job: b, Request: []string{"p9"}}, applyTimeout); err != nil || res.Outcome != jobrec.Applied {
		t.Fatalf("b's run: %v %v", res.Outcome, err)
	}
	rec, _ = c.node.Jobs().Get(gone.GetId())
	c.jobs.failSync(t.Context(), "shop", rec, "sync \"gone\" is not configured")
	if rec, _ := c.node.Jobs().Get(gone.GetId()); !rec.Final || rec.Owner != "a" {
		t.Fatalf("the table's record of a run that cannot run here: %+v", rec)
	}
	if local, err := a.jobs.Get(gone.GetId()); err != nil || local.GetState() != job.State_STATE_FAILED || !strings.Contains(local.GetError(), "not configured") {
		t.Fatalf("this node's copy: %v %v", local, err)
	}
}

// soloClusterAgent is an agent, alone in a cluster of one server, with
// the platforms and syncs of want, its job store in memory and its side
// of the job table, once it owns resource (as the owner announces every
// change of what it owns on gained); it returns the token of that lease.
// It runs no job manager or engine: tests call the adoption steps.
func soloClusterAgent(t *testing.T, want *config.Config, resource string, logs io.Writer) (*Agent, uint64) {
	t.Helper()
	cfg := config.Default()
	cfg.InMemory = true
	cfg.DataDir = t.TempDir()
	cfg.API.Address = "127.0.0.1:1"
	cfg.Platforms, cfg.Syncs = want.Platforms, want.Syncs
	cfg.Cluster = &config.Cluster{Name: "solo", NodeName: "a", BindAddr: "127.0.0.1:0", RaftAddr: clustertest.FreeAddr(t),
		Server: true, BootstrapExpect: 1, Encrypt: config.Secret("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")}
	a := &Agent{cfg: cfg, log: slog.New(slog.NewTextHandler(logs, nil)), changes: newChanges(),
		metrics: telemetry.New(), system: actor.NewActorSystem()}
	db, err := store.Open(store.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	a.db = db
	if a.jobs, err = jobs.New(db); err != nil {
		t.Fatal(err)
	}
	if err := a.setupCluster(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.closeCluster() })
	c := a.cluster
	c.jobs = &clusterJobs{a: a, c: c, running: map[string]*run{}}
	deadline := time.After(30 * time.Second)
	token, owned := c.owner.Token(resource)
	for !owned {
		select {
		case <-c.gained:
			token, owned = c.owner.Token(resource)
		case <-deadline:
			t.Fatalf("the node did not take %s", resource)
		}
	}
	return a, token
}
