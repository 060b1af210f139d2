package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/marketsync/marketsync/config"
	"github.com/marketsync/marketsync/daemon/api"
	"github.com/marketsync/marketsync/daemon/api/apitest"
	"github.com/marketsync/marketsync/daemon/client"
	"github.com/marketsync/marketsync/daemon/cluster/clustertest"
)

// An agent without a cluster block starts no gossip and no raft, and its
// cluster and lock routes say it runs alone.
func TestAloneStartsNoCluster(t *testing.T) {
	a := &Agent{cfg: config.Default(), log: slog.New(slog.DiscardHandler)}
	if err := a.setupCluster(t.Context()); err != nil {
		t.Fatal(err)
	}
	if a.cluster != nil || a.clusterSource() != nil {
		t.Fatal("an agent without a cluster block started a cluster node")
	}
	if err := a.closeCluster(); err != nil {
		t.Fatal(err)
	}
	srv := apitest.Serve(t, api.Config{Backend: apitest.NewBackend(), Cluster: a.clusterSource()})
	c, err := client.New(client.Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Cluster().Members(t.Context())
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.StatusCode != 404 || ae.Code != client.CodeNoCluster {
		t.Fatalf("members on a lone agent: %v", err)
	}
	if _, err := c.Locks().Acquire(t.Context(), client.LockRequest{Name: "x", Holder: "y"}); !errors.As(err, &ae) || ae.Code != client.CodeNoCluster {
		t.Fatalf("acquire on a lone agent: %v", err)
	}
}

// trioNode is one agent of a three-server cluster on loopback.
type trioNode struct {
	agent  *Agent
	client *client.Client
	// backend answers the API's routes other than the cluster's.
	backend *apitest.Backend
}

// startTrio starts three server agents on 127.0.0.1 with real gossip
// (UDP and TCP) and raft (TCP) transports, each with its API, and returns
// them with the leader first. durable puts raft's log in its write-ahead log on disk.
func startTrio(t testing.TB, durable bool) []trioNode {
	t.Helper()
	key := "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
	var nodes []trioNode
	join := []string{}
	for i := range 3 {
		ts := httptest.NewUnstartedServer(nil)
		cfg := config.Default()
		cfg.InMemory = !durable
		cfg.DataDir = t.TempDir()
		cfg.API.Address = ts.Listener.Addr().String()
		cfg.Cluster = &config.Cluster{Name: "trio", NodeName: fmt.Sprintf("node-%d", i), BindAddr: "127.0.0.1:0",
			RaftAddr: clustertest.FreeAddr(t), Join: join, Server: true, BootstrapExpect: 3, Encrypt: config.Secret(key),
			LockDelay: time.Second, DeadServerGrace: 30 * time.Second}
		a := &Agent{cfg: cfg, log: slog.New(slog.DiscardHandler)}
		if err := a.setupCluster(t.Context()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.closeCluster() })
		if i == 0 {
			join = []string{a.cluster.node.Membership().Addr()}
		}
		backend := apitest.NewBackend()
		srv, err := api.New(api.Config{Backend: backend, Cluster: a.clusterSource()})
		if err != nil {
			t.Fatal(err)
		}
		ts.Config.Handler = srv
		ts.Start()
		t.Cleanup(ts.Close)
		c, err := client.New(client.Config{Address: ts.URL})
		if err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, trioNode{agent: a, client: c, backend: backend})
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	leader, err := nodes[0].agent.cluster.node.WaitForLeader(ctx)
	if err != nil {
		t.Fatalf("no raft leader: %v", err)
	}
	i := slices.IndexFunc(nodes, func(n trioNode) bool { return n.agent.cluster.node.Name() == leader })
	if err := nodes[i].agent.cluster.node.Locks().WaitLeading(ctx); err != nil {
		t.Fatal(err)
	}
	nodes[0], nodes[i] = nodes[i], nodes[0]
	return nodes
}

