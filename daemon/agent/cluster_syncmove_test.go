package agent_test

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/marketsync/marketsync/daemon/client"
	shopifysim "github.com/marketsync/marketsync/plugins/shopify/sim"
)

// Three agents; the owner of the pipeline's group (the Shopify store and
// its source) is writing a sync run, asked of another node, when it is
// killed (SIGKILL). Another
// node takes the group over, claims the run from the cluster's job
// table, collects its unsettled source products and writes the rest
// under the same job id. The simulator, in its own state, holds every
// product once, and ran at most one batch of productSet writes more than
// there are products (the batch in flight at the kill). The time from the
// kill to the new owner's first write the simulator accepted is logged,
// as are the writes. Real processes on real clocks, so it runs only when
// asked:
//
//	go test -v -run SyncRunMovesOnOwner ./daemon/agent/ -args -fencing
func TestSyncRunMovesOnOwnerKill(t *testing.T) {
	if !*fencing {
		t.Skip("three agent processes, SIGKILL and a takeover on real clocks: run with -args -fencing, as make test-full does")
	}
	syncRunMoves(t, syscall.SIGKILL, 50)
}

// The same, the owner stopped by SIGTERM: its run stops between calls
// and checkpoints, and the agent lets its leases go at once; what the
// store took of the batch in flight is found by SKU, so nothing at all is
// written twice.
func TestSyncRunMovesOnOwnerStop(t *testing.T) {
	if !*fencing {
		t.Skip("three agent processes, SIGTERM and a handover on real clocks: run with -args -fencing, as make test-full does")
	}
	syncRunMoves(t, syscall.SIGTERM, 0)
}

// syncRunMoves runs a sync run of 300 products in batches of 50, sends
// its owner sig in the middle of the third batch and checks the run ends
// on another node, under its id, with every product in the store once
// and at most twice products written twice.
func syncRunMoves(t *testing.T, sig syscall.Signal, twice int64) {
	const products, batch = 300, 50
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	sim, nodes, old, asked, j := ownerMidRunThrough(ctx, t, products, 2*batch, true)
	byName := func(name string) *fenceNode { return nodeNamed(t, nodes, name) }
	// Killed in the middle of the next batch: the store has taken some
	// of its documents, and the owner has not recorded them.
	recorded := int64(j.Succeeded)
	inFlight := time.NewTicker(time.Millisecond)
	for sim.Stats().Fields["productSet"] <= recorded {
		select {
		case <-ctx.Done():
			t.Fatal("the next batch was not sent")
		case <-inFlight.C:
		}
	}
	inFlight.Stop()
	if err := old.proc.Cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	oldToken := sim.Fencing().High
	before := sim.Stats().Fields["productSet"]

	// The first write under a newer token is the new owner's: measured
	// in the simulator's own state.
	var firstWrite time.Duration
	tick := time.NewTicker(10 * time.Millisecond)
	for firstWrite == 0 {
		select {
		case <-ctx.Done():
			t.Fatalf("no write under a token newer than %d since the kill: %+v", oldToken, sim.Fencing())
		case <-tick.C:
			if f := sim.Fencing(); f.High > oldToken && f.Accepted[f.High] > 0 {
				firstWrite = time.Since(killed)
			}
		}
	}
	tick.Stop()
	var survivor *fenceNode
	for _, n := range nodes {
		if n != old {
			survivor = n
			break
		}
	}
	owner := byName(storeOwner(t, survivor.proc.Client, old.name, time.Minute))
	// The new owner has the job under its id: rebuilt from the table.
	var moved *client.Job
	for moved == nil {
		m, err := owner.proc.Client.Jobs().Watch(ctx, j.ID, client.WaitOptions{})
		var ae *client.APIError
		switch {
		case err == nil:
			moved = m
		case errors.As(err, &ae) && ae.StatusCode == 404 && ctx.Err() == nil:
			select {
			case <-ctx.Done():
			case <-time.After(50 * time.Millisecond):
			}
		default:
			t.Fatalf("the run on the new owner %s: %v", owner.name, err)
		}
	}
	moved, err := follow(ctx, owner.proc.Client, moved, func(j *client.Job) bool { return j.State.Final() })
	if err != nil {
		t.Fatal(err)
	}
	if moved.ID != j.ID || moved.State != client.JobSucceeded || moved.Succeeded != products {
		failed, err := owner.proc.Client.Jobs().Items(ctx, moved.ID, client.ItemListOptions{State: client.ItemFailed, Limit: 10})
		t.Fatalf("the run on the new owner %s: %+v; failed items %+v %v", owner.name, moved, failed, err)
	}
	// Before writing, the new owner collected the run's unsettled source
	// products into its own catalogue: one collect job of at most the
	// products the old owner had not recorded.
	list, err := owner.proc.Client.Jobs().List(ctx, client.JobListOptions{Platform: fenceSource})
	if err != nil {
		t.Fatal(err)
	}
	var collected *client.Job
	for i, c := range list {
		if c.Kind == client.JobKindCollect && c.Total < products {
			collected = &list[i]
		}
	}
	if collected == nil || collected.State != client.JobSucceeded || collected.Total > products-j.Succeeded {
		t.Fatalf("the new owner's collect of the unsettled source products: %+v (of %d jobs of %s)", collected, len(list), fenceSource)
	}
	// The node the run was asked of, which forwarded it to the old
	// owner, follows it to where it runs now, from the job table.
	if there, err := asked.proc.Client.Jobs().Watch(ctx, j.ID, client.WaitOptions{}); err != nil || there.State != client.JobSucceeded || there.Succeeded != products {
		t.Errorf("the run asked of %s, which forwarded it to %s, is now %+v %v; want it succeeded as on %s", asked.name, old.name, there, err, owner.name)
	}
	st := sim.Stats()
	writes := st.Fields["productSet"]
	if n := sim.ProductCount(); n != products {
		t.Errorf("the store holds %d products, want %d", n, products)
	}
	if writes < products || writes > products+twice {
		t.Errorf("the store ran %d productSet writes for %d products: more than %d written twice", writes, products, twice)
	}
	if f := sim.Fencing(); f.Accepted[0] != 0 {
		t.Errorf("the store accepted %d writes without a fencing token", f.Accepted[0])
	}
	t.Logf("%s sent %v with %d of %d products recorded (%d productSet writes accepted); %s's first write accepted %.1f s after the kill; it collected %d source products (job %s) and the run %s ended %s with %d products; the store ran %d productSet writes, %d twice, holds %d products and throttled %d documents",
		old.name, sig, j.Succeeded, products, before, owner.name, firstWrite.Seconds(), collected.Total, collected.ID, moved.ID, moved.State, moved.Succeeded, writes, writes-products, sim.ProductCount(), st.Throttled)
}

