package agent

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hashicorp/raft"

	"github.com/marketsync/marketsync/daemon/api"
	"github.com/marketsync/marketsync/daemon/client"
	"github.com/marketsync/marketsync/daemon/cluster"
	"github.com/marketsync/marketsync/daemon/cluster/clustertest"
	"github.com/marketsync/marketsync/daemon/cluster/jobrec"
	"github.com/marketsync/marketsync/daemon/cluster/locks"
	"github.com/marketsync/marketsync/daemon/cluster/membership"
	"github.com/marketsync/marketsync/daemon/cluster/ownership"
)

// busy refuses every lock: ownership of a node that never gets one.
type busy struct{}

func (busy) Acquire(context.Context, string, string, time.Duration, bool) (locks.Lease, error) {
	return locks.Lease{}, locks.ErrBusy
}
func (busy) Renew(context.Context, string, string, uint64) (locks.Lease, error) {
	return locks.Lease{}, locks.ErrNotHolder
}
func (busy) Release(context.Context, string, string, uint64) error { return nil }

// A collect request for an account that no node owns waits ownerHold
// for an owner, then is refused with 503 no_owner; once gossip says
// another node owns it, the request goes to that node's API, and a node
// that owns the account runs the request itself; a request another node
// forwarded is never forwarded again.
func TestCollectGoesToTheAccountsOwner(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t.Cleanup(func() { time.Sleep(time.Minute) }) // let memberlist's probes end in the bubble
		var gossip clustertest.GossipNet
		start := func(name string, join []string) *cluster.Node {
			_, rt := raft.NewInmemTransport(raft.ServerAddress("raft-" + name))
			n, err := cluster.Start(cluster.Config{
				Gossip: membership.Config{NodeName: name, Meta: membership.Meta{Cluster: "t"}, Local: true, Transport: gossip.NewTransport()},
				Join:   join, Server: true, BootstrapExpect: 3, RaftTransport: rt, APIAddr: "api-" + name,
				Logger: slog.New(slog.DiscardHandler),
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { n.Shutdown() })
			return n
		}
		a := start("a", nil)
		b := start("b", []string{a.Membership().Addr()})
		owner := ownership.New(ownership.Config{Node: "a", Resources: []string{"platform/tb"}, Locker: busy{},
			Healthy: func() []string { return []string{"a", "b"} }, Logger: slog.New(slog.DiscardHandler)})
		ag := &Agent{cluster: &agentCluster{node: a, owner: owner, scheme: "http://", selfAddr: "api-a"}}
		live := map[string]*platformEntry{"tb": {}}
		ag.live.Store(&live)

		began := time.Now()
		_, forwarded, err := ag.forwardCollect(t.Context(), client.CollectRequest{Platform: "tb", IDs: []string{"1"}})
		var ae *api.Error
		if !forwarded || !errors.As(err, &ae) || ae.Status != 503 || ae.Code != client.CodeNoOwner {
			t.Fatalf("no owner: forwarded %v, %v", forwarded, err)
		}
		if waited := time.Since(began); waited != ownerHold {
			t.Fatalf("refused after %s, want after the hold of %s", waited, ownerHold)
		}

		if _, forwarded, _ := ag.forwardCollect(t.Context(), client.CollectRequest{Platform: "other"}); forwarded {
			t.Fatal("a platform that is not configured was forwarded; the job manager reports it")
		}

		if err := b.Membership().UpdateMeta(func(m *membership.Meta) { m.Owned = []string{"platform/tb"} }); err != nil {
			t.Fatal(err)
		}
		clustertest.Eventually(t, 30*time.Second, "a hears that b owns tb", func() bool { return ag.cluster.ownerAPI("tb") == "api-b" })
		cl, err := ag.cluster.ownerClient(t.Context(), "tb")
		if err != nil || cl == nil || cl.Address() != "http://api-b" {
			t.Fatalf("owner's client: %v, %v", cl, err)
		}
		// A request b forwarded here (b saw a as the owner) is refused,
		// not sent back to b.
		if cl, err := ag.cluster.ownerClient(api.WithForwardedBy(t.Context(), "b"), "tb"); cl != nil || !errors.As(err, &ae) || ae.Code != client.CodeNoOwner {
			t.Fatalf("a forwarded request was forwarded again: %v, %v", cl, err)
		}

		mine := ownership.New(ownership.Config{Node: "a", Resources: []string{"platform/tb"}, Locker: grantAll{},
			Healthy: func() []string { return []string{"a"} }, Logger: slog.New(slog.DiscardHandler)})
		mine.Step(t.Context())
		ag.cluster.owner = mine
		if cl, err := ag.cluster.ownerClient(t.Context(), "tb"); cl != nil || err != nil {
			t.Fatalf("the owner itself forwards: %v, %v", cl, err)
		}
		if got := mine.Owned(); !slices.Equal(got, []string{"platform/tb"}) {
			t.Fatalf("owned: %v", got)
		}
	})
}

// The job table takes a command only from the account's current lease
// holder: one sent through the API with a token the lock table does not
// show is refused with 409 not_owner, whoever sends it.
func TestJobTableRefusesWritesWithoutTheLease(t *testing.T) {
	if testing.Short() {
		t.Skip("three agents on real loopback transports elect a leader in a few seconds")
	}
	nodes := startTrio(t, false)
	ctx := t.Context()
	lease, err := nodes[1].client.Locks().Acquire(ctx, client.LockRequest{Name: ownership.LockName("platform/tb"), Holder: "node-1", TTLSeconds: 30})
	if err != nil {
		t.Fatal(err)
	}
	create := func(owner string, token uint64) error {
		body, _ := json.Marshal(jobrec.Command{Op: jobrec.OpCreate, ID: "j-" + owner, Platform: "tb", Owner: owner, Token: token, Request: []string{"1"}})
		_, err := nodes[2].client.Cluster().ApplyJobRecord(ctx, body)
		return err
	}
	var ae *client.APIError
	for _, bad := range []struct {
		owner string
		token uint64
	}{{"node-1", lease.Token + 1}, {"node-2", lease.Token}, {"node-1", 0}} {
		if err := create(bad.owner, bad.token); !errors.As(err, &ae) || ae.StatusCode != 409 || ae.Code != client.CodeNotOwner {
			t.Errorf("create by %s with token %d: %v; want 409 not_owner", bad.owner, bad.token, err)
		}
	}
	if err := create("node-1", lease.Token); err != nil {
		t.Fatalf("create by the lease holder, through a follower: %v", err)
	}
	// nodes[0] may be a follower that applies the entry a moment after
	// the leader committed it.
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for deadline := time.Now().Add(10 * time.Second); ; <-tick.C {
		if rec, ok := nodes[0].agent.cluster.node.Jobs().Get("j-node-1"); ok && rec.Owner == "node-1" {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("node-0's table: %+v", rec)
		}
	}
}
