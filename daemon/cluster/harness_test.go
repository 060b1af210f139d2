package cluster_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/marketsync/marketsync/daemon/cluster"
	"github.com/marketsync/marketsync/daemon/cluster/clustertest"
	"github.com/marketsync/marketsync/daemon/cluster/locks"
	"github.com/marketsync/marketsync/daemon/cluster/membership"
)

var gossipKey = []byte("0123456789abcdef")

// testCluster is servers in one synctest bubble: gossip on a GossipNet,
// raft on its in-memory transport, both of which a test can partition.
type testCluster struct {
	t      *testing.T
	gossip clustertest.GossipNet
	nodes  map[string]*cluster.Node
	rafts  map[string]*raft.InmemTransport
	gaddr  map[string]string // node → gossip address
	first  string
	mu     sync.Mutex      // guards cut and the nodes map against clients' via
	cut    map[string]bool // nodes on the minority side of a partition
	log    *slog.Logger
}

// quiet passes on the cluster package's own records only.
type quiet struct{ slog.Handler }

func (q quiet) Handle(ctx context.Context, r slog.Record) error {
	if strings.HasPrefix(r.Message, "raft:") {
		return nil
	}
	return q.Handler.Handle(ctx, r)
}
func (q quiet) WithAttrs(a []slog.Attr) slog.Handler { return quiet{q.Handler.WithAttrs(a)} }

// logger discards unless CLUSTER_TEST_LOG is set: "all" logs everything,
// anything else the cluster's own records.
func logger() *slog.Logger {
	if v := os.Getenv("CLUSTER_TEST_LOG"); v != "" && v != "all" {
		return slog.New(quiet{slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})})
	}
	if os.Getenv("CLUSTER_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// failLog keeps the cluster's own records of a test in memory and prints
// them only if the test fails, so a rare failure comes with its story
// without slowing every run.
type failLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (f *failLog) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.buf.Write(p)
}

func newCluster(t *testing.T) *testCluster {
	// Runs last: memberlist's Shutdown does not wait for a probe that is
	// waiting out its timeout, and a bubble's clock stops once the test
	// returns; move it on so that those goroutines end.
	t.Cleanup(func() { time.Sleep(time.Minute) })
	c := &testCluster{t: t, nodes: map[string]*cluster.Node{}, rafts: map[string]*raft.InmemTransport{}, gaddr: map[string]string{}}
	if os.Getenv("CLUSTER_TEST_LOG") == "" {
		var fl failLog
		c.log = slog.New(quiet{slog.NewTextHandler(&fl, &slog.HandlerOptions{Level: slog.LevelInfo})})
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("cluster log:\n%s", fl.buf.String())
			}
		})
	} else {
		c.log = logger()
	}
	return c
}

// tuneRaft shortens raft's timeouts; in a bubble they cost no real time,
// but fewer ticks cost less CPU.
func tuneRaft(c *raft.Config) {
	c.HeartbeatTimeout = 500 * time.Millisecond
	c.ElectionTimeout = 500 * time.Millisecond
	c.LeaderLeaseTimeout = 250 * time.Millisecond
	c.CommitTimeout = 10 * time.Millisecond
}

// start adds a node; it joins the first node started.
func (c *testCluster) start(name string, server bool, expect int, opts ...func(*cluster.Config)) *cluster.Node {
	c.t.Helper()
	gt := c.gossip.NewTransport()
	_, rt := raft.NewInmemTransport(raft.ServerAddress("raft-" + name))
	for other, ot := range c.rafts {
		rt.Connect(ot.LocalAddr(), ot)
		ot.Connect(rt.LocalAddr(), rt)
		_ = other
	}
	cfg := cluster.Config{
		Gossip: membership.Config{
			NodeName: name, Meta: membership.Meta{Cluster: "test"}, Keys: [][]byte{gossipKey},
			Local: true, Transport: gt,
		},
		Server: server, BootstrapExpect: expect, RaftTransport: rt,
		APIAddr: "api-" + name, LockDelay: 2 * time.Second, DeadServerGrace: 10 * time.Second,
		TuneRaft: tuneRaft, Logger: c.log.With("node", name),
	}
	if c.first != "" {
		cfg.Join = []string{c.gaddr[c.first]}
	} else {
		c.first = name
	}
	for _, o := range opts {
		o(&cfg)
	}
	n, err := cluster.Start(cfg)
	if err != nil {
		c.t.Fatal(err)
	}
	c.mu.Lock()
	c.nodes[name], c.rafts[name], c.gaddr[name] = n, rt, gt.Addr()
	c.mu.Unlock()
	c.t.Cleanup(func() { n.Shutdown() })
	return n
}

// servers starts n servers that expect n, and waits for gossip to
// converge: every node sees every other alive.
func (c *testCluster) servers(names ...string) {
	for _, name := range names {
		c.start(name, true, len(names))
	}
	clustertest.Eventually(c.t, 60*time.Second, "gossip converges", func() bool {
		for _, n := range c.nodes {
			if len(n.Membership().Alive()) != len(c.nodes) {
				return false
			}
		}
		return true
	})
}

// leader waits for a leader that every live node agrees on and returns it.
func (c *testCluster) leader() *cluster.Node {
	c.t.Helper()
	var leader *cluster.Node
	clustertest.Eventually(c.t, 30*time.Second, "one raft leader", func() bool {
		leader = nil
		for _, n := range c.nodes {
			if n.Locks() != nil && n.IsLeader() {
				if leader != nil {
					return false
				}
				leader = n
			}
		}
		return leader != nil && leader.LockServiceReady()
	})
	return leader
}

// partition cuts gossip and raft between the named nodes and the rest.
func (c *testCluster) partition(minority ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	in := map[string]bool{}
	c.cut = in
	var a, b []string
	for _, name := range minority {
		in[name] = true
		a = append(a, c.gaddr[name])
	}
	for name := range c.nodes {
		if !in[name] {
			b = append(b, c.gaddr[name])
		}
	}
	c.gossip.Partition(a, b)
	for x, xt := range c.rafts {
		for y, yt := range c.rafts {
			if in[x] != in[y] {
				xt.Disconnect(yt.LocalAddr())
			}
		}
	}
}

// heal restores every link.
func (c *testCluster) heal() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cut = nil
	c.gossip.Heal()
	for x, xt := range c.rafts {
		for y, yt := range c.rafts {
			if x != y {
				xt.Connect(yt.LocalAddr(), yt)
			}
		}
	}
}

// kill stops a node without a goodbye and cuts it off raft.
func (c *testCluster) kill(name string) {
	c.nodes[name].Shutdown()
	for y, yt := range c.rafts {
		if y != name {
			yt.Disconnect(c.rafts[name].LocalAddr())
		}
	}
	c.mu.Lock()
	delete(c.nodes, name)
	c.mu.Unlock()
}

func svc(n *cluster.Node) *locks.Service { return n.Locks() }

// via is the lock service a client next to node from reaches: the leader
// as from sees it when on the same side of any partition, else from's
// own, which will say it is not the leader.
func (c *testCluster) via(from string) *locks.Service {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.nodes[from]
	if n == nil {
		return nil
	}
	if l := c.nodes[n.Leader()]; l != nil && c.cut[from] == c.cut[l.Name()] {
		return l.Locks()
	}
	return n.Locks()
}
