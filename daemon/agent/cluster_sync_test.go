package agent_test

import (
	"context"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/marketsync/marketsync/daemon/agent/agenttest"
	"github.com/marketsync/marketsync/daemon/client"
	"github.com/marketsync/marketsync/daemon/cluster/clustertest"
	"github.com/marketsync/marketsync/daemon/cluster/ownership"
	shopifysim "github.com/marketsync/marketsync/plugins/shopify/sim"
	shopify "github.com/marketsync/marketsync/plugins/shopify/store"
)

var fencing = flag.Bool("fencing", false, "run the paused-owner fencing test: three agent processes, SIGSTOP and a lease takeover on real clocks (about a minute)")

// fenceNode is one agent process of the fencing test.
type fenceNode struct {
	name string
	proc *agenttest.Process
	// paused receives the agent's "sync job paused" log lines.
	paused chan string
}

// Three agents own the store account "platform/shop" by lease. The owner
// is writing a sync run to the Shopify simulator when it is stopped
// (SIGSTOP); another node takes the account over under a newer lease and
// syncs, asked through the third node, which forwards the run to it. When
// the old owner is continued (SIGCONT), the simulator, counting by
// fencing token in its own state, has accepted no write under the old
// owner's token since the takeover, none at all without a token, and the
// old owner's run pauses as not the owner. Real processes on real clocks,
// so it runs only when asked:
//
//	go test -v -run PausedOwner ./daemon/agent/ -args -fencing
func TestPausedOwnerWritesNothingAfterTakeover(t *testing.T) {
	if !*fencing {
		t.Skip("three agent processes, SIGSTOP and a lease takeover on real clocks: make test-full runs it with -args -fencing")
	}
	const products = 300
	// A job that never ends fails the test instead of hanging it.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	sim, nodes, old, j := ownerMidRun(ctx, t, products, 50)
	byName := func(name string) *fenceNode { return nodeNamed(t, nodes, name) }
	recorded := j.Succeeded
	if err := old.proc.Cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	oldToken := sim.Fencing().High
	if oldToken == 0 {
		t.Fatal("the owner's writes carried no fencing token")
	}

	var survivor string
	for _, n := range nodes {
		if n != old {
			survivor = n.name
			break
		}
	}
	newOwner := byName(storeOwner(t, byName(survivor).proc.Client, old.name, time.Minute))
	took := time.Since(stopped)
	acceptedAtTakeover := sim.Fencing().Accepted[oldToken]
	var third *fenceNode
	for _, n := range nodes {
		if n != old && n != newOwner {
			third = n
		}
	}
	// The catalogue stays with the node that collected it: the new owner
	// of the source (the store's new owner too, as they are ranked as one
	// group) collects it again, asked through the third node.
	if src := settledOwner(t, third.proc.Client, "platform/"+fenceSource, old.name, time.Minute); src != newOwner.name {
		t.Fatalf("the source went to %s, the store to %s", src, newOwner.name)
	}
	c, err := third.proc.Client.Jobs().Collect(ctx, client.CollectRequest{Platform: fenceSource, IDs: ids(100001, products)})
	if err == nil {
		c, err = follow(ctx, newOwner.proc.Client, c, func(j *client.Job) bool { return j.State.Final() })
	}
	if err != nil || c.Succeeded != products {
		t.Fatalf("collect on the new owner: %+v %v", c, err)
	}
	// Asked of the third node, which does not own the store: it
	// forwards the run to the new owner, where the job lives.
	j, err = third.proc.Client.Sync().Run(ctx, "src-shop", client.SyncRunRequest{})
	if err != nil {
		t.Fatal(err)
	}
	j, err = follow(ctx, newOwner.proc.Client, j, func(j *client.Job) bool { return j.State.Final() })
	if err != nil {
		t.Fatal(err)
	}
	if j.State != client.JobSucceeded || j.Succeeded != products {
		t.Fatalf("the new owner's run: %+v", j)
	}
	f := sim.Fencing()
	if f.High <= oldToken || f.Accepted[f.High] == 0 {
		t.Fatalf("the new owner wrote under %d, not above the old owner's %d: %+v", f.High, oldToken, f)
	}

	if err := old.proc.Cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	select {
	case line := <-old.paused:
		if !strings.Contains(line, "not the owner of platform shop") {
			t.Errorf("the old owner paused with %q", line)
		}
	case <-time.After(time.Minute):
		t.Fatal("the old owner's run did not pause within a minute of SIGCONT")
	}
	after := sim.Fencing()
	if got := after.Accepted[oldToken]; got != acceptedAtTakeover {
		t.Errorf("the store accepted %d writes under the old owner's token %d after the takeover", got-acceptedAtTakeover, oldToken)
	}
	if after.Accepted[0] != 0 {
		t.Errorf("the store accepted %d writes without a fencing token", after.Accepted[0])
	}
	if n := sim.ProductCount(); n != products {
		t.Errorf("the store holds %d products, want %d", n, products)
	}
	t.Logf("%s wrote under token %d (%d mutation documents accepted); stopped with %d of %d products recorded; %s owned the store %.1f s later and wrote under token %d; after SIGCONT: %d documents under %d accepted since the takeover, %d refused; the store holds %d products",
		old.name, oldToken, acceptedAtTakeover, recorded, products, newOwner.name, took.Seconds(), f.High,
		after.Accepted[oldToken]-acceptedAtTakeover, oldToken, after.Refused[oldToken], sim.ProductCount())
}

