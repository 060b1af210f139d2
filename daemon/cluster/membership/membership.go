package membership

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"

	"github.com/marketsync/marketsync/daemon/cluster/logbridge"
)

// Protocol is the version of what nodes exchange (gossip metadata, raft
// commands, lock API). A peer that speaks another one is refused: mixing
// them could apply a command two ways.
const Protocol = 1

// Meta is what a node tells the others about itself through gossip.
type Meta struct {
	Cluster         string   `json:"c"`
	Protocol        int      `json:"p"`
	Version         string   `json:"v,omitempty"`
	Server          bool     `json:"s,omitempty"`
	BootstrapExpect int      `json:"be,omitempty"`
	RaftAddr        string   `json:"ra,omitempty"`
	APIAddr         string   `json:"api,omitempty"`
	Load            float64  `json:"l,omitempty"`
	OwnedCount      int      `json:"oc,omitempty"`
	Owned           []string `json:"o,omitempty"`
	// Ownership is the digest of what the node may own and how it ranks
	// it (ownership.Digest): nodes rank accounts among the members that
	// agree with them.
	Ownership string `json:"g,omitempty"`
	// Leaving is set just before a graceful leave, so that peers tell a
	// departure from a failure (memberlist does not say which).
	Leaving bool `json:"lv,omitempty"`
}

// encode fits m into memberlist's metadata limit, dropping the owned names
// (their count stays) when they do not fit.
func (m Meta) encode() ([]byte, error) {
	m.OwnedCount = len(m.Owned)
	b, err := json.Marshal(m)
	if err == nil && len(b) > memberlist.MetaMaxSize {
		m.Owned = nil
		b, err = json.Marshal(m)
	}
	if err == nil && len(b) > memberlist.MetaMaxSize {
		err = fmt.Errorf("node metadata is %d bytes, more than gossip's limit of %d", len(b), memberlist.MetaMaxSize)
	}
	return b, err
}

func decodeMeta(b []byte) (Meta, error) {
	var m Meta
	if len(b) == 0 {
		return m, errors.New("no metadata")
	}
	err := json.Unmarshal(b, &m)
	return m, err
}

// Status is a member's liveness as gossip sees it.
type Status string

const (
	Alive  Status = "alive"
	Failed Status = "failed" // declared dead by the failure detector
	Left   Status = "left"   // said goodbye
)

// Member is one node of the cluster as this node knows it.
type Member struct {
	Name   string
	Addr   string // gossip host:port
	Status Status
	Meta   Meta
	// Since is when this node last saw the status change.
	Since time.Time
}

// EventKind says what happened to a member.
type EventKind int

const (
	Joined EventKind = iota
	Updated
	Departed // failed or left: Member.Status says which
)

// Event is a change of membership, delivered in order.
type Event struct {
	Kind   EventKind
	Member Member
}

// tuneLAN shortens memberlist's LAN failure detection so that a dead
// node leaves the alive set within about 3 s instead of about 12 s: a
// platform account's next owner is chosen among the alive members, so
// this bounds a failover as much as the ownership lease does.
// memberlist's suspicion timeout is SuspicionMult × max(1, log10(n)) ×
// ProbeInterval, stretched up to SuspicionMaxTimeoutMult times that until
// enough peers confirm the suspicion; in a three-node cluster only one
// other peer can confirm, so the stretch is what made detection slow
// (11.4 s of suspicion with the LAN defaults). A LAN answers a probe in
// well under a millisecond: probing every 500 ms with a 250 ms timeout
// still leaves a wide margin, and indirect probes through the other
// members keep one lost packet from raising a suspicion.
func tuneLAN(mc *memberlist.Config) {
	mc.ProbeInterval = 500 * time.Millisecond
	mc.ProbeTimeout = 250 * time.Millisecond
	mc.SuspicionMult = 3
	mc.SuspicionMaxTimeoutMult = 2
}

// Config configures a Membership.
type Config struct {
	NodeName string
	// BindAddr and BindPort are where gossip listens (TCP and UDP);
	// port 0 picks a free one. Advertise* default to them.
	BindAddr      string
	BindPort      int
	AdvertiseAddr string
	AdvertisePort int
	// Keys are the gossip encryption keys (16, 24 or 32 bytes); the
	// first encrypts, all decrypt, which is how keys are rotated. None
	// leaves gossip in clear text.
	Keys [][]byte
	// Meta is this node's metadata; Cluster and Protocol are checked
	// against every peer's.
	Meta Meta
	// Local tunes the failure detector for one machine (loopback):
	// memberlist's DefaultLocalConfig instead of its LAN one.
	Local bool
	// Transport replaces the UDP/TCP transport, for tests.
	Transport memberlist.Transport
	// Tune, when set, adjusts memberlist's configuration last (tests
	// shorten its intervals).
	Tune   func(*memberlist.Config)
	Logger *slog.Logger
}

