package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/marketsync/marketsync/config"
	"github.com/marketsync/marketsync/daemon/api"
	"github.com/marketsync/marketsync/daemon/client"
	"github.com/marketsync/marketsync/daemon/cluster/clustertest"
	"github.com/marketsync/marketsync/daemon/cluster/locks"
	"github.com/marketsync/marketsync/daemon/cluster/ownership"
	"github.com/marketsync/marketsync/daemon/syncengine"
)

// A node that does not own a pipeline's store, in a cluster where no node
// does, answers a run with a 503 naming the account, and its fence holds
// no token; alone, an agent has no fence.
func TestSyncRunWithoutAnOwnerIsRefusedClearly(t *testing.T) {
	if (&Agent{}).syncFence() != nil {
		t.Fatal("an agent without a cluster has a fence")
	}
	cfg := config.Default()
	cfg.InMemory = true
	cfg.DataDir = t.TempDir()
	cfg.API.Address = "127.0.0.1:1"
	cfg.Cluster = &config.Cluster{Name: "solo", NodeName: "solo-0", BindAddr: "127.0.0.1:0", RaftAddr: clustertest.FreeAddr(t),
		Server: true, BootstrapExpect: 1, Encrypt: config.Secret("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")}
	a := &Agent{cfg: cfg, log: slog.New(slog.DiscardHandler)}
	if err := a.setupCluster(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.closeCluster() })
	if token, ok := a.syncFence()("shop"); ok || token != 0 {
		t.Fatalf("fence of an account nobody owns: %d %v", token, ok)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	cause := &syncengine.NotOwnerError{Pipeline: "src-shop", Target: "shop"}
	_, err := a.forwardSyncRun(ctx, "src-shop", client.SyncRunRequest{}, cause)
	var ae *api.Error
	if !errors.As(err, &ae) || ae.Status != http.StatusServiceUnavailable || ae.Code != client.CodeUnavailable ||
		!strings.Contains(ae.Message, "not the owner of platform shop") || !strings.Contains(ae.Message, "no node owns platform/shop") {
		t.Fatalf("run of an unowned store: %v", err)
	}

	// A forwarded run's job whose node is gone: its status is refused
	// with a reason, not answered as unknown; asked by another node, it
	// is not this node's to pass on.
	a.cluster.syncRuns.add("job-1", "node-gone")
	_, handled, err := a.forwardJob(t.Context(), "job-1", client.WaitOptions{})
	if !handled || !errors.As(err, &ae) || ae.Status != http.StatusServiceUnavailable || !strings.Contains(ae.Message, "runs on node node-gone") {
		t.Fatalf("status of a sync job on a node that is gone: %v %v", handled, err)
	}
	if _, handled, err := a.forwardJobItems(t.Context(), "job-1", client.ItemListOptions{}); !handled || !errors.As(err, &ae) || ae.Status != http.StatusServiceUnavailable {
		t.Fatalf("items of a sync job on a node that is gone: %v %v", handled, err)
	}
	if _, handled, _ := a.forwardJob(api.WithForwardedBy(t.Context(), "node-x"), "job-1", client.WaitOptions{}); handled {
		t.Fatal("a request another node forwarded was passed on")
	}
}

// A node remembers the runner of its last forwardedRunsKept forwarded
// sync runs, the oldest forgotten first.
func TestForwardedRunsKeepTheLatest(t *testing.T) {
	var f forwardedRuns
	for i := range forwardedRunsKept + 1 {
		f.add(fmt.Sprintf("job-%d", i), fmt.Sprintf("node-%d", i%3))
	}
	f.add("job-1", "node-1")
	if _, ok := f.node("job-0"); ok {
		t.Fatal("the oldest run is still remembered")
	}
	for _, i := range []int{1, forwardedRunsKept} {
		if n, ok := f.node(fmt.Sprintf("job-%d", i)); !ok || n != fmt.Sprintf("node-%d", i%3) {
			t.Fatalf("job-%d: %q %v", i, n, ok)
		}
	}
	if len(f.order) != forwardedRunsKept || len(f.runner) != forwardedRunsKept {
		t.Fatalf("%d ids in order, %d remembered; want %d", len(f.order), len(f.runner), forwardedRunsKept)
	}
}

// sourceHeldElsewhere grants every lock at once but the source's, which
// another node's lease keeps busy until let.
type sourceHeldElsewhere struct {
	grantAll
	let atomic.Bool
}

func (s *sourceHeldElsewhere) Acquire(ctx context.Context, name, holder string, ttl time.Duration, wait bool) (locks.Lease, error) {
	if name == ownership.LockName("platform/src") && !s.let.Load() {
		return locks.Lease{}, locks.ErrBusy
	}
	return s.grantAll.Acquire(ctx, name, holder, ttl, wait)
}

// While a takeover has brought the store's lease to this node but not yet
// its source's, the sync engine's fence gives no token, so no pipeline
// into the store runs against this node's catalogue of the source, and
// the agent says why once; with both leases the store's token is given.
func TestSyncFenceWaitsForTheSourcesLease(t *testing.T) {
	cfg := &config.Config{Platforms: []config.Platform{{Name: "src"}, {Name: "shop"}, {Name: "other"}},
		Syncs: []config.Sync{{Name: "src-shop", Source: "src", Target: "shop"}}}
	lk := &sourceHeldElsewhere{}
	owner := ownership.New(ownership.Config{Node: "a", Resources: ownedResources(cfg.Platforms), Together: ownedTogether(cfg.Syncs),
		Locker: lk, Healthy: func() []string { return []string{"a"} }, Logger: slog.New(slog.DiscardHandler)})
	var logs strings.Builder
	a := &Agent{cfg: cfg, cluster: &agentCluster{owner: owner}, log: slog.New(slog.NewTextHandler(&logs, nil))}
	fence := a.syncFence()
	owner.Step(t.Context())
	if _, ok := owner.Token("platform/shop"); !ok {
		t.Fatal("the store was not taken")
	}
	if token, ok := fence("shop"); ok || token != 0 {
		t.Fatalf("fence without the source's lease: %d %v, want none", token, ok)
	}
	if _, ok := fence("other"); !ok {
		t.Fatal("a store no pipeline reads into is held back")
	}
	if n := strings.Count(logs.String(), "not yet every source"); n != 1 {
		t.Fatalf("the wait was logged %d times, want once: %s", n, logs.String())
	}
	// A run asked meanwhile is refused at once, saying why, rather than
	// held and then answered as if nobody owned the store.
	_, err := a.forwardSyncRun(t.Context(), "src-shop", client.SyncRunRequest{}, &syncengine.NotOwnerError{Pipeline: "src-shop", Target: "shop"})
	var ae *api.Error
	if !errors.As(err, &ae) || ae.Status != http.StatusServiceUnavailable || !strings.Contains(ae.Message, "this node owns platform/shop and waits for the leases") {
		t.Fatalf("sync run while the source's lease is elsewhere: %v", err)
	}
	lk.let.Store(true)
	owner.Step(t.Context())
	shop, _ := owner.Token("platform/shop")
	if token, ok := fence("shop"); !ok || token != shop {
		t.Fatalf("fence with both leases: %d %v, want the store's token %d", token, ok, shop)
	}
}
