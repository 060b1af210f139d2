package ownership

import (
	"context"
	"errors"
	"hash/fnv"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/marketsync/marketsync/daemon/cluster/locks"
)

// Rank orders nodes for resource by rendezvous (highest random weight)
// hashing: each node's weight is a hash of the pair, so when a node goes
// only the resources it ranked first move, each to its own runner-up.
func Rank(resource string, nodes []string) []string {
	out := slices.Clone(nodes)
	weight := func(node string) uint64 {
		h := fnv.New64a()
		h.Write([]byte(resource))
		h.Write([]byte{0})
		h.Write([]byte(node))
		return mix(h.Sum64())
	}
	slices.SortFunc(out, func(a, b string) int {
		wa, wb := weight(a), weight(b)
		switch {
		case wa > wb:
			return -1
		case wa < wb:
			return 1
		}
		return strings.Compare(a, b)
	})
	return out
}

// mix spreads FNV's output (splitmix64's finalizer), which clusters for
// inputs that differ only in their last bytes.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// Locker is the part of the lock service an Owner uses; a server's
// locks.Service, or a client that forwards to the leader.
type Locker interface {
	Acquire(ctx context.Context, name, holder string, ttl time.Duration, wait bool) (locks.Lease, error)
	Renew(ctx context.Context, name, holder string, token uint64) (locks.Lease, error)
	Release(ctx context.Context, name, holder string, token uint64) error
}

// Config configures an Owner.
type Config struct {
	// Node is this node's name, the holder of its leases.
	Node string
	// Resources are what may be owned, such as "platform/taobao-main";
	// SetResources replaces them.
	Resources []string
	// Together lists sets of resources that one node must own at once,
	// such as a sync pipeline's source and target accounts; sets that
	// share a resource join (see Keys). Names that are not in Resources
	// are ignored.
	Together [][]string
	Locker   Locker
	// Healthy lists the names of the members gossip holds alive.
	Healthy func() []string
	// TTL is the lease; the owner renews every TTL/3 (default 10s).
	TTL time.Duration
	// Changed, when set, hears the owned set after every change.
	Changed func(owned []string)
	Logger  *slog.Logger
}

// Owner takes, keeps and hands over the leases of the resources this node
// is preferred for.
type Owner struct {
	cfg Config
	log *slog.Logger

	mu        sync.Mutex
	held      map[string]holding
	resources []string
	// keys is what each resource is ranked by (Keys).
	keys map[string]string
}

type holding struct {
	lease locks.Lease
	// until is when this node stops trusting the lease: a TTL after the
	// start of its last successful acquire or renew, by this node's clock
	// alone. The leader's timer starts later, so it expires later.
	until time.Time
}

// LockName is the lock that owns resource.
func LockName(resource string) string { return "owner/" + resource }

// New returns an Owner; Run makes it act.
func New(cfg Config) *Owner {
	if cfg.TTL == 0 {
		cfg.TTL = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Owner{cfg: cfg, log: cfg.Logger.With("component", "ownership"), held: map[string]holding{},
		resources: slices.Clone(cfg.Resources), keys: Keys(cfg.Resources, cfg.Together)}
}

// SetResources replaces what may be owned and what must be owned
// together (as Config), such as after a reload added or removed platforms
// or pipelines. The next step takes the new ones this node is preferred
// for, hands over those whose group now ranks another node first, and
// releases those no longer listed.
func (o *Owner) SetResources(resources []string, together [][]string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.resources = slices.Clone(resources)
	o.keys = Keys(resources, together)
}

// Digest is Digest of this owner's resources and groups; see Agreeing.
func (o *Owner) Digest() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return digestOf(o.keys)
}

// current is the resources and the key each is ranked by.
func (o *Owner) current() ([]string, map[string]string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.resources, o.keys
}

// Token is the fencing token to pass with a write for resource, and false
// when this node does not own it (or no longer trusts its lease).
func (o *Owner) Token(resource string) (uint64, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	h, ok := o.held[resource]
	if !ok || !time.Now().Before(h.until) {
		return 0, false
	}
	return h.lease.Token, true
}

// Holding says whether this node still holds the lease on resource,
// trusted or not: a lease whose renewal is late (an election holds the
// leader up) is held until the next step renews or drops it; one handed
// over, lost or released is not.
func (o *Owner) Holding(resource string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	_, ok := o.held[resource]
	return ok
}

// TokenWith is Token(resource), but false unless this node also trusts
// its lease on every one of with that may be owned: a write for resource
// that relies on what this node holds for them (a sync pipeline's target
// and the catalogue collected from its source) waits while a takeover
// has moved some of their leases here and not yet the others.
func (o *Owner) TokenWith(resource string, with []string) (uint64, bool) {
	token, ok := o.Token(resource)
	if !ok {
		return 0, false
	}
	listed, _ := o.current()
	for _, w := range with {
		if _, trusted := o.Token(w); !trusted && slices.Contains(listed, w) {
			return 0, false
		}
	}
	return token, true
}