// Membership is this node's view of the gossip pool.
type Membership struct {
	ml     *memberlist.Memberlist
	name   string
	log    *slog.Logger
	events chan Event

	mu      sync.Mutex
	meta    Meta
	members map[string]Member
	refused map[string]refusal // node name → why it was refused
	leaving map[string]bool    // nodes that said they are leaving
}

// leavingPrefix starts the message a node sends each peer before it
// leaves, followed by its name.
const leavingPrefix = "leaving:"

// New starts gossip on the configured address. It joins nobody: call Join.
func New(cfg Config) (*Membership, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	if cfg.Meta.Protocol == 0 {
		cfg.Meta.Protocol = Protocol
	}
	if _, err := cfg.Meta.encode(); err != nil {
		return nil, err
	}
	m := &Membership{
		name:    cfg.NodeName,
		log:     log.With("component", "membership"),
		events:  make(chan Event, 256),
		meta:    cfg.Meta,
		members: map[string]Member{},
		refused: map[string]refusal{},
		leaving: map[string]bool{},
	}
	mc := memberlist.DefaultLANConfig()
	tuneLAN(mc)
	if cfg.Local {
		mc = memberlist.DefaultLocalConfig()
	}
	mc.Name = cfg.NodeName
	mc.BindAddr, mc.BindPort = cfg.BindAddr, cfg.BindPort
	mc.AdvertiseAddr, mc.AdvertisePort = cfg.AdvertiseAddr, cfg.AdvertisePort
	if mc.BindAddr == "" {
		mc.BindAddr = "0.0.0.0"
	}
	if cfg.Transport != nil {
		mc.Transport = cfg.Transport
	}
	// The label keeps another cluster's packets out at the transport;
	// the alive and merge delegates below say why in the log.
	mc.Label = cfg.Meta.Cluster
	if len(cfg.Keys) > 0 {
		kr, err := memberlist.NewKeyring(cfg.Keys, cfg.Keys[0])
		if err != nil {
			return nil, fmt.Errorf("gossip keyring: %w", err)
		}
		mc.Keyring = kr
		mc.GossipVerifyIncoming, mc.GossipVerifyOutgoing = true, true
	}
	d := &delegate{m: m}
	mc.Delegate, mc.Events, mc.Alive, mc.Merge = d, d, d, d
	mc.Logger = logbridge.Std(m.log)
	if cfg.Tune != nil {
		cfg.Tune(mc)
	}
	ml, err := memberlist.Create(mc)
	if err != nil {
		return nil, fmt.Errorf("start gossip on %s: %w", net.JoinHostPort(mc.BindAddr, strconv.Itoa(mc.BindPort)), err)
	}
	m.ml = ml
	return m, nil
}

// LocalName is this node's name.
func (m *Membership) LocalName() string { return m.name }

// Addr is this node's gossip address as peers reach it.
func (m *Membership) Addr() string { return m.ml.LocalNode().Address() }

// Events delivers membership changes. Nobody has to read it: a full
// channel drops the oldest, and Members always has the current view.
func (m *Membership) Events() <-chan Event { return m.events }

// Join contacts addrs until one answers or ctx ends, backing off from
// 500ms to 30s between rounds. It returns how many nodes answered.
func (m *Membership) Join(ctx context.Context, addrs []string) (int, error) {
	delay := 500 * time.Millisecond
	for {
		n, err := m.ml.Join(addrs)
		if n > 0 {
			return n, nil
		}
		m.log.Warn("join failed; retrying", "addrs", addrs, "err", err, "retry_in", delay)
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("join %v: %w (last error: %v)", addrs, ctx.Err(), err)
		case <-time.After(delay):
		}
		delay = min(2*delay, 30*time.Second)
	}
}

