package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/marketsync/marketsync/config"
	"github.com/marketsync/marketsync/daemon/api"
	"github.com/marketsync/marketsync/daemon/client"
	"github.com/marketsync/marketsync/daemon/cluster"
	"github.com/marketsync/marketsync/daemon/cluster/locks"
	"github.com/marketsync/marketsync/daemon/cluster/membership"
	"github.com/marketsync/marketsync/daemon/cluster/ownership"
	"github.com/marketsync/marketsync/daemon/version"
)

// agentCluster is the agent as a cluster node: gossip, raft on a server,
// the lock service and the ownership of its platform accounts. It serves
// /v1/cluster and /v1/locks; a node that is not the leader forwards lock
// requests to the leader's agent API, so any agent answers them.
type agentCluster struct {
	node  *cluster.Node
	owner *ownership.Owner
	stop  context.CancelFunc
	done  chan struct{}
	// forward is how this node dials the other agents' APIs (token and
	// TLS files; the address is set per request), scheme their scheme.
	forward  client.Config
	scheme   string
	selfAddr string
	// gained hears that the owned set changed; jobs is the replicated
	// job table's side of the agent (cluster_jobs.go).
	gained chan struct{}
	jobs   *clusterJobs
	// syncRuns remembers where the sync runs this node forwarded run
	// (cluster_sync.go).
	syncRuns forwardedRuns
	log      *slog.Logger
	// apart are the alive members whose ownership digest differs from
	// this node's, as last logged (agreeingMembers).
	apartMu sync.Mutex
	apart   []string
}

// ownerTTL is the lease on a platform account; the owner renews it every
// third of it. With the lease, memberlist's failure detection (see
// package membership) and one ownership step, a dead owner's jobs resume
// on the next owner within about 3 to 5 s, 7 to 8 s when it also led
// raft (an election, after which the new leader gives every lease a full
// TTL): the README's failover figures. A shorter lease
// would cost renewals and risk losing ownership over a GC pause or a
// slow disk; fencing makes a late holder harmless, not a flapping one.
const ownerTTL = 4 * time.Second

// setupCluster joins the cluster when the configuration has a cluster
// block; without one it does nothing, and the agent runs alone.
func (a *Agent) setupCluster(ctx context.Context) error {
	cc := a.cfg.Cluster
	if cc == nil {
		return nil
	}
	gossipHost, gossipPort, err := splitPort(cc.BindAddr)
	if err != nil {
		return err
	}
	advHost, advPort := "", 0
	if cc.AdvertiseAddr != "" {
		if advHost, advPort, err = splitPort(cc.AdvertiseAddr); err != nil {
			return err
		}
	}
	dataDir := ""
	if !a.cfg.InMemory {
		dataDir = filepath.Join(a.cfg.DataDir, "cluster")
	}
	apiAddr := advertisedAPI(a.cfg.API.Address, cmpOr(advHost, gossipHost))
	node, err := cluster.Start(cluster.Config{
		Gossip: membership.Config{
			NodeName: cc.NodeName, BindAddr: gossipHost, BindPort: gossipPort,
			AdvertiseAddr: advHost, AdvertisePort: advPort,
			Keys: cc.GossipKeys(), Meta: membership.Meta{Cluster: cc.Name},
		},
		Join: cc.Join, Server: cc.Server, BootstrapExpect: cc.BootstrapExpect,
		DataDir: dataDir, RaftAddr: cc.RaftAddr, RaftTLS: cluster.RaftTLS(cc.TLS), APIAddr: apiAddr, Version: version.Version,
		LockDelay: lockDelay(cc), NoDelayPrefix: ownership.LockName(""), DeadServerGrace: cc.DeadServerGrace,
		Logger: a.log,
	})
	if err != nil {
		return err
	}
	if len(cc.GossipKeys()) == 0 {
		a.log.Warn("cluster gossip is not encrypted: set cluster.encrypt to a key from \"openssl rand -base64 32\"")
	}
	fwd := forwardConfig(a.cfg.API, cc)
	fwd.ForwardedBy = cc.NodeName
	c := &agentCluster{node: node, done: make(chan struct{}), forward: fwd,
		scheme: "http://", selfAddr: apiAddr, gained: make(chan struct{}, 1), log: a.log}
	if a.cfg.API.TLS.Enabled() {
		c.scheme = "https://"
	}
	// Load the TLS files now: a bad one is a start-up error, not a
	// failure of every forwarded request.
	if _, err := c.dial(apiAddr); err != nil {
		node.Shutdown()
		return fmt.Errorf("cluster: forwarding lock requests: %w", err)
	}
	if c.tokenInClear(advHost, gossipHost) {
		a.log.Warn("forwarded lock requests carry an API token to other machines over plain http; set api.tls (and cluster.api_ca_file) so it does not cross the network in clear")
	}
	c.owner = ownership.New(ownership.Config{
		Node: cc.NodeName, Resources: ownedResources(a.cfg.Platforms), Together: ownedTogether(a.cfg.Syncs),
		Locker: forwardingLocker{c}, TTL: ownerTTL,
		Healthy: c.agreeingMembers,
		Changed: func(owned []string) {
			if err := node.Membership().UpdateMeta(func(m *membership.Meta) { m.Owned = owned }); err != nil {
				a.log.Warn("could not gossip the owned accounts", "err", err)
			}
			// Resume the jobs of an account taken over now, not at the
			// next tick of the loop that adopts them.
			select {
			case c.gained <- struct{}{}:
			default:
			}
		},
		Logger: a.log,
	})
	c.gossipOwnership()
	octx, stop := context.WithCancel(context.Background())
	c.stop = stop
	go func() {
		defer close(c.done)
		c.owner.Run(octx)
	}()
	a.cluster = c
	a.log.Info("cluster node started", "node", cc.NodeName, "cluster", cc.Name, "server", cc.Server,
		"gossip", node.Membership().Addr(), "raft", cc.RaftAddr, "join", cc.Join)
	return nil
}