// Owned lists the resources this node owns now.
func (o *Owner) Owned() []string {
	var out []string
	resources, _ := o.current()
	for _, r := range resources {
		if _, ok := o.Token(r); ok {
			out = append(out, r)
		}
	}
	return out
}

// Run acts every TTL/3 until ctx ends, then releases what it holds so the
// next owner need not wait out the lease.
func (o *Owner) Run(ctx context.Context) {
	tick := time.NewTicker(o.cfg.TTL / 3)
	defer tick.Stop()
	for {
		o.Step(ctx)
		select {
		case <-ctx.Done():
			o.releaseAll()
			return
		case <-tick.C:
		}
	}
}

// Step renews what this node holds, takes what it is preferred for, and
// hands over what another healthy node is now preferred for. Every call to
// the lock service has a deadline (a renewal the lease's end, the others
// half a TTL), so a step always ends and a lost lease is always noticed.
func (o *Owner) Step(ctx context.Context) {
	healthy := o.cfg.Healthy()
	before := o.Owned()
	released := o.releaseUnlisted(ctx)
	resources, keys := o.current()
	for _, r := range resources {
		o.mu.Lock()
		h, holds := o.held[r]
		o.mu.Unlock()
		rank := Rank(keys[r], healthy)
		preferred := len(rank) > 0 && rank[0] == o.cfg.Node
		switch {
		case holds && !preferred && len(rank) > 0:
			// The preferred node is back: let go so it can take over.
			o.drop(r)
			cctx, cancel := context.WithTimeout(ctx, o.cfg.TTL/2)
			err := o.cfg.Locker.Release(cctx, LockName(r), o.cfg.Node, h.lease.Token)
			cancel()
			if err != nil {
				o.log.Warn("handing over ownership failed; the lease will expire", "resource", r, "err", err)
			} else {
				o.log.Info("handed over ownership", "resource", r, "to", rank[0])
			}
		case holds:
			start := time.Now()
			// A renewal that cannot end by the lease's end is of no use,
			// and one left hanging (a partition swallowing a forwarded
			// call) would keep this loop from ever noticing the loss.
			cctx, cancel := context.WithDeadline(ctx, h.until)
			l, err := o.cfg.Locker.Renew(cctx, LockName(r), o.cfg.Node, h.lease.Token)
			cancel()
			switch {
			case err == nil:
				o.keep(r, l, start)
			case errors.Is(err, locks.ErrNotHolder) || !time.Now().Before(h.until):
				o.drop(r)
				o.log.Warn("lost ownership", "resource", r, "token", h.lease.Token, "err", err)
			default:
				o.log.Warn("could not renew ownership; still within the lease", "resource", r, "err", err, "until", h.until)
			}
		case preferred:
			start := time.Now()
			cctx, cancel := context.WithTimeout(ctx, o.cfg.TTL/2)
			l, err := o.cfg.Locker.Acquire(cctx, LockName(r), o.cfg.Node, o.cfg.TTL, false)
			cancel()
			if err == nil {
				o.keep(r, l, start)
				o.log.Info("took ownership", "resource", r, "token", l.Token)
			} else if !errors.Is(err, locks.ErrBusy) {
				// Without a leader (starting, or no quorum) nobody can own
				// it; the next step tries again.
				o.log.Info("could not take ownership yet", "resource", r, "err", err)
			}
		}
	}
	if after := o.Owned(); o.cfg.Changed != nil && (released || !slices.Equal(before, after)) {
		o.cfg.Changed(after)
	}
}

func (o *Owner) keep(r string, l locks.Lease, start time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.held[r] = holding{lease: l, until: start.Add(l.TTL)}
}

func (o *Owner) drop(r string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.held, r)
}

// releaseUnlisted lets go of what this node holds but may no longer own,
// and says whether there was any.
func (o *Owner) releaseUnlisted(ctx context.Context) bool {
	o.mu.Lock()
	gone := map[string]holding{}
	for r, h := range o.held {
		if !slices.Contains(o.resources, r) {
			gone[r] = h
			delete(o.held, r)
		}
	}
	o.mu.Unlock()
	for r, h := range gone {
		cctx, cancel := context.WithTimeout(ctx, o.cfg.TTL/2)
		err := o.cfg.Locker.Release(cctx, LockName(r), o.cfg.Node, h.lease.Token)
		cancel()
		if err != nil {
			o.log.Warn("releasing a resource no longer configured failed; the lease will expire", "resource", r, "err", err)
		} else {
			o.log.Info("released a resource no longer configured", "resource", r)
		}
	}
	return len(gone) > 0
}

func (o *Owner) releaseAll() {
	o.mu.Lock()
	held := o.held
	o.held = map[string]holding{}
	o.mu.Unlock()
	for r, h := range held {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := o.cfg.Locker.Release(ctx, LockName(r), o.cfg.Node, h.lease.Token); err != nil {
			o.log.Warn("releasing ownership on stop failed; the lease will expire", "resource", r, "err", err)
		}
		cancel()
	}
}
