package cluster_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/marketsync/marketsync/daemon/cluster/clustertest"
	"github.com/marketsync/marketsync/daemon/cluster/locks"
)

// client is a lock user as an owner would be: it acquires, renews every
// third of the TTL, writes to the fenced store while it believes it holds
// the lock, and stops believing a TTL after the start of its last
// successful acquire or renew, by its own clock alone.
type client struct {
	name  string
	lock  string
	ttl   time.Duration
	via   func() *locks.Service
	hist  *clustertest.LockHistory
	store *clustertest.FencedStore

	mu     sync.Mutex
	grants []grant
}

type grant struct {
	token      uint64
	at, ending time.Time
}

func (c *client) run(ctx context.Context) {
	for ctx.Err() == nil {
		s := c.via()
		if s == nil {
			return
		}
		call := time.Now()
		l, err := s.Acquire(ctx, c.lock, c.name, c.ttl, false)
		if err != nil {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		c.hist.Acquired(c.name, l.Token, call, time.Now())
		c.hold(ctx, l, call.Add(c.ttl))
	}
}

// hold writes and renews until the lease is lost or ctx ends.
func (c *client) hold(ctx context.Context, l locks.Lease, until time.Time) {
	g := grant{token: l.Token, at: time.Now()}
	defer func() {
		c.mu.Lock()
		c.grants = append(c.grants, g)
		c.mu.Unlock()
	}()
	lastRenew := time.Now()
	for {
		now := time.Now()
		if ctx.Err() != nil {
			if s := c.via(); s != nil {
				s.Release(context.Background(), c.lock, c.name, l.Token)
			}
			c.hist.Ended(c.name, now)
			g.ending = now
			return
		}
		if !now.Before(until) {
			c.hist.Ended(c.name, now)
			g.ending = now
			return
		}
		c.store.Write(c.lock, c.name, l.Token)
		if now.Sub(lastRenew) >= c.ttl/3 {
			lastRenew = now
			if s := c.via(); s != nil {
				if _, err := s.Renew(ctx, c.lock, c.name, l.Token); err == nil {
					until = now.Add(c.ttl)
				} else if errors.Is(err, locks.ErrNotHolder) {
					c.hist.Ended(c.name, now)
					g.ending = now
					return
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (c *client) grantsSeen() []grant {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]grant(nil), c.grants...)
}

// The leader, and the lock's holder next to it, are cut off from the
// other two servers. The minority can neither renew nor grant; the
// majority elects a leader that grants the lock to another client only
// after a full TTL and the lock-delay; the old holder's token is refused
// by the store; healing makes no second holder; and the recorded history
// is linearizable.
func TestPartitionedLeaderLosesLocks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const ttl, lockDelay = 3 * time.Second, 2 * time.Second
		c := newCluster(t)
		c.servers("a", "b", "c")
		old := c.leader().Name()
		var majority []string
		for _, n := range []string{"a", "b", "c"} {
			if n != old {
				majority = append(majority, n)
			}
		}
		var hist clustertest.LockHistory
		var store clustertest.FencedStore
		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		clients := map[string]*client{}
		for _, cl := range []struct{ name, node string }{{"near-old", old}, {"near-new", majority[0]}} {
			cli := &client{name: cl.name, lock: "account/shopify/main", ttl: ttl, via: func() *locks.Service { return c.via(cl.node) }, hist: &hist, store: &store}
			clients[cl.name] = cli
			if cl.name == "near-new" {
				break
			}
			wg.Go(func() { cli.run(ctx) })
		}
		clustertest.Eventually(t, 10*time.Second, "near-old writes under the lock", func() bool { return len(store.Accepted()) > 0 })
		wg.Go(func() { clients["near-new"].run(ctx) })
		time.Sleep(3 * time.Second) // virtual: near-new is refused while near-old renews
		if got := clients["near-new"].grantsSeen(); len(got) != 0 || store.Refused("near-new") != 0 {
			t.Fatalf("near-new got the lock while near-old renewed it: %+v", got)
		}
		oldToken := store.Accepted()[0].Token

		c.partition(old)
		cut := time.Now()
		clustertest.Eventually(t, 60*time.Second, "near-new writes under the lock", func() bool {
			for _, w := range store.Accepted() {
				if w.Writer == "near-new" {
					return true
				}
			}
			return false
		})
		took := time.Since(cut)
		// The new leader gives the old lease a full TTL, then holds the
		// lock for the lock-delay.
		if took < ttl+lockDelay {
			t.Fatalf("near-new wrote %s after the partition, before TTL + lock-delay (%s)", took, ttl+lockDelay)
		}
		t.Logf("failover: near-new wrote %s after the cut (ttl %s, lock-delay %s)", took, ttl, lockDelay)

		// The minority side can grant nothing.
		mctx, mcancel := context.WithTimeout(ctx, 5*time.Second)
		if _, err := c.nodes[old].Locks().Acquire(mctx, "another", "intruder", ttl, false); err == nil {
			t.Fatal("the cut-off old leader granted a lock")
		}
		mcancel()
		// A paused old holder that wakes up and writes is refused.
		if err := store.Write("account/shopify/main", "near-old", oldToken); !errors.Is(err, clustertest.ErrStaleToken) {
			t.Fatalf("the store took the old holder's token %d: %v", oldToken, err)
		}

		c.heal()
		time.Sleep(10 * time.Second) // virtual: the old leader rejoins as a follower
		cancel()
		wg.Wait()

		if hist.Len() < 4 || !hist.Check() {
			t.Fatalf("lock history (%d operations) is not linearizable: two holders at once or a token that did not grow", hist.Len())
		}
		var last uint64
		for _, w := range store.Accepted() {
			if w.Token < last {
				t.Fatalf("store accepted token %d after %d", w.Token, last)
			}
			last = w.Token
		}
	})
}

// A nemesis cuts a random server off, or heals, every few seconds while a
// client next to each server competes for one lock. Whatever happens, no
// two clients believe they hold the lock at once, and the store never
// accepts a token smaller than one it accepted.
func TestRandomPartitionsKeepMutualExclusion(t *testing.T) {
	rounds := 12
	if testing.Short() {
		rounds = 6
	}
	for seed := range uint64(3) {
		t.Run("", func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rng := rand.New(rand.NewPCG(seed, 42))
				names := []string{"a", "b", "c"}
				c := newCluster(t)
				c.servers(names...)
				c.leader()
				var hist clustertest.LockHistory
				var store clustertest.FencedStore
				ctx, cancel := context.WithCancel(t.Context())
				var wg sync.WaitGroup
				for _, node := range names {
					cli := &client{name: "near-" + node, lock: "l", ttl: 2 * time.Second, via: func() *locks.Service { return c.via(node) }, hist: &hist, store: &store}
					wg.Go(func() { cli.run(ctx) })
				}
				for range rounds {
					time.Sleep(time.Duration(2+rng.IntN(6)) * time.Second)
					if rng.IntN(3) == 0 {
						c.heal()
					} else {
						c.heal()
						c.partition(names[rng.IntN(len(names))])
					}
				}
				c.heal()
				time.Sleep(10 * time.Second)
				cancel()
				wg.Wait()
				if !hist.Check() {
					t.Fatalf("lock history of %d operations is not linearizable:\n%s", hist.Len(), &hist)
				}
				if len(store.Accepted()) == 0 {
					t.Fatal("no client ever wrote: the test proved nothing")
				}
				t.Logf("%d lock operations, %d writes accepted", hist.Len(), len(store.Accepted()))
			})
		})
	}
}
