package netns

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/marketsync/marketsync/daemon/agent/agenttest"
	"github.com/marketsync/marketsync/daemon/client"
	"github.com/marketsync/marketsync/daemon/cluster/clustertest"
	"github.com/marketsync/marketsync/daemon/cluster/ownership"
)

const (
	lockName = "erp/orders"
	account  = "platform/acct"
	token    = "netns-test-token"
	// lockTTL is the lease the lock clients ask for; lockDelay is the
	// cluster's lock_delay. Ownership keeps its own 10 s lease.
	lockTTL   = 3 * time.Second
	lockDelay = time.Second
)

// agentConfig is one server of the three: gossip, raft and the API on its
// bridge address (the API on every address, so that the test reaches it
// over the management link and the other nodes over the bridge).
func agentConfig(dataDir, pluginDir, name, ip string, join []string) string {
	srv := clustertest.Server{Cluster: "netns", Name: name, Gossip: ip + ":7946", Raft: ip + ":7947", Join: join, Expect: 3, LockDelay: lockDelay.String()}
	return fmt.Sprintf(`data_dir   = %q
plugin_dir = %q
log_level  = "info"
api {
  address = "0.0.0.0:8787"
  token   = %q
}
%splatform "sandbox" "acct" {}
`, dataDir, pluginDir, token, srv.Block())
}