// In a cluster of three agent processes only the owner of the store
// account runs the pipeline: a run asked of another node is forwarded to
// it, that node answers for the job (status and items) from the owner,
// and every write the simulator accepted carried the owner's fencing
// token (none without one). The short form of
// TestPausedOwnerWritesNothingAfterTakeover; skipped under -short.
func TestSyncRunsOnTheStoreOwner(t *testing.T) {
	if testing.Short() {
		t.Skip("three agent processes on real clocks (about 10 s); make test-full runs it")
	}
	const products = 100
	sim, nodes := startFenceCluster(t, products, shopifysim.Options{BucketSize: 1e7, RestoreRate: 1e6})
	// A job that never ends fails the test instead of hanging it.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	owner := storeOwner(t, nodes[0].proc.Client, "", time.Minute)
	var other, ownerNode *fenceNode
	for _, n := range nodes {
		if n.name == owner {
			ownerNode = n
		} else {
			other = n
		}
	}
	j, err := other.proc.Client.Sync().Run(ctx, "src-shop", client.SyncRunRequest{})
	if err != nil {
		t.Fatal(err)
	}
	// The job lives with the owner; the node asked follows it there, by
	// blocking queries on its own API, as its answer gave the id.
	if j, err = follow(ctx, other.proc.Client, j, func(j *client.Job) bool { return j.State.Final() }); err != nil {
		t.Fatal(err)
	}
	if j.State != client.JobSucceeded || j.Succeeded != products {
		t.Fatalf("the owner's run, asked of %s: %+v", other.name, j)
	}
	there, err := ownerNode.proc.Client.Jobs().Watch(ctx, j.ID, client.WaitOptions{})
	if err != nil || there.Index != j.Index || there.Succeeded != products {
		t.Fatalf("the owner's own answer %+v %v; the node asked answered %+v", there, err, j)
	}
	page, err := other.proc.Client.Jobs().Items(ctx, j.ID, client.ItemListOptions{Limit: 10})
	if err != nil || len(page.Items) != 10 {
		t.Fatalf("the run's items asked of %s: %+v %v", other.name, page, err)
	}
	f := sim.Fencing()
	if len(f.Accepted) != 1 || f.Accepted[f.High] == 0 || f.High == 0 || sim.ProductCount() != products {
		t.Fatalf("the store saw %+v and holds %d products; want every write under the owner's one token", f, sim.ProductCount())
	}

	// A merchant edits a synced product in the store; the store's
	// delivery reaches a node that does not own the store (as behind a
	// load balancer). That node verifies it and hands it to the owner,
	// which records it (the same delivery sent to the owner is a
	// duplicate) and re-syncs that one product.
	bound, err := ownerNode.proc.Client.Sync().Bindings(ctx, fenceSource, page.Items[0].ID)
	if err != nil || len(bound) != 1 {
		t.Fatalf("bindings of %s: %+v %v", page.Items[0].ID, bound, err)
	}
	if err := sim.MerchantSetTitle(bound[0].RemoteID, "Renamed by the merchant"); err != nil {
		t.Fatal(err)
	}
	ds := sim.Deliveries()
	d := ds[len(ds)-1]
	ack, err := other.proc.Client.DeliverWebhook(ctx, "shopify", "shop", d.Header, d.Body)
	if err != nil || ack.Status != client.WebhookAccepted {
		t.Fatalf("the delivery sent to %s, which does not own the store: %+v %v", other.name, ack, err)
	}
	if again, err := ownerNode.proc.Client.DeliverWebhook(ctx, "shopify", "shop", d.Header, d.Body); err != nil || again.Status != client.WebhookDuplicate {
		t.Fatalf("the same delivery sent to the owner: %+v %v; want a duplicate, as the owner recorded it", again, err)
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		list, err := ownerNode.proc.Client.Jobs().List(ctx, client.JobListOptions{Platform: "shop"})
		if err != nil {
			t.Fatal(err)
		}
		if i := slices.IndexFunc(list, func(j client.Job) bool { return j.Pipeline == "src-shop" && j.Total == 1 }); i >= 0 {
			t.Logf("the owner re-synced the product the merchant edited: %s %s", list[i].ID, list[i].State)
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the owner ran no re-sync of the edited product: %+v", list)
		case <-tick.C:
		}
	}
}

