package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/hashicorp/raft"

	"github.com/marketsync/marketsync/daemon/cluster/jobrec"
	"github.com/marketsync/marketsync/daemon/cluster/locks"
	"github.com/marketsync/marketsync/daemon/cluster/logbridge"
	"github.com/marketsync/marketsync/daemon/cluster/membership"
)

// DefaultDeadServerGrace is how long a server may stay failed before the
// leader removes it from the raft configuration. It outlasts a reboot, so
// a restarting server keeps its seat, and is short enough that a lost one
// stops counting against the quorum within a minute.
const DefaultDeadServerGrace = 30 * time.Second

// Config configures a Node.
type Config struct {
	// Gossip configures the membership layer; NodeName and Meta.Cluster
	// name the node and its cluster.
	Gossip membership.Config
	// Join lists gossip addresses to join, retried with backoff until
	// one answers.
	Join []string
	// Server makes the node a raft voter that serves the lock service.
	Server bool
	// BootstrapExpect is how many servers must be seen through gossip
	// before raft bootstraps; every server must agree on it. 0 joins an
	// existing cluster instead.
	BootstrapExpect int
	// DataDir holds raft's write-ahead log and snapshots under raft/;
	// empty keeps them in memory, for tests.
	DataDir string
	// RaftAddr is the raft address peers dial; with no RaftTransport, a
	// TCP transport listens on it, over mutual TLS when RaftTLS is set.
	RaftAddr      string
	RaftTransport raft.Transport
	RaftTLS       RaftTLS
	// APIAddr is this agent's HTTP API, gossiped so that other nodes can
	// forward lock requests to the leader.
	APIAddr string
	Version string
	// LockDelay follows a lost lock holder (see locks.DefaultLockDelay);
	// locks whose names start with NoDelayPrefix have none.
	LockDelay     time.Duration
	NoDelayPrefix string
	// DeadServerGrace: see DefaultDeadServerGrace.
	DeadServerGrace time.Duration
	// TuneRaft adjusts raft's configuration last, for tests.
	TuneRaft func(*raft.Config)
	Logger   *slog.Logger
}

// Node is this agent as a member of a cluster.
type Node struct {
	cfg     Config
	log     *slog.Logger
	members *membership.Membership

	// Server nodes only.
	raft    *raft.Raft
	locks   *locks.Service
	jobs    *jobrec.FSM
	logs    raft.LogStore
	stable  raft.StableStore
	snaps   raft.SnapshotStore
	closers []io.Closer

	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu           sync.Mutex
	bootstrapped bool
	problem      string // why bootstrap waits, when it is a misconfiguration
	failedSince  map[string]time.Time
}

// Start joins the gossip pool and, on a server, starts raft and the lock
// service. Joining the configured peers goes on in the background.
func Start(cfg Config) (*Node, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.DeadServerGrace == 0 {
		cfg.DeadServerGrace = DefaultDeadServerGrace
	}
	n := &Node{cfg: cfg, log: cfg.Logger.With("component", "cluster"), failedSince: map[string]time.Time{}}
	cfg.Gossip.Meta.Server, cfg.Gossip.Meta.BootstrapExpect = cfg.Server, cfg.BootstrapExpect
	cfg.Gossip.Meta.APIAddr, cfg.Gossip.Meta.Version = cfg.APIAddr, cfg.Version
	if cfg.Gossip.Logger == nil {
		cfg.Gossip.Logger = cfg.Logger
	}
	if cfg.Server {
		if err := n.startRaft(); err != nil {
			n.closeStores()
			return nil, err
		}
		cfg.Gossip.Meta.RaftAddr = n.cfg.RaftAddr
	}
	m, err := membership.New(cfg.Gossip)
	if err != nil {
		n.stopRaft()
		return nil, err
	}
	n.members = m
	ctx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	if len(cfg.Join) > 0 {
		n.wg.Go(func() {
			if _, err := m.Join(ctx, cfg.Join); err != nil && ctx.Err() == nil {
				n.log.Error("could not join the cluster", "join", cfg.Join, "err", err)
			}
		})
	}
	if cfg.Server {
		n.wg.Go(func() { n.run(ctx) })
	}
	return n, nil
}