// Leave tells the others this node is going, then stops gossip. Each live
// peer is told over a reliable stream first: memberlist's own leave is a
// death notice that does not say it was intended, and a gossiped metadata
// change can be overtaken by it.
func (m *Membership) Leave(timeout time.Duration) error {
	err := m.UpdateMeta(func(meta *Meta) { meta.Leaving = true })
	msg := []byte(leavingPrefix + m.name)
	m.log.Debug("leaving", "members", len(m.ml.Members()), "meta_err", err)
	for _, n := range m.ml.Members() {
		if n.Name != m.name {
			if e := m.ml.SendReliable(n, msg); e != nil {
				m.log.Warn("could not tell a peer this node is leaving", "peer", n.Name, "err", e)
			} else {
				m.log.Debug("told a peer this node is leaving", "peer", n.Name)
			}
		}
	}
	if lerr := m.ml.Leave(timeout); lerr != nil {
		// Peers that are leaving too, or gone, do not acknowledge: they
		// will see this node fail instead, which is what leaving avoids.
		m.log.Warn("leave was not acknowledged; peers will see this node as failed", "err", lerr)
	}
	return errors.Join(err, m.ml.Shutdown())
}

// Shutdown stops gossip without a goodbye, as a crash would.
func (m *Membership) Shutdown() error { return m.ml.Shutdown() }

// Members lists every node this one has seen, itself included, by name.
func (m *Membership) Members() []Member {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Member, 0, len(m.members))
	for _, mb := range m.members {
		out = append(out, mb)
	}
	slices.SortFunc(out, func(a, b Member) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Alive lists the members gossip currently holds alive.
func (m *Membership) Alive() []Member {
	var out []Member
	for _, mb := range m.Members() {
		if mb.Status == Alive {
			out = append(out, mb)
		}
	}
	return out
}

// Refused lists the peers this node turned away and why, by node name.
func (m *Membership) Refused() map[string]string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]string, len(m.refused))
	for k, v := range m.refused {
		out[k] = v.reason
	}
	return out
}

// Refused peers are remembered for a while and only so many: any host
// that reaches the gossip port can make up names, and the list exists to
// explain a recent failed join, not to keep every stranger.
const (
	refusedTTL = 10 * time.Minute
	maxRefused = 64
)

type refusal struct {
	reason string
	at     time.Time
}

// refuse records why name was refused and says whether that is news;
// m.mu is held. It drops what is older than refusedTTL, then the
// oldest entries beyond maxRefused.
func (m *Membership) refuse(name, reason string) bool {
	now := time.Now()
	old, seen := m.refused[name]
	for k, r := range m.refused {
		if now.Sub(r.at) > refusedTTL {
			delete(m.refused, k)
		}
	}
	for len(m.refused) >= maxRefused {
		oldest := ""
		for k, r := range m.refused {
			if oldest == "" || r.at.Before(m.refused[oldest].at) {
				oldest = k
			}
		}
		delete(m.refused, oldest)
	}
	m.refused[name] = refusal{reason: reason, at: now}
	return !seen || old.reason != reason || now.Sub(old.at) > refusedTTL
}

// Meta is this node's current metadata.
func (m *Membership) Meta() Meta {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.meta
}

// UpdateMeta changes this node's metadata and gossips it.
func (m *Membership) UpdateMeta(change func(*Meta)) error {
	m.mu.Lock()
	meta := m.meta
	change(&meta)
	meta.Cluster, meta.Protocol = m.meta.Cluster, m.meta.Protocol
	if _, err := meta.encode(); err != nil {
		m.mu.Unlock()
		return err
	}
	m.meta = meta
	m.mu.Unlock()
	// Two rounds of 2.5 s: callers (ownership's step) wait for this, and
	// a broadcast normally completes in a few gossip intervals.
	var err error
	for range 2 {
		if err = m.ml.UpdateNode(2500 * time.Millisecond); err == nil {
			return nil
		}
		// A timeout has two causes. The broadcast is still queued: the
		// node's own state holds the new metadata, and gossip and push/pull
		// carry it on. Or memberlist dropped the update without a word: a
		// refutation took the next incarnation between UpdateNode's
		// numbering and its apply, and the node's state still holds the old
		// metadata. Only the second needs another round.
		m.mu.Lock()
		want, _ := m.meta.encode()
		m.mu.Unlock()
		if slices.Equal(m.ml.LocalNode().Meta, want) {
			m.log.Debug("metadata broadcast still queued; gossip carries it on", "err", err)
			return nil
		}
		m.log.Warn("metadata update was not applied; trying again", "err", err)
	}
	return err
}

// delegate is memberlist's view of Membership.
type delegate struct{ m *Membership }

