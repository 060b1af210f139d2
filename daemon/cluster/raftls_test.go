package cluster_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/marketsync/marketsync/config/certtest"
	"github.com/marketsync/marketsync/daemon/cluster"
	"github.com/marketsync/marketsync/daemon/cluster/clustertest"
	"github.com/marketsync/marketsync/daemon/cluster/membership"
)

// logWatch keeps the text of each warning or error that contains want and
// wakes awaiters, so that a test waits for a logged reason instead of
// polling.
type logWatch struct {
	slog.Handler
	want    string
	mu      sync.Mutex
	lines   []string
	changed chan struct{}
}

func watchLog(want string) *logWatch {
	return &logWatch{Handler: slog.DiscardHandler, want: want, changed: make(chan struct{}, 1)}
}

func (w *logWatch) Enabled(context.Context, slog.Level) bool { return true }

func (w *logWatch) Handle(_ context.Context, r slog.Record) error {
	if r.Level < slog.LevelWarn {
		return nil
	}
	text := r.Level.String() + " " + r.Message
	r.Attrs(func(a slog.Attr) bool { text += " " + a.String(); return true })
	if strings.Contains(text, w.want) {
		w.mu.Lock()
		w.lines = append(w.lines, text)
		w.mu.Unlock()
		select {
		case w.changed <- struct{}{}:
		default:
		}
	}
	return nil
}

func (w *logWatch) WithAttrs([]slog.Attr) slog.Handler { return w }
func (w *logWatch) WithGroup(string) slog.Handler      { return w }

// await returns the first line logged that also contains every one of
// subs, or fails t.
func (w *logWatch) await(t *testing.T, ctx context.Context, subs ...string) string {
	t.Helper()
	for {
		w.mu.Lock()
		for _, l := range w.lines {
			if !slices.ContainsFunc(subs, func(sub string) bool { return !strings.Contains(l, sub) }) {
				w.mu.Unlock()
				return l
			}
		}
		w.mu.Unlock()
		select {
		case <-w.changed:
		case <-ctx.Done():
			w.mu.Lock()
			defer w.mu.Unlock()
			t.Fatalf("no warning or error logged with %q and %q; those with %q:\n%s", w.want, subs, w.want, strings.Join(w.lines, "\n"))
			return ""
		}
	}
}