func (n *Node) startRaft() error {
	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(n.cfg.Gossip.NodeName)
	rc.Logger = logbridge.HCLog("raft", n.log)
	if n.cfg.TuneRaft != nil {
		n.cfg.TuneRaft(rc)
	}
	if n.cfg.DataDir == "" {
		store := raft.NewInmemStore()
		n.logs, n.stable, n.snaps = store, store, raft.NewInmemSnapshotStore()
	} else {
		dir := filepath.Join(n.cfg.DataDir, "raft")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		// The write-ahead log fsyncs every append batch before raft
		// acknowledges it: an entry a server acknowledged survives kill -9
		// and power loss.
		wal, err := openRaftLog(dir, n.log)
		if err != nil {
			return err
		}
		n.closers = append(n.closers, wal)
		cache, err := raft.NewLogCache(512, wal)
		if err != nil {
			return err
		}
		snaps, err := raft.NewFileSnapshotStoreWithLogger(dir, 2, rc.Logger)
		if err != nil {
			return fmt.Errorf("raft snapshots in %s: %w", dir, err)
		}
		n.logs, n.stable, n.snaps = cache, wal, snaps
	}
	trans := n.cfg.RaftTransport
	if trans != nil {
		n.cfg.RaftAddr = string(trans.LocalAddr())
	} else {
		addr, err := net.ResolveTCPAddr("tcp", n.cfg.RaftAddr)
		if err != nil {
			return fmt.Errorf("raft address %q: %w", n.cfg.RaftAddr, err)
		}
		var t *raft.NetworkTransport
		if n.cfg.RaftTLS.Enabled() {
			var stream *tlsStreamLayer
			if stream, err = newTLSStreamLayer(n.cfg.RaftAddr, addr, n.cfg.RaftTLS, n.log); err == nil {
				t = raft.NewNetworkTransportWithLogger(stream, 3, 10*time.Second, rc.Logger)
			}
		} else {
			t, err = raft.NewTCPTransportWithLogger(n.cfg.RaftAddr, addr, 3, 10*time.Second, rc.Logger)
		}
		if err != nil {
			return fmt.Errorf("raft transport on %s: %w", n.cfg.RaftAddr, err)
		}
		trans = t
		n.closers = append(n.closers, t)
	}
	n.jobs = jobrec.NewFSM()
	lockFSM := locks.NewFSM()
	r, err := raft.NewRaft(rc, &fsm{locks: lockFSM, jobs: n.jobs}, n.logs, n.stable, n.snaps, trans)
	if err != nil {
		return fmt.Errorf("start raft: %w", err)
	}
	n.raft = r
	n.locks = locks.NewService(r, lockFSM, locks.Config{LockDelay: n.cfg.LockDelay, NoDelayPrefix: n.cfg.NoDelayPrefix, Logger: n.cfg.Logger})
	return nil
}

// run is a server's control loop: bootstrap once enough servers are seen,
// then, while leader, serve lock timers and keep the raft configuration in
// step with gossip.
func (n *Node) run(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	leading := false
	setLeading := func(now bool) {
		if now == leading {
			return
		}
		leading = now
		if !now {
			n.locks.LeadershipLost()
			n.log.Info("lost raft leadership")
			return
		}
		if err := n.locks.LeadershipGained(); err != nil {
			n.log.Error("leader could not start the lock service", "err", err)
			leading = false
			return
		}
		n.log.Info("raft leader", "node", n.cfg.Gossip.NodeName)
		n.reconcile()
	}
	n.maybeBootstrap()
	for {
		select {
		case <-ctx.Done():
			return
		case <-n.raft.LeaderCh():
			setLeading(n.raft.State() == raft.Leader)
		case ev := <-n.members.Events():
			if ev.Kind != membership.Updated {
				n.log.Info("member "+string(ev.Member.Status), "member", ev.Member.Name, "addr", ev.Member.Addr, "server", ev.Member.Meta.Server)
			}
			n.maybeBootstrap()
			if leading {
				n.reconcile()
			}
		case <-tick.C:
			// LeaderCh drops signals a slow reader missed; the state is
			// the truth.
			setLeading(n.raft.State() == raft.Leader)
			n.maybeBootstrap()
			if leading {
				n.reconcile()
			}
		}
	}
}