// ownedResources are the ownership resources of the platform accounts.
func ownedResources(platforms []config.Platform) []string {
	var out []string
	for _, p := range platforms {
		out = append(out, platformResource(p.Name))
	}
	return out
}

// ownedTogether are the accounts one node must own at once: each sync
// pipeline's source and target. A pipeline runs on its target's owner
// and reads the products of that node's own catalogue, which collects
// fill on the source's owner; ranked as one group, both accounts are
// preferred on the same node and move to the same runner-up.
func ownedTogether(syncs []config.Sync) [][]string {
	var out [][]string
	for _, s := range syncs {
		out = append(out, []string{platformResource(s.Source), platformResource(s.Target)})
	}
	return out
}

// reloadCluster hands the platforms and pipelines of a reloaded
// configuration to ownership: added accounts get an owner, removed ones
// are released, and accounts a pipeline now joins are ranked as one.
func (a *Agent) reloadCluster(next *config.Config) {
	if a.cluster != nil {
		a.cluster.owner.SetResources(ownedResources(next.Platforms), ownedTogether(next.Syncs))
		a.cluster.gossipOwnership()
	}
}

// closeCluster hands over owned accounts and leaves the cluster.
func (a *Agent) closeCluster() error {
	c := a.cluster
	if c == nil {
		return nil
	}
	// Jobs checkpoint what is in flight while this node still owns
	// their accounts; the next owners resume them from the records.
	c.drainJobs(a)
	c.stop()
	<-c.done
	return c.node.Leave(5 * time.Second)
}

// clusterSource serves /v1/cluster and /v1/locks, or nothing alone.
func (a *Agent) clusterSource() api.ClusterSource {
	if a.cluster == nil {
		return nil
	}
	return a.cluster
}

func lockDelay(cc *config.Cluster) time.Duration {
	if cc.LockDelay == 0 {
		return -1 // "0s": off
	}
	return cc.LockDelay
}

