package cluster_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/hashicorp/raft"

	"github.com/marketsync/marketsync/daemon/cluster"
	"github.com/marketsync/marketsync/daemon/cluster/clustertest"
	"github.com/marketsync/marketsync/daemon/cluster/membership"
)

// A server's raft log lives in bbolt under data_dir: after a stop without
// a goodbye and a restart on the same directory, the lock table is back,
// with the same holder and token, and the server does not bootstrap again.
func TestRaftLogSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		t.Cleanup(func() { time.Sleep(time.Minute) })
		var gossip clustertest.GossipNet
		start := func() *cluster.Node {
			_, rt := raft.NewInmemTransport("raft-solo")
			n, err := cluster.Start(cluster.Config{
				Gossip: membership.Config{NodeName: "solo", Meta: membership.Meta{Cluster: "test"}, Local: true, Transport: gossip.NewTransport()},
				Server: true, BootstrapExpect: 1, DataDir: dir, RaftTransport: rt,
				TuneRaft: tuneRaft, Logger: logger(),
			})
			if err != nil {
				t.Fatal(err)
			}
			clustertest.Eventually(t, 10*time.Second, "solo leads", n.LockServiceReady)
			return n
		}
		n := start()
		l, err := n.Locks().Acquire(t.Context(), "account/taobao/main", "node-1", time.Hour, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Shutdown(); err != nil {
			t.Fatal(err)
		}
		n = start()
		defer n.Shutdown()
		got, ok := n.Locks().FSM().Get("account/taobao/main")
		if !ok || got.Holder != "node-1" || got.Token != l.Token {
			t.Fatalf("after restart the lock is %+v (found %v), want holder node-1 token %d", got, ok, l.Token)
		}
		l2, err := n.Locks().Acquire(t.Context(), "other", "node-1", time.Minute, false)
		if err != nil || l2.Token <= l.Token {
			t.Fatalf("a grant after restart: %+v, %v; its token must exceed %d", l2, err, l.Token)
		}
	})
}