// maybeBootstrap bootstraps raft once bootstrap_expect servers of this
// cluster are alive in gossip and agree on bootstrap_expect, as Consul's
// maybeBootstrap does. Every such server bootstraps with the same server
// list, so they form one configuration.
func (n *Node) maybeBootstrap() {
	n.mu.Lock()
	done := n.bootstrapped
	n.mu.Unlock()
	if done || n.cfg.BootstrapExpect == 0 {
		return
	}
	if has, err := raft.HasExistingState(n.logs, n.stable, n.snaps); err != nil || has {
		if err != nil {
			n.log.Error("cannot read raft state", "err", err)
			return
		}
		n.setBootstrapped()
		return
	}
	var servers []raft.Server
	for _, m := range n.members.Alive() {
		if !m.Meta.Server {
			continue
		}
		if m.Meta.BootstrapExpect != n.cfg.BootstrapExpect {
			n.setProblem(fmt.Sprintf("server %s has bootstrap_expect = %d, this one %d: every server must expect the same number; not bootstrapping",
				m.Name, m.Meta.BootstrapExpect, n.cfg.BootstrapExpect))
			return
		}
		servers = append(servers, raft.Server{Suffrage: raft.Voter, ID: raft.ServerID(m.Name), Address: raft.ServerAddress(m.Meta.RaftAddr)})
	}
	if len(servers) < n.cfg.BootstrapExpect {
		n.setProblem("")
		return
	}
	err := n.raft.BootstrapCluster(raft.Configuration{Servers: servers}).Error()
	if err != nil && !errors.Is(err, raft.ErrCantBootstrap) {
		n.log.Error("raft bootstrap failed", "err", err)
		return
	}
	n.log.Info("raft bootstrapped", "servers", len(servers))
	n.setBootstrapped()
}

func (n *Node) setBootstrapped() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.bootstrapped, n.problem = true, ""
}

func (n *Node) setProblem(p string) {
	n.mu.Lock()
	changed := p != n.problem
	n.problem = p
	n.mu.Unlock()
	if changed && p != "" {
		n.log.Error(p)
	}
}

// Problem says what keeps this server from bootstrapping, when it is a
// misconfiguration such as a bootstrap_expect disagreement; "" otherwise.
func (n *Node) Problem() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.problem
}

// reconcile, on the leader, adds alive servers that are not voters yet and
// removes servers that left, or failed longer ago than the grace period,
// as long as the removals leave a quorum of the remaining voters healthy
// (autopilot's dead-server cleanup).
func (n *Node) reconcile() {
	f := n.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		n.log.Warn("read raft configuration", "err", err)
		return
	}
	voters := map[raft.ServerID]raft.Server{}
	for _, s := range f.Configuration().Servers {
		voters[s.ID] = s
	}
	members := map[raft.ServerID]membership.Member{}
	for _, m := range n.members.Members() {
		if m.Meta.Server {
			members[raft.ServerID(m.Name)] = m
		}
	}
	now := time.Now()
	var remove []raft.ServerID
	for id, m := range members {
		_, isVoter := voters[id]
		switch {
		case m.Status == membership.Alive && !isVoter:
			n.log.Info("adding server to raft", "server", id, "addr", m.Meta.RaftAddr)
			if err := n.raft.AddVoter(id, raft.ServerAddress(m.Meta.RaftAddr), 0, 10*time.Second).Error(); err != nil {
				n.log.Warn("add raft voter", "server", id, "err", err)
			}
		case m.Status == membership.Alive:
			delete(n.failedSince, string(id))
		case isVoter && m.Status == membership.Left:
			remove = append(remove, id)
		case isVoter && m.Status == membership.Failed:
			since, ok := n.failedSince[string(id)]
			if !ok {
				n.failedSince[string(id)] = now
				since = now
			}
			if now.Sub(since) >= n.cfg.DeadServerGrace {
				remove = append(remove, id)
			}
		}
	}
	if len(remove) == 0 {
		return
	}
	if healthy := len(voters) - len(remove); healthy < len(voters)/2+1 {
		n.log.Warn("not removing dead servers: too few would be left for a quorum", "dead", remove, "voters", len(voters))
		return
	}
	for _, id := range remove {
		if id == raft.ServerID(n.cfg.Gossip.NodeName) {
			continue
		}
		n.log.Warn("removing dead server from raft", "server", id, "grace", n.cfg.DeadServerGrace)
		start := time.Now()
		err := n.raft.RemoveServer(id, 0, 10*time.Second).Error()
		n.log.Debug("remove raft server done", "server", id, "took", time.Since(start), "err", err)
		if err != nil {
			n.log.Warn("remove raft server", "server", id, "err", err)
			continue
		}
		delete(n.failedSince, string(id))
	}
}

// Name is this node's name.
func (n *Node) Name() string { return n.cfg.Gossip.NodeName }

// Membership is this node's gossip view.
func (n *Node) Membership() *membership.Membership { return n.members }

// Locks is the lock service; nil on a node that is not a server.
func (n *Node) Locks() *locks.Service { return n.locks }

// Peer is one server of the raft configuration.
type Peer struct {
	ID      string
	Address string
	Leader  bool
	Voter   bool
}