// TestPartitionedHolderOnNetworkNamespaces runs three agents, each in a
// network namespace of its own on one bridge, and a lock client next to
// each (through that node's API). The node of the lock's holder, which
// also owns the account, is cut off the bridge and keeps running. The
// minority can neither grant nor renew; the majority grants the lock to
// another client under a larger token and takes the account over; after
// healing no second holder appears, and the whole lock history passes
// porcupine's linearizability check.
func TestPartitionedHolderOnNetworkNamespaces(t *testing.T) {
	if testing.Short() {
		t.Skip("three agent processes in network namespaces on real clocks (20–65 s): run without -short, as root (make test-netns)")
	}
	nw := newNetwork(t, 3)
	bin := t.TempDir()
	if err := agenttest.Build(bin, "sandbox"); err != nil {
		t.Fatal(err)
	}
	j := newJournal()
	names := []string{"node-1", "node-2", "node-3"}
	apis := map[string]*client.Client{}
	var logMu sync.Mutex
	logs := map[string][]string{}
	t.Cleanup(func() {
		if t.Failed() {
			for _, e := range j.all() {
				if e.kind != "log" {
					t.Log(e)
				}
			}
			logMu.Lock()
			defer logMu.Unlock()
			for _, n := range names {
				t.Logf("%s's log:\n%s", n, strings.Join(logs[n], "\n"))
			}
		}
	})
	for i, name := range names {
		var join []string
		for k, other := range nw.nodes {
			if k != i {
				join = append(join, other.ip+":7946")
			}
		}
		dir := t.TempDir()
		file := filepath.Join(dir, "agent.hcl")
		if err := os.WriteFile(file, []byte(agentConfig(dir, bin, name, nw.nodes[i].ip, join)), 0o600); err != nil {
			t.Fatal(err)
		}
		agenttest.StartProcess(t, nw.wrapper(i, bin), func(line string) {
			logMu.Lock()
			logs[name] = append(logs[name], line)
			logMu.Unlock()
			if e, ok := parseLog(name, line); ok {
				j.add(e)
			}
		}, "-config", file)
		c, err := client.New(client.Config{Address: "http://" + nw.nodes[i].mgmt + ":8787", Token: token})
		if err != nil {
			t.Fatal(err)
		}
		apis[name] = c
	}
	index := func(name string) int { return slices.Index(names, name) }

	// The cluster forms and the node rendezvous hashing prefers takes
	// the account (another may hold it for a moment while it sees only
	// some of the members).
	start := time.Now()
	owner := ownership.Rank(account, names)[0]
	took, at := j.await(t, 0, time.Minute, owner+" taking the account", logged(owner, "took ownership", "resource", account))
	t.Logf("raft bootstrapped and %s took %s %.1f s after the agents started", owner, account, time.Since(start).Seconds())

	var hist clustertest.LockHistory
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	run := func(node string) {
		h := &holder{name: "near-" + node, node: node, api: apis[node], lock: lockName, ttl: lockTTL, retry: 250 * time.Millisecond, hist: &hist, j: j}
		wg.Go(func() { h.run(ctx) })
	}
	// The client next to the owner takes the lock first, then the
	// others compete for it while it renews.
	run(owner)
	first, at := j.await(t, at, 30*time.Second, "first grant", func(e event) bool { return e.kind == "acquire" && e.err == nil })
	for _, n := range names {
		if n != owner {
			run(n)
		}
	}
	// The cut comes right after a renewal: the grant it renewed is the
	// one cut off (the client may have lost and retaken the lock before,
	// when a renewal was slow on a loaded machine).
	held, at := awaitRenewals(t, j, at, first.client, 3)
	// (Whether another client was granted it meanwhile is for the
	// history check at the end: the holder may lose it on a slow renewal.)
	if !slices.ContainsFunc(j.all(), func(e event) bool { return e.kind == "refused" }) {
		t.Fatal("no other client was refused the lock: they did not compete for it")
	}
	listed(t, apis[owner], owner, true, 5*time.Second)
	role := "a follower"
	if peers, err := apis[owner].Cluster().RaftPeers(ctx); err == nil && slices.ContainsFunc(peers, func(p client.RaftPeer) bool { return p.Leader && p.ID == owner }) {
		role = "the raft leader"
	}

	// The cut: the holder's node loses the bridge and keeps running.
	nw.cut(index(owner))
	cut := time.Now()
	t.Logf("cut %s (%s) off the bridge; %s held %s under token %d", owner, role, first.client, lockName, held.token)

	// The minority grants nothing: not a new lock, not this one.
	intruder := make(chan error, 1)
	go func() {
		ictx, icancel := context.WithTimeout(ctx, 10*time.Second)
		defer icancel()
		_, err := apis[owner].Locks().Acquire(ictx, client.LockRequest{Name: "erp/intruder", Holder: "intruder", TTLSeconds: lockTTL.Seconds()})
		intruder <- err
	}()

	// The majority grants the lock to another client, under a larger
	// token, once the old lease and the lock-delay are over.
	next, at := j.await(t, at, 45*time.Second, "grant on the majority side", func(e event) bool {
		return e.kind == "acquire" && e.err == nil && e.node != owner
	})
	if next.token <= held.token {
		t.Fatalf("the majority granted token %d, not larger than the cut-off holder's %d", next.token, held.token)
	}
	toNew := next.at.Sub(cut)
	leader := ""
	peers, err := apis[next.node].Cluster().RaftPeers(ctx)
	for _, p := range peers {
		if p.Leader {
			leader = p.ID
		}
	}
	if err != nil || leader == "" || leader == owner {
		t.Fatalf("after the grant %s sees raft leader %q (%v), not one of the majority", next.node, leader, err)
	}
	// The cut-off holder gave up by its own clock before the grant.
	evs := j.all()
	k := slices.IndexFunc(evs, func(e event) bool { return e.kind == "ended" && e.client == first.client && e.at.After(cut) })
	if k < 0 || !evs[k].at.Before(next.at) {
		t.Fatalf("%s still believed it held the lock when %s was granted it at %s:\n%s", first.client, next.client, next.at.Format(time.StampMilli), &hist)
	}
	ended := evs[k]
	if err := <-intruder; err == nil {
		t.Fatal("the cut-off node granted a lock")
	} else {
		t.Logf("the cut-off node refused an acquire: %v", err)
	}

	// Ownership: the cut-off node stops owning the account once its
	// lease is over by its own clock, and a majority node takes it.
	lost, _ := j.await(t, 0, 30*time.Second, owner+" logging that it lost "+account+" (its ownership lease is over by its own clock 10 s after its last renewal)", func(e event) bool {
		return logged(owner, "lost ownership", "resource", account)(e) && e.at.After(cut)
	})
	listed(t, apis[owner], owner, false, 5*time.Second)
	heir := ownership.Rank(account, slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == owner }))[0]
	taken, _ := j.await(t, 0, 45*time.Second, "the runner-up "+heir+" taking the account", func(e event) bool {
		return logged(heir, "took ownership", "resource", account)(e) && e.at.After(cut)
	})
	listed(t, apis[taken.node], taken.node, true, 5*time.Second)
	if mustUint(taken.attrs["token"]) <= mustUint(took.attrs["token"]) {
		t.Fatalf("%s took %s under token %s, not larger than %s's %s", taken.node, account, taken.attrs["token"], owner, took.attrs["token"])
	}
	// While its renewals fail the cut-off node logs until when it still
	// trusts its lease: the runner-up must take the account after that.
	for _, e := range j.all() {
		if logged(owner, "could not renew ownership; still within the lease", "resource", account)(e) && e.at.After(cut) {
			if until, err := time.Parse(time.RFC3339Nano, e.attrs["until"]); err != nil || !until.Before(taken.at) {
				t.Fatalf("%s took %s at %s while %s trusted its lease until %s (%v)", heir, account, taken.at.Format(time.StampMilli), owner, e.attrs["until"], err)
			}
		}
	}

	// Heal: the cut-off node's raft follows the leader again, its
	// client is answered again (refused: the lock is taken), and the
	// current holder keeps renewing meanwhile.
	nw.heal(index(owner))
	healed := time.Now()
	follower, _ := j.await(t, at, 30*time.Second, owner+"'s raft following a leader after the heal", func(e event) bool {
		return e.kind == "log" && e.node == owner && strings.HasPrefix(e.msg, "raft: entering follower state") && e.at.After(healed)
	})
	answered, after := j.await(t, at, time.Minute, first.client+" answered through "+owner+" after the heal", func(e event) bool {
		return e.client == first.client && (e.kind == "refused" || e.kind == "acquire" && e.err == nil) && e.call.After(healed)
	})
	awaitRenewals(t, j, after, next.client, 3)
	cancel()
	wg.Wait()

	// The minority side was answered no renewal or grant it asked for
	// after the cut, until the heal.
	for _, e := range j.all() {
		if e.client == first.client && e.err == nil && e.call.After(cut) && e.at.Before(healed) && (e.kind == "renew" || e.kind == "acquire") {
			t.Fatalf("the cut-off side's %s succeeded: %v", e.kind, e)
		}
	}
	if !hist.Check() {
		t.Fatalf("lock history of %d operations is not linearizable (two holders at once, or a token that did not grow):\n%s", hist.Len(), &hist)
	}
	t.Logf("%s (%s) cut off: %s stopped believing after %.1f s; %s was granted %s %.1f s after the cut (token %d → %d; ttl %s, lock-delay %s; raft leader %s)",
		owner, role, first.client, ended.at.Sub(cut).Seconds(), next.client, lockName, toNew.Seconds(), held.token, next.token, lockTTL, lockDelay, leader)
	t.Logf("ownership of %s: %s dropped it %.1f s after the cut, %s took it %.1f s after the cut", account, owner, lost.at.Sub(cut).Seconds(), taken.node, taken.at.Sub(cut).Seconds())
	t.Logf("healed: %s's raft followed a leader %.1f s later, %s was answered through it again %.1f s later; %d lock operations, linearizable",
		owner, follower.at.Sub(healed).Seconds(), first.client, answered.at.Sub(healed).Seconds(), hist.Len())
}

