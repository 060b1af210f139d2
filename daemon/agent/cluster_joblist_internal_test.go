package agent

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/marketsync/marketsync/config"
	"github.com/marketsync/marketsync/daemon/api"
	"github.com/marketsync/marketsync/daemon/client"
	"github.com/marketsync/marketsync/daemon/cluster/clustertest"
)

// A node that is not a raft server keeps no replica of the job table:
// its job list is a server's, which lists the cluster's jobs. A request
// another node forwarded, and an agent alone, list their own.
func TestJobListOfANodeThatIsNotAServer(t *testing.T) {
	if testing.Short() {
		t.Skip("three agents on real loopback transports elect a leader in a few seconds: make test-full runs it")
	}
	nodes := startTrio(t, false)
	// Each server's API lists one job (its fake backend's), as every
	// server lists the whole job table.
	for _, n := range nodes {
		n.backend.AddPlatform(client.Platform{Name: "sandbox", Plugin: "sandbox", State: client.PlatformReady, Capabilities: []string{"collect"}})
		if _, err := n.client.Jobs().Collect(t.Context(), client.CollectRequest{Platform: "sandbox", IDs: []string{"1"}}); err != nil {
			t.Fatal(err)
		}
	}
	cfg := config.Default()
	cfg.InMemory, cfg.DataDir = true, t.TempDir()
	cfg.API.Address = "127.0.0.1:1"
	cfg.Cluster = &config.Cluster{Name: "trio", NodeName: "client-0", BindAddr: "127.0.0.1:0", RaftAddr: clustertest.FreeAddr(t),
		Join: []string{nodes[0].agent.cluster.node.Membership().Addr()}, Encrypt: config.Secret("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="),
		LockDelay: time.Second, DeadServerGrace: 30 * time.Second}
	a := &Agent{cfg: cfg, log: slog.New(slog.DiscardHandler)}
	if err := a.setupCluster(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.closeCluster() })
	if a.cluster.node.Jobs() != nil {
		t.Fatal("a node that is not a server keeps the job table")
	}

	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	list, handled, err := a.clusterJobList(ctx, client.JobListOptions{})
	if !handled || err != nil || len(list) != 1 || list[0].Platform != "sandbox" {
		t.Fatalf("the list of a node that is not a server: %+v, %v, %v; want a server's one job", list, handled, err)
	}
	if _, handled, _ := a.clusterJobList(api.WithForwardedBy(ctx, "node-1"), client.JobListOptions{}); handled {
		t.Error("a forwarded list request was passed on")
	}
	if _, handled, _ := nodes[1].agent.clusterJobList(ctx, client.JobListOptions{}); handled {
		t.Error("a server passed its list on")
	}
	if _, handled, _ := (&Agent{}).clusterJobList(ctx, client.JobListOptions{}); handled {
		t.Error("an agent alone passed its list on")
	}
}