// fenceSource is the pipeline's source: ownership ranks it with the
// store "shop" as one group, so the node that owns the store also
// collects its source into its own catalogue. Alone it would rank
// another of the three nodes first (startFenceCluster checks), so the
// tests fail unless the group holds.
const fenceSource = "supplier"

// rankKey is what ownership ranks resource by in the fence cluster's
// configuration: the smallest account of the pipeline's group.
func rankKey(resource string) string {
	group := []string{"platform/" + fenceSource, "platform/shop"}
	return ownership.Keys(group, [][]string{group})[resource]
}

// startFenceCluster starts three agent processes, servers of one cluster,
// each with the sandbox source "src" of products products (collected on
// every node, so whichever owns the store can sync them), the Shopify
// store "shop" (a simulator with options o) and the pipeline "src-shop".
func startFenceCluster(t *testing.T, products int, o shopifysim.Options) (*shopifysim.Server, []*fenceNode) {
	t.Helper()
	names := []string{"node-0", "node-1", "node-2"}
	if ownership.Rank("platform/"+fenceSource, names)[0] == ownership.Rank("platform/shop", names)[0] {
		t.Fatalf("rendezvous alone prefers one node for %s and the store: the test would not need their group", fenceSource)
	}
	sim := shopifysim.New(o)
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	so := sim.Options()

	var nodes []*fenceNode
	for _, node := range clustertest.Servers(t, "fence", 3) {
		node.LockDelay = "1s"
		n := &fenceNode{name: node.Name, paused: make(chan string, 16)}
		dir := t.TempDir()
		hcl := fmt.Sprintf(`data_dir   = %q
plugin_dir = %q
api {
  address = %q
}
%splatform "sandbox" %q {
  config {
    products = %d
  }
}
platform "shopify" "shop" {
  config {
    %s = %q
    %s = %q
    %s = %q
    %s = %q
    %s = %q
    %s = 100
  }
}
sync "src-shop" {
  source     = %q
  target     = "shop"
  batch_size = 50
  fields {
    title       = ["en"]
    description = ["en"]
  }
  price {
    currency = "USD"
    rate     = 0.14
  }
}
`, dir, bin, clustertest.FreeAddr(t), node.Block(), fenceSource, products,
			shopify.FieldShop, so.Shop, shopify.FieldAccessToken, so.Token, shopify.FieldAppSecret, so.Secret,
			shopify.FieldLocationID, shopifysim.LocationID, shopify.FieldEndpoint, srv.URL, shopify.FieldBulkThreshold, fenceSource)
		file := filepath.Join(dir, "agent.hcl")
		if err := os.WriteFile(file, []byte(hcl), 0o600); err != nil {
			t.Fatal(err)
		}
		n.proc = agenttest.StartProcess(t, bin, func(line string) {
			if strings.Contains(line, "sync job paused") {
				n.paused <- line
			}
			if strings.Contains(line, "level=ERROR") || strings.Contains(line, "ownership") || strings.Contains(line, "sync job") || strings.Contains(line, "forwarded") {
				t.Logf("%s: %s", n.name, line)
			}
		}, "-config", file, "-log-level", "info")
		t.Cleanup(func() { _ = n.proc.Cmd.Process.Signal(syscall.SIGCONT) }) // so that the kill at the end is not held
		nodes = append(nodes, n)
	}
	// A job that never ends fails the test instead of hanging it.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// A collect runs on the source's owner, which holds the catalogue;
	// grouped with the store, that is the store's owner too once
	// ownership has settled (the first node takes every account until
	// the others join).
	for _, n := range nodes {
		settledOwner(t, n.proc.Client, "platform/"+fenceSource, "", time.Minute)
		storeOwner(t, n.proc.Client, "", time.Minute)
	}
	var wg sync.WaitGroup
	for _, n := range nodes {
		wg.Go(func() {
			j, err := n.proc.Client.Jobs().Collect(ctx, client.CollectRequest{Platform: fenceSource, IDs: ids(100001, products)})
			if err == nil {
				j, err = follow(ctx, n.proc.Client, j, func(j *client.Job) bool { return j.State.Final() })
			}
			if err != nil || j.Succeeded != products {
				t.Errorf("%s: collect %+v %v", n.name, j, err)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	return sim, nodes

}

// storeOwner asks from's members list, every 100 ms, for the alive node
// other than not that owns platform/shop.
func storeOwner(t *testing.T, from *client.Client, not string, within time.Duration) string {
	t.Helper()
	return settledOwner(t, from, "platform/shop", not, within)
}

// settledOwner is the node other than not that owns resource and is the
// one rendezvous prefers among the alive nodes other than not, once it is
// the only one from's members list shows owning it.
func settledOwner(t *testing.T, from *client.Client, resource, not string, within time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(within)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for range tick.C {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		members, err := from.Cluster().Members(ctx)
		cancel()
		// Only the preferred node's ownership is settled: a node that took
		// the account before gossip showed it the preferred one hands it
		// over a moment later.
		var alive []string
		for _, m := range members {
			if m.Status == "alive" && m.Name != not {
				alive = append(alive, m.Name)
			}
		}
		// Nor while the node that handed it over still gossips owning
		// it: a request forwarded there would be refused.
		var claims []string
		for _, m := range members {
			if m.Status == "alive" && m.Name != not && slices.Contains(m.Owned, resource) {
				claims = append(claims, m.Name)
			}
		}
		if len(claims) == 1 && ownership.Rank(rankKey(resource), alive)[0] == claims[0] {
			return claims[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no node but %q owns %s after %s (last error %v)", not, resource, within, err)
		}
	}
	return ""
}

// follow watches a job with blocking queries until done says so.
func follow(ctx context.Context, c *client.Client, j *client.Job, done func(*client.Job) bool) (*client.Job, error) {
	var err error
	for !done(j) {
		if j, err = c.Jobs().Watch(ctx, j.ID, client.WaitOptions{Index: j.Index, Wait: 30 * time.Second}); err != nil {
			return nil, err
		}
	}
	return j, nil
}