// RaftPeers lists the raft configuration as this server knows it.
func (n *Node) RaftPeers() ([]Peer, error) {
	if n.raft == nil {
		return nil, errors.New("this node is not a server: it runs no raft")
	}
	f := n.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return nil, err
	}
	_, leader := n.raft.LeaderWithID()
	var out []Peer
	for _, s := range f.Configuration().Servers {
		out = append(out, Peer{ID: string(s.ID), Address: string(s.Address), Leader: s.ID == leader, Voter: s.Suffrage == raft.Voter})
	}
	return out, nil
}

// LeaderAPI is the HTTP API address of the raft leader, from gossip, or
// "" when there is no leader or it did not say.
func (n *Node) LeaderAPI() string {
	if n.raft == nil {
		for _, m := range n.members.Alive() {
			if m.Meta.Server && m.Meta.APIAddr != "" {
				return m.Meta.APIAddr // a server forwards on to the leader
			}
		}
		return ""
	}
	_, id := n.raft.LeaderWithID()
	for _, m := range n.members.Alive() {
		if m.Name == string(id) {
			return m.Meta.APIAddr
		}
	}
	return ""
}

// Leave leaves the cluster gracefully: gossip says goodbye, so the leader
// removes this server at once instead of after the grace period.
func (n *Node) Leave(timeout time.Duration) error {
	n.cancel()
	n.wg.Wait()
	err := n.members.Leave(timeout)
	return errors.Join(err, n.stopRaft())
}

// Shutdown stops the node without a goodbye, as a crash would look to the
// others.
func (n *Node) Shutdown() error {
	n.cancel()
	n.wg.Wait()
	err := n.members.Shutdown()
	return errors.Join(err, n.stopRaft())
}

func (n *Node) stopRaft() error {
	if n.raft == nil {
		return nil
	}
	n.locks.LeadershipLost()
	err := n.raft.Shutdown().Error()
	return errors.Join(err, n.closeStores())
}

func (n *Node) closeStores() error {
	var err error
	for _, c := range n.closers {
		err = errors.Join(err, c.Close())
	}
	n.closers = nil
	return err
}

// IsLeader says whether this server is the raft leader.
func (n *Node) IsLeader() bool { return n.raft != nil && n.raft.State() == raft.Leader }

// LockServiceReady says whether this server leads and serves locks.
func (n *Node) LockServiceReady() bool { return n.locks != nil && n.locks.Leading() }

// Leader is the raft leader's node name as this server sees it, or "".
func (n *Node) Leader() string {
	if n.raft == nil {
		return ""
	}
	_, id := n.raft.LeaderWithID()
	return string(id)
}

// WaitForLeader returns the leader's node name once this server knows
// one, or ctx's error. It waits on raft's leader observations, not a poll.
func (n *Node) WaitForLeader(ctx context.Context) (string, error) {
	if n.raft == nil {
		return "", errors.New("this node is not a server: it runs no raft")
	}
	ch := make(chan raft.Observation, 8)
	obs := raft.NewObserver(ch, false, func(o *raft.Observation) bool {
		_, ok := o.Data.(raft.LeaderObservation)
		return ok
	})
	n.raft.RegisterObserver(obs)
	defer n.raft.DeregisterObserver(obs)
	for {
		if id := n.Leader(); id != "" {
			return id, nil
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-ch:
		}
	}
}

// ErrNotServer: the node runs no raft, so it holds no job table.
var ErrNotServer = errors.New("this node is not a server: it runs no raft")

// Jobs is this server's replica of the job table; nil on a node that is
// not a server.
func (n *Node) Jobs() *jobrec.FSM { return n.jobs }

// ApplyJob commits a job table command on the leader and returns what it
// did; a NotLeaderError when this server does not lead.
func (n *Node) ApplyJob(cmd jobrec.Command, timeout time.Duration) (jobrec.Result, error) {
	if n.raft == nil {
		return jobrec.Result{}, ErrNotServer
	}
	if n.raft.State() != raft.Leader {
		addr, _ := n.raft.LeaderWithID()
		return jobrec.Result{}, &locks.NotLeaderError{Leader: string(addr)}
	}
	b, err := jobrec.Encode(cmd)
	if err != nil {
		return jobrec.Result{}, err
	}
	f := n.raft.Apply(b, timeout)
	if err := f.Error(); err != nil {
		if errors.Is(err, raft.ErrNotLeader) || errors.Is(err, raft.ErrLeadershipLost) || errors.Is(err, raft.ErrLeadershipTransferInProgress) {
			return jobrec.Result{}, &locks.NotLeaderError{}
		}
		return jobrec.Result{}, fmt.Errorf("commit job record: %w", err)
	}
	switch r := f.Response().(type) {
	case jobrec.Result:
		return r, nil
	case error:
		return jobrec.Result{}, r
	default:
		return jobrec.Result{}, fmt.Errorf("job table answered %T", r)
	}
}
