package cluster_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/marketsync/marketsync/daemon/cluster/clustertest"
	"github.com/marketsync/marketsync/daemon/cluster/locks"
	"github.com/marketsync/marketsync/daemon/cluster/ownership"
)

// viaLocker sends each lock call where a client next to node would.
type viaLocker struct {
	c    *testCluster
	node string
}

func (v viaLocker) svc() (*locks.Service, error) {
	if s := v.c.via(v.node); s != nil {
		return s, nil
	}
	return nil, &locks.NotLeaderError{}
}

func (v viaLocker) Acquire(ctx context.Context, name, holder string, ttl time.Duration, wait bool) (locks.Lease, error) {
	s, err := v.svc()
	if err != nil {
		return locks.Lease{}, err
	}
	return s.Acquire(ctx, name, holder, ttl, wait)
}

func (v viaLocker) Renew(ctx context.Context, name, holder string, token uint64) (locks.Lease, error) {
	s, err := v.svc()
	if err != nil {
		return locks.Lease{}, err
	}
	return s.Renew(ctx, name, holder, token)
}

func (v viaLocker) Release(ctx context.Context, name, holder string, token uint64) error {
	s, err := v.svc()
	if err != nil {
		return err
	}
	return s.Release(ctx, name, holder, token)
}

// Each account is owned by its rendezvous-preferred node; when that node
// dies, its accounts, and only those, move to their runners-up with a
// larger fencing token, and the dead owner's token is refused by the store.
func TestOwnershipFollowsRendezvousAndFailsOver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		names := []string{"a", "b", "c"}
		c := newCluster(t)
		c.servers(names...)
		c.leader()
		resources := []string{"platform/taobao-main", "platform/1688-main", "platform/pdd-main", "platform/shopify-eu", "platform/woo-us", "platform/aliexpress"}
		owners := map[string]*ownership.Owner{}
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		var wg sync.WaitGroup
		stops := map[string]context.CancelFunc{}
		for _, n := range names {
			o := ownership.New(ownership.Config{Node: n, Resources: resources, Locker: viaLocker{c, n}, TTL: 3 * time.Second,
				Healthy: func() []string {
					var out []string
					c.mu.Lock()
					node := c.nodes[n]
					c.mu.Unlock()
					if node != nil {
						for _, m := range node.Membership().Alive() {
							out = append(out, m.Name)
						}
					}
					return out
				}, Logger: logger()})
			owners[n] = o
			octx, stop := context.WithCancel(ctx)
			stops[n] = stop
			wg.Go(func() { o.Run(octx) })
		}
		ownerOf := func(r string) []string {
			var out []string
			for n, o := range owners {
				if _, ok := o.Token(r); ok && c.nodes[n] != nil {
					out = append(out, n)
				}
			}
			return out
		}
		clustertest.Eventually(t, 30*time.Second, "every resource owned by its preferred node", func() bool {
			for _, r := range resources {
				if got := ownerOf(r); len(got) != 1 || got[0] != ownership.Rank(r, names)[0] {
					return false
				}
			}
			return true
		})
		victim := ownership.Rank(resources[0], names)[0]
		before := map[string]uint64{}
		for _, r := range resources {
			o := ownerOf(r)[0]
			before[r], _ = owners[o].Token(r)
		}
		stops[victim]() // its owner loop stops without releasing: a crash
		c.kill(victim)
		rest := slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == victim })
		var store clustertest.FencedStore
		clustertest.Eventually(t, 60*time.Second, "the victim's resources owned by their runners-up", func() bool {
			for _, r := range resources {
				if got := ownerOf(r); len(got) != 1 || got[0] != ownership.Rank(r, rest)[0] {
					return false
				}
			}
			return true
		})
		for _, r := range resources {
			o := ownerOf(r)[0]
			tok, _ := owners[o].Token(r)
			moved := ownership.Rank(r, names)[0] == victim
			if moved && tok <= before[r] {
				t.Errorf("%s moved to %s with token %d, not above the dead owner's %d", r, o, tok, before[r])
			}
			if !moved && tok != before[r] {
				t.Errorf("%s stayed with %s but its token changed %d → %d", r, o, before[r], tok)
			}
			if moved {
				if err := store.Write(r, o, tok); err != nil {
					t.Fatal(err)
				}
				if err := store.Write(r, victim, before[r]); err == nil {
					t.Errorf("the store took the dead owner's token %d for %s", before[r], r)
				}
			}
		}
		cancel()
		wg.Wait()
	})
}