// awaitRenewals waits, from index from, for n successful renewals by
// the client name and returns the last and the index after it.
func awaitRenewals(t *testing.T, j *journal, from int, name string, n int) (event, int) {
	t.Helper()
	var last event
	for k := range n {
		last, from = j.await(t, from, 2*lockTTL, fmt.Sprintf("renewal %d by %s", k+1, name), func(e event) bool {
			return e.kind == "renew" && e.err == nil && e.client == name
		})
	}
	return last, from
}

// listed fails the test unless node's members list shows it owning the
// account (or, with owns false, not owning it) within the given time. A
// node changes that list right after it logs taking or losing ownership,
// and says so in no log line: the list is read every 100 ms, as an
// operator's "marketsync members" would read it.
func listed(t *testing.T, c *client.Client, node string, owns bool, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		members, err := c.Cluster().Members(ctx)
		cancel()
		i := slices.IndexFunc(members, func(m client.Member) bool { return m.Name == node })
		if err == nil && i >= 0 && slices.Contains(members[i].Owned, account) == owns {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s's members list does not show it owning %s = %t within %s (members %+v, err %v)", node, account, owns, within, members, err)
		}
		<-tick.C
	}
}

func mustUint(s string) uint64 {
	u, _ := strconv.ParseUint(s, 10, 64)
	return u
}