func splitPort(addr string) (string, int, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	var p int
	_, err = fmt.Sscan(port, &p)
	return host, p, err
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// advertisedAPI is the API address other agents dial: the API's own, with
// the cluster's host when the API listens on every interface.
func advertisedAPI(apiAddr, host string) string {
	h, port, err := net.SplitHostPort(apiAddr)
	if err != nil {
		return apiAddr
	}
	if ip := net.ParseIP(h); h == "" || ip != nil && ip.IsUnspecified() {
		h = host
	}
	return net.JoinHostPort(h, port)
}

// forwardConfig is how a node dials the other agents' APIs: the
// least-privileged token that may take locks, and the cluster block's
// TLS files.
func forwardConfig(a config.API, cc *config.Cluster) client.Config {
	return client.Config{Token: forwardToken(a), CACert: cc.APICAFile, ClientCert: cc.APICertFile, ClientKey: cc.APIKeyFile}
}

// forwardToken is the token a forwarded lock request carries: a "write"
// scoped token if there is one, since locks need no more, else an
// "operator" one, else the API's full token.
func forwardToken(a config.API) string {
	for _, scope := range []string{"write", "operator"} {
		for _, t := range a.Tokens {
			if t.Scope == scope {
				return t.Secret.Reveal()
			}
		}
	}
	return a.Token.Reveal()
}

// tokenInClear says whether forwarded requests carry a token over plain
// http to other machines: the cluster's gossip host, advertised or bound,
// is not on loopback.
func (c *agentCluster) tokenInClear(adv, bind string) bool {
	h := cmpOr(adv, bind)
	ip := net.ParseIP(h)
	return c.scheme == "http://" && c.forward.Token != "" && h != "localhost" && (ip == nil || !ip.IsLoopback())
}

// dial is a client of the agent API at addr.
func (c *agentCluster) dial(addr string) (*client.Client, error) {
	cfg := c.forward
	cfg.Address = c.scheme + addr
	return client.New(cfg)
}

// leaderHold is how long a request waits for this node to learn of a
// leader before it is refused, as Consul holds RPCs during an election
// (rpc_hold_timeout): a follower learns the leader's API address through
// gossip a moment after raft elects it.
const leaderHold = 5 * time.Second

// leaderClient is a client of the agent API that can serve a lock request
// this node cannot: the leader's, or for a node that is not a server, a
// server's (which forwards on). It waits up to leaderHold, or ctx's end,
// for a leader to be known.
func (c *agentCluster) leaderClient(ctx context.Context) (*client.Client, error) {
	addr := c.node.LeaderAPI()
	if addr == "" || addr == c.selfAddr {
		hold := time.NewTimer(leaderHold)
		defer hold.Stop()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for addr == "" || addr == c.selfAddr {
			select {
			case <-ctx.Done():
				return nil, api.NoLeader("no leader is known to this node")
			case <-hold.C:
				return nil, api.NoLeader("no leader is known to this node (waited " + leaderHold.String() + ")")
			case <-tick.C:
				if c.local() != nil {
					// This server was elected meanwhile: it answers
					// through its own API.
					return c.dial(c.selfAddr)
				}
				addr = c.node.LeaderAPI()
			}
		}
	}
	return c.dial(addr)
}

// local is this node's lock service when it can answer: it is the leader.
func (c *agentCluster) local() *locks.Service {
	if s := c.node.Locks(); s != nil && c.node.IsLeader() {
		return s
	}
	return nil
}

// unreachable is the error of a request forwarded to the leader that got
// no answer from it (a partition, the leader gone): no leader this node
// can reach, which a client retries elsewhere, rather than an internal
// error. The leader's own answers pass through.
func unreachable(err error) error {
	var ae *client.APIError
	if err == nil || errors.As(err, &ae) {
		return err
	}
	return api.NoLeader("the leader could not be reached: " + err.Error())
}

// lockError turns the lock service's errors into the API's.
func lockError(name string, err error) error {
	var nl *locks.NotLeaderError
	var ae *client.APIError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, locks.ErrBusy):
		return api.LockBusy(name)
	case errors.Is(err, locks.ErrNotHolder):
		return api.NotLockHolder(name)
	case errors.Is(err, locks.ErrInvalid):
		return api.BadRequest(client.CodeInvalidRequest, err.Error())
	case errors.As(err, &nl):
		return api.NoLeader(nl.Error())
	case errors.As(err, &ae) && ae.Code != "":
		return &api.Error{Status: ae.StatusCode, Code: ae.Code, Message: ae.Message}
	}
	return err
}

