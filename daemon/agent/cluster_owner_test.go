package agent

import (
	"context"
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
// that owns the account runs the request itself.
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