// nodeNamed is the node of nodes called name.
func nodeNamed(t *testing.T, nodes []*fenceNode, name string) *fenceNode {
	t.Helper()
	for _, n := range nodes {
		if n.name == name {
			return n
		}
	}
	t.Fatalf("no node %q", name)
	return nil
}

// ownerMidRun starts the fence cluster with products products and a
// store that takes about 50 products a second (a bucket of 1,000 points
// restoring 500 a second: a document of 10 productSet fields asks 100),
// runs the pipeline on the store's owner and follows the run until at
// least recorded products are recorded; it fails if the run ends first.
func ownerMidRun(ctx context.Context, t *testing.T, products, recorded int) (*shopifysim.Server, []*fenceNode, *fenceNode, *client.Job) {
	t.Helper()
	sim, nodes, owner, _, j := ownerMidRunThrough(ctx, t, products, recorded, false)
	return sim, nodes, owner, j
}

// ownerMidRunThrough is ownerMidRun; when forwarded, the run is asked of
// a node that does not own the store (asked), which forwards it.
func ownerMidRunThrough(ctx context.Context, t *testing.T, products, recorded int, forwarded bool) (sim *shopifysim.Server, nodes []*fenceNode, owner, asked *fenceNode, j *client.Job) {
	t.Helper()
	sim, nodes = startFenceCluster(t, products, shopifysim.Options{BucketSize: 1000, RestoreRate: 500})
	owner = nodeNamed(t, nodes, storeOwner(t, nodes[0].proc.Client, "", time.Minute))
	asked = owner
	for _, n := range nodes {
		if forwarded && n != owner {
			asked = n
			break
		}
	}
	j, err := asked.proc.Client.Sync().Run(ctx, "src-shop", client.SyncRunRequest{})
	if err == nil {
		j, err = follow(ctx, owner.proc.Client, j, func(j *client.Job) bool { return j.Succeeded >= recorded || j.State.Final() })
	}
	if err != nil {
		t.Fatal(err)
	}
	if j.State.Final() {
		t.Fatalf("the run ended before its owner could be stopped: %+v", j)
	}
	return sim, nodes, owner, asked, j
}