func seconds(d time.Duration) float64 { return d.Seconds() }

func duration(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func leaseOut(l locks.Lease) *client.Lease {
	return &client.Lease{Name: l.Name, Holder: l.Holder, Token: l.Token, TTLSeconds: seconds(l.TTL)}
}

// Members implements api.ClusterSource.
func (c *agentCluster) Members(context.Context) ([]client.Member, error) {
	var out []client.Member
	for _, m := range c.node.Membership().Members() {
		out = append(out, client.Member{Name: m.Name, Addr: m.Addr, Status: string(m.Status), Server: m.Meta.Server,
			Version: m.Meta.Version, Protocol: m.Meta.Protocol, APIAddr: m.Meta.APIAddr, RaftAddr: m.Meta.RaftAddr,
			Load: m.Meta.Load, OwnedCount: m.Meta.OwnedCount, Owned: m.Meta.Owned})
	}
	return out, nil
}

// RaftPeers implements api.ClusterSource; a node that is not a server
// asks a server.
func (c *agentCluster) RaftPeers(ctx context.Context) ([]client.RaftPeer, error) {
	peers, err := c.node.RaftPeers()
	if err != nil && c.node.Locks() == nil {
		cl, cerr := c.leaderClient(ctx)
		if cerr != nil {
			return nil, cerr
		}
		out, err := cl.Cluster().RaftPeers(ctx)
		return out, lockError("", unreachable(err))
	}
	if err != nil {
		return nil, err
	}
	var out []client.RaftPeer
	for _, p := range peers {
		out = append(out, client.RaftPeer{ID: p.ID, Address: p.Address, Leader: p.Leader, Voter: p.Voter})
	}
	return out, nil
}

// Locks implements api.ClusterSource.
func (c *agentCluster) Locks(ctx context.Context) ([]client.Lock, error) {
	s := c.local()
	if s == nil {
		cl, err := c.leaderClient(ctx)
		if err != nil {
			return nil, err
		}
		out, err := cl.Locks().List(ctx)
		return out, lockError("", unreachable(err))
	}
	list, err := s.List(ctx)
	if err != nil {
		return nil, lockError("", err)
	}
	var out []client.Lock
	for _, l := range list {
		cl := client.Lock{Name: l.Name, Holder: l.Holder, Token: l.Token, TTLSeconds: seconds(l.TTL), Delayed: l.Delayed}
		for _, w := range l.Waiters {
			cl.Waiters = append(cl.Waiters, w.Holder)
		}
		out = append(out, cl)
	}
	return out, nil
}

// AcquireLock implements api.ClusterSource.
func (c *agentCluster) AcquireLock(ctx context.Context, req client.LockRequest) (*client.Lease, error) {
	s := c.local()
	if s == nil {
		cl, err := c.leaderClient(ctx)
		if err != nil {
			return nil, err
		}
		out, err := cl.Locks().Acquire(ctx, req)
		return out, lockError(req.Name, unreachable(err))
	}
	wait := req.WaitSeconds > 0
	if wait {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, duration(req.WaitSeconds))
		defer cancel()
	}
	l, err := s.Acquire(ctx, req.Name, req.Holder, duration(req.TTLSeconds), wait)
	if errors.Is(err, context.DeadlineExceeded) {
		return nil, api.LockBusy(req.Name)
	}
	if err != nil {
		return nil, lockError(req.Name, err)
	}
	return leaseOut(l), nil
}

// RenewLock implements api.ClusterSource.
func (c *agentCluster) RenewLock(ctx context.Context, req client.LockRequest) (*client.Lease, error) {
	s := c.local()
	if s == nil {
		cl, err := c.leaderClient(ctx)
		if err != nil {
			return nil, err
		}
		out, err := cl.Locks().Renew(ctx, req)
		return out, lockError(req.Name, unreachable(err))
	}
	l, err := s.Renew(ctx, req.Name, req.Holder, req.Token)
	if err != nil {
		return nil, lockError(req.Name, err)
	}
	return leaseOut(l), nil
}