func (d *delegate) NodeMeta(limit int) []byte {
	b, err := d.m.Meta().encode()
	if err != nil || len(b) > limit {
		d.m.log.Error("node metadata does not fit gossip", "err", err, "limit", limit)
		return nil
	}
	return b
}

func (d *delegate) NotifyMsg(b []byte) {
	if name, ok := strings.CutPrefix(string(b), leavingPrefix); ok {
		d.m.mu.Lock()
		d.m.leaving[name] = true
		mb, ok := d.m.members[name]
		d.m.mu.Unlock()
		d.m.log.Debug("peer is leaving", "peer", name)
		// Its death notice may have overtaken this message.
		if ok && mb.Status == Failed {
			mb.Status = Left
			d.m.set(Event{Kind: Departed, Member: mb})
		}
	}
}

func (d *delegate) GetBroadcasts(overhead, limit int) [][]byte { return nil }
func (d *delegate) LocalState(join bool) []byte                { return nil }
func (d *delegate) MergeRemoteState(buf []byte, join bool)     {}

// check says why a peer cannot be part of this cluster, or nil.
func (d *delegate) check(n *memberlist.Node) error {
	meta, err := decodeMeta(n.Meta)
	local := d.m.Meta()
	switch {
	case err != nil:
		err = fmt.Errorf("unreadable metadata: %v", err)
	case meta.Cluster != local.Cluster:
		err = fmt.Errorf("cluster %q, not %q", meta.Cluster, local.Cluster)
	case meta.Protocol != local.Protocol:
		err = fmt.Errorf("cluster protocol %d, this node speaks %d (version %s vs %s)", meta.Protocol, local.Protocol, meta.Version, local.Version)
	}
	if err != nil && n.Name != d.m.name {
		d.m.mu.Lock()
		first := d.m.refuse(n.Name, err.Error())
		d.m.mu.Unlock()
		if first {
			d.m.log.Error("refused a peer", "node", n.Name, "addr", n.Address(), "reason", err)
		}
	}
	return err
}

func (d *delegate) NotifyAlive(n *memberlist.Node) error {
	if n.Name == d.m.name {
		return nil
	}
	return d.check(n)
}

func (d *delegate) NotifyMerge(peers []*memberlist.Node) error {
	for _, n := range peers {
		if err := d.check(n); err != nil {
			return fmt.Errorf("node %s: %w", n.Name, err)
		}
	}
	return nil
}

func (d *delegate) NotifyJoin(n *memberlist.Node)   { d.alive(Joined, n) }
func (d *delegate) NotifyUpdate(n *memberlist.Node) { d.alive(Updated, n) }

// alive records a live node, unless it said it is leaving: its metadata
// change can arrive after its death notice and bring it back to life in
// memberlist, which must not make it a member again.
func (d *delegate) alive(kind EventKind, n *memberlist.Node) {
	if meta, _ := decodeMeta(n.Meta); meta.Leaving {
		d.record(Departed, n, Left)
		return
	}
	d.record(kind, n, Alive)
}
func (d *delegate) NotifyLeave(n *memberlist.Node) {
	d.m.mu.Lock()
	left := d.m.leaving[n.Name]
	d.m.mu.Unlock()
	st := Failed
	if meta, _ := decodeMeta(n.Meta); meta.Leaving || left {
		st = Left
	}
	d.record(Departed, n, st)
}

func (d *delegate) record(kind EventKind, n *memberlist.Node, st Status) {
	meta, _ := decodeMeta(n.Meta)
	if st == Alive {
		d.m.mu.Lock()
		delete(d.m.leaving, n.Name) // back, under a new incarnation
		d.m.mu.Unlock()
	}
	mb := Member{Name: n.Name, Addr: n.Address(), Status: st, Meta: meta, Since: time.Now()}
	d.m.mu.Lock()
	if old, ok := d.m.members[n.Name]; ok && old.Status == st {
		mb.Since = old.Since
	}
	d.m.mu.Unlock()
	d.m.set(Event{Kind: kind, Member: mb})
}

// set records a member's new state and delivers the event.
func (m *Membership) set(ev Event) {
	m.mu.Lock()
	m.members[ev.Member.Name] = ev.Member
	m.mu.Unlock()
	for {
		select {
		case m.events <- ev:
			return
		default:
		}
		select { // full: drop the oldest so the newest is kept
		case <-m.events:
		default:
		}
	}
}