// tlsServers starts servers on real loopback raft over mutual TLS (gossip
// stays in memory), one per entry of files, all expecting len(files).
func tlsServers(t *testing.T, files []cluster.RaftTLS, logs []*slog.Logger) []*cluster.Node {
	var gossip clustertest.GossipNet
	var nodes []*cluster.Node
	var join []string
	for i, f := range files {
		gt := gossip.NewTransport()
		n, err := cluster.Start(cluster.Config{
			Gossip: membership.Config{NodeName: fmt.Sprint("node-", i), Meta: membership.Meta{Cluster: "tls"}, Local: true, Transport: gt},
			Join:   join, Server: true, BootstrapExpect: len(files),
			RaftAddr: clustertest.FreeAddr(t), RaftTLS: f,
			TuneRaft: tuneRaft, Logger: logs[i],
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { n.Shutdown() })
		join = []string{gt.Addr()}
		nodes = append(nodes, n)
	}
	return nodes
}

// leaderOf waits for the lock service on whichever of nodes leads.
func leaderOf(t *testing.T, ctx context.Context, nodes ...*cluster.Node) *cluster.Node {
	t.Helper()
	id, err := nodes[0].WaitForLeader(ctx)
	if err != nil {
		t.Fatalf("no raft leader over TLS: %v", err)
	}
	for _, n := range nodes {
		if n.Name() == id {
			if err := n.Locks().WaitLeading(ctx); err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("leader %s is none of the good servers", id)
	return nil
}

// Three servers whose raft speaks mutual TLS elect a leader and grant a
// lock: the grant commits only once a follower stored it, over TLS.
func TestRaftOverMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca := certtest.NewCA(t, dir, "cluster")
	var files []cluster.RaftTLS
	var logs []*slog.Logger
	for i := range 3 {
		cert, key := ca.Issue(t, dir, fmt.Sprint("node-", i))
		files = append(files, cluster.RaftTLS{CertFile: cert, KeyFile: key, CAFile: ca.File})
		logs = append(logs, logger())
	}
	nodes := tlsServers(t, files, logs)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	leader := leaderOf(t, ctx, nodes...)
	l, err := leader.Locks().Acquire(ctx, "erp/orders", "erp-1", time.Minute, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		peers, err := n.RaftPeers()
		if err != nil || len(peers) != 3 {
			t.Fatalf("%s's raft peers: %+v, %v", n.Name(), peers, err)
		}
	}
	if _, err := leader.Locks().Acquire(ctx, "erp/orders", "erp-2", time.Minute, false); err == nil {
		t.Fatal("a second holder was granted the lock")
	}
	if l.Token == 0 {
		t.Fatalf("grant %+v has no fencing token", l)
	}
}

// A server whose certificate another CA signed takes no part: the others
// refuse its connections, logging why, and it refuses theirs, so it never
// learns of the leader or the lock the two good servers commit.
func TestRaftTLSRefusesAnotherCA(t *testing.T) {
	dir := t.TempDir()
	ca, rogue := certtest.NewCA(t, dir, "cluster"), certtest.NewCA(t, dir, "rogue")
	var files []cluster.RaftTLS
	for i := range 2 {
		cert, key := ca.Issue(t, dir, fmt.Sprint("node-", i))
		files = append(files, cluster.RaftTLS{CertFile: cert, KeyFile: key, CAFile: ca.File})
	}
	cert, key := rogue.Issue(t, dir, "node-2")
	files = append(files, cluster.RaftTLS{CertFile: cert, KeyFile: key, CAFile: rogue.File})
	refused := watchLog("mutual TLS")
	logs := []*slog.Logger{slog.New(refused), slog.New(refused), logger()}
	nodes := tlsServers(t, files, logs)

	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	leader := leaderOf(t, ctx, nodes[:2]...)
	if _, err := leader.Locks().Acquire(ctx, "erp/orders", "erp-1", time.Minute, false); err != nil {
		t.Fatal(err)
	}
	refused.await(t, ctx, "certificate signed by unknown authority")

	// A client that does not check the server's certificate, so that the
	// server is the one to judge the client's, is refused too.
	cert2, key2 := rogue.Issue(t, dir, "client")
	pair, err := tls.LoadX509KeyPair(cert2, key2)
	if err != nil {
		t.Fatal(err)
	}
	peers, err := leader.RaftPeers()
	if err != nil {
		t.Fatal(err)
	}
	var leaderAddr string
	for _, p := range peers {
		if p.Leader {
			leaderAddr = p.Address
		}
	}
	// GetClientCertificate shows the certificate although the server asks
	// for one of its own CAs, which Certificates would not.
	conn, err := tls.Dial("tcp", leaderAddr, &tls.Config{InsecureSkipVerify: true,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &pair, nil }})
	if err == nil {
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		_, err = conn.Read(make([]byte, 1))
		conn.Close()
	}
	if ne := (net.Error)(nil); err == nil || errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("a client with another CA's certificate got a connection to raft: %v", err)
	}
	refused.await(t, ctx, "refused a connection that failed mutual TLS", "certificate signed by unknown authority")

	rogueNode := nodes[2]
	if got := rogueNode.Leader(); got != "" {
		t.Errorf("the server with another CA's certificate follows leader %q", got)
	}
	if _, held := rogueNode.Locks().FSM().Get("erp/orders"); held {
		t.Error("the lock was replicated to the server with another CA's certificate")
	}
}

// A peer that speaks plain raft to a TLS raft port gets no answer: the
// handshake fails, the connection is closed and the refusal logged.
func TestRaftTLSRefusesPlaintext(t *testing.T) {
	dir := t.TempDir()
	ca := certtest.NewCA(t, dir, "cluster")
	cert, key := ca.Issue(t, dir, "node-0")
	refused := watchLog("refused a connection that failed mutual TLS")
	nodes := tlsServers(t, []cluster.RaftTLS{{CertFile: cert, KeyFile: key, CAFile: ca.File}}, []*slog.Logger{slog.New(refused)})
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	leaderOf(t, ctx, nodes[0])
	peers, err := nodes[0].RaftPeers()
	if err != nil {
		t.Fatal(err)
	}

	plain, err := raft.NewTCPTransport("127.0.0.1:0", nil, 1, 5*time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	var resp raft.RequestVoteResponse
	err = plain.RequestVote(raft.ServerID(peers[0].ID), raft.ServerAddress(peers[0].Address), &raft.RequestVoteRequest{
		RPCHeader: raft.RPCHeader{ID: []byte("intruder"), Addr: []byte(plain.LocalAddr())}, Term: 1 << 40,
	}, &resp)
	if err == nil {
		t.Fatalf("a plaintext vote request was answered: %+v", resp)
	}
	refused.await(t, ctx, "first record does not look like a TLS handshake")
	if !nodes[0].IsLeader() {
		t.Error("the plaintext vote request with a huge term unseated the leader")
	}
}