// ReleaseLock implements api.ClusterSource.
func (c *agentCluster) ReleaseLock(ctx context.Context, req client.LockRequest) error {
	s := c.local()
	if s == nil {
		cl, err := c.leaderClient(ctx)
		if err != nil {
			return err
		}
		return lockError(req.Name, unreachable(cl.Locks().Release(ctx, req)))
	}
	return lockError(req.Name, s.Release(ctx, req.Name, req.Holder, req.Token))
}

// forwardingLocker is the lock service as the ownership loop sees it: the
// local one on the leader, the leader's API elsewhere.
type forwardingLocker struct{ c *agentCluster }

// serviceError turns an API error back into the lock service's, so the
// ownership loop tells a lost lease from an unreachable leader.
func serviceError(err error) error {
	var ae *api.Error
	if errors.As(err, &ae) {
		switch ae.Code {
		case client.CodeLockBusy:
			return locks.ErrBusy
		case client.CodeNotLockHolder:
			return locks.ErrNotHolder
		}
	}
	return err
}

func leaseIn(l *client.Lease) locks.Lease {
	return locks.Lease{Name: l.Name, Holder: l.Holder, Token: l.Token, TTL: l.TTL()}
}

func (f forwardingLocker) Acquire(ctx context.Context, name, holder string, ttl time.Duration, wait bool) (locks.Lease, error) {
	l, err := f.c.AcquireLock(ctx, client.LockRequest{Name: name, Holder: holder, TTLSeconds: seconds(ttl)})
	if err != nil {
		return locks.Lease{}, serviceError(err)
	}
	return leaseIn(l), nil
}

func (f forwardingLocker) Renew(ctx context.Context, name, holder string, token uint64) (locks.Lease, error) {
	l, err := f.c.RenewLock(ctx, client.LockRequest{Name: name, Holder: holder, Token: token})
	if err != nil {
		return locks.Lease{}, serviceError(err)
	}
	return leaseIn(l), nil
}

func (f forwardingLocker) Release(ctx context.Context, name, holder string, token uint64) error {
	return serviceError(f.c.ReleaseLock(ctx, client.LockRequest{Name: name, Holder: holder, Token: token}))
}

// gossipOwnership tells the other members what this node may own and how
// it ranks it (ownership.Digest), so that they rank accounts among the
// nodes that agree with them.
func (c *agentCluster) gossipOwnership() {
	if c.node == nil { // an Owner tested alone, without gossip
		return
	}
	d := c.owner.Digest()
	if err := c.node.Membership().UpdateMeta(func(m *membership.Meta) { m.Ownership = d }); err != nil {
		c.log.Warn("could not gossip this node's ownership digest", "err", err)
	}
}

// agreeingMembers are the alive members that rank accounts as this node
// does (see ownership.Digest): ranked over members that disagree, two
// nodes could each wait for the other to take an account. Disagreement
// is expected for a while during a rolling restart that changes
// platforms or pipelines; it is logged once each time the set of
// disagreeing members changes.
func (c *agentCluster) agreeingMembers() []string {
	mine := c.owner.Digest()
	digests := map[string]string{}
	var apart []string
	for _, m := range c.node.Membership().Alive() {
		digests[m.Name] = m.Meta.Ownership
		if m.Meta.Ownership != mine {
			apart = append(apart, m.Name)
		}
	}
	slices.Sort(apart)
	c.apartMu.Lock()
	changed := !slices.Equal(apart, c.apart)
	c.apart = apart
	c.apartMu.Unlock()
	switch {
	case changed && len(apart) > 0:
		c.log.Warn("members configured with other platforms or sync pipelines: accounts are ranked apart from them until the configurations agree (expected during a rolling restart)", "members", apart)
	case changed:
		c.log.Info("every member ranks accounts as this node does")
	}
	return ownership.Agreeing(digests, mine)
}