// Three agents on loopback: a lock taken through one follower's API is
// held (fencing token and all) when seen through the other's, refused to
// a second holder, renewed and released, every request to a follower
// forwarded to the leader; members and raft peers are listed.
func TestClusterLocksThroughAnyAgent(t *testing.T) {
	if testing.Short() {
		t.Skip("three agents on real loopback transports elect a leader in a few seconds")
	}
	nodes := startTrio(t, false)
	ctx := t.Context()
	f1, f2 := nodes[1].client, nodes[2].client
	lease, err := f1.Locks().Acquire(ctx, client.LockRequest{Name: "erp/orders", Holder: "erp-1", TTLSeconds: 10})
	if err != nil || lease.Token == 0 || lease.Holder != "erp-1" || lease.TTL() != 10*time.Second {
		t.Fatalf("acquire through a follower: %+v, %v", lease, err)
	}
	var ae *client.APIError
	if _, err := f2.Locks().Acquire(ctx, client.LockRequest{Name: "erp/orders", Holder: "erp-2"}); !errors.As(err, &ae) || ae.StatusCode != 409 || ae.Code != client.CodeLockBusy {
		t.Fatalf("second holder: %v", err)
	}
	list, err := f2.Locks().List(ctx)
	if err != nil || len(list) != 1 || list[0].Holder != "erp-1" || list[0].Token != lease.Token {
		t.Fatalf("locks through the other follower: %+v, %v", list, err)
	}
	if _, err := f2.Locks().Renew(ctx, client.LockRequest{Name: "erp/orders", Holder: "erp-1", Token: lease.Token}); err != nil {
		t.Fatal(err)
	}
	if err := f1.Locks().Release(ctx, client.LockRequest{Name: "erp/orders", Holder: "erp-1", Token: lease.Token + 1}); !errors.As(err, &ae) || ae.Code != client.CodeNotLockHolder {
		t.Fatalf("release with a wrong token: %v", err)
	}
	if err := f1.Locks().Release(ctx, client.LockRequest{Name: "erp/orders", Holder: "erp-1", Token: lease.Token}); err != nil {
		t.Fatal(err)
	}
	next, err := f2.Locks().Acquire(ctx, client.LockRequest{Name: "erp/orders", Holder: "erp-2"})
	if err != nil || next.Token <= lease.Token {
		t.Fatalf("after release: %+v, %v; want a token above %d", next, err, lease.Token)
	}

	members, err := f1.Cluster().Members(ctx)
	if err != nil || len(members) != 3 {
		t.Fatalf("members: %+v, %v", members, err)
	}
	for _, m := range members {
		if m.Status != "alive" || !m.Server || m.APIAddr == "" || m.RaftAddr == "" {
			t.Errorf("member %+v", m)
		}
	}
	peers, err := f2.Cluster().RaftPeers(ctx)
	leaders := 0
	for _, p := range peers {
		if p.Leader {
			leaders++
		}
	}
	if err != nil || len(peers) != 3 || leaders != 1 {
		t.Fatalf("raft peers: %+v, %v", peers, err)
	}
}

// BenchmarkClusterLockAcquireRelease takes and releases a lock through the
// leader's agent API on a three-server loopback cluster whose raft log is
// the write-ahead log on disk, one fsync per append batch: two commits per
// iteration, each fsynced on the leader and then on a follower (raft
// writes the leader's log before it replicates). The target is p50 <= 2 ms
// and p99 <= 10 ms; on this 2-core VM at load average 4-4.5 (not quiet:
// other builds ran) three runs gave p50 1.17-1.20 ms, p99 6.2-7.0 ms,
// against 2.3-3.1 ms and 10.6-15 ms with bbolt and a client that closed its
// connection after every request, in the same interleaved runs. Reproduce:
// go test -run '^$' -bench ClusterLockAcquireRelease -benchtime 2000x ./daemon/agent/
func BenchmarkClusterLockAcquireRelease(b *testing.B) {
	nodes := startTrio(b, true)
	c := nodes[0].client
	ctx := context.Background()
	var took []time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		l, err := c.Locks().Acquire(ctx, client.LockRequest{Name: "bench", Holder: fmt.Sprint("h", i%4)})
		if err != nil {
			b.Fatal(err)
		}
		if err := c.Locks().Release(ctx, client.LockRequest{Name: "bench", Holder: l.Holder, Token: l.Token}); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
}
