package ownership

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/marketsync/marketsync/daemon/cluster/locks"
)

// tableLocker is one lock table shared by several nodes' owners, with no
// leader and no clock: a lease lasts until released or expired by hand.
type tableLocker struct {
	mu    sync.Mutex
	held  map[string]locks.Lease
	token uint64
}

func newTableLocker() *tableLocker { return &tableLocker{held: map[string]locks.Lease{}} }

func (t *tableLocker) Acquire(_ context.Context, name, holder string, ttl time.Duration, _ bool) (locks.Lease, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.held[name]; ok {
		return locks.Lease{}, locks.ErrBusy
	}
	t.token++
	l := locks.Lease{Name: name, Holder: holder, Token: t.token, TTL: ttl}
	t.held[name] = l
	return l, nil
}

func (t *tableLocker) Renew(_ context.Context, name, holder string, token uint64) (locks.Lease, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if l, ok := t.held[name]; !ok || l.Holder != holder || l.Token != token {
		return locks.Lease{}, locks.ErrNotHolder
	}
	return t.held[name], nil
}

func (t *tableLocker) Release(_ context.Context, name, holder string, token uint64) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if l, ok := t.held[name]; !ok || l.Holder != holder || l.Token != token {
		return locks.ErrNotHolder
	}
	delete(t.held, name)
	return nil
}

// expire ends every lease of holder, as their TTL does once it is gone.
func (t *tableLocker) expire(holder string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	maps.DeleteFunc(t.held, func(_ string, l locks.Lease) bool { return l.Holder == holder })
}

// lease is resource's lease in the table, and whether there is one.
func (t *tableLocker) lease(resource string) (locks.Lease, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	l, ok := t.held[LockName(resource)]
	return l, ok
}

// cluster is one owner per node over a shared table; healthy is what
// every owner's Healthy returns.
type cluster struct {
	lk      *tableLocker
	owners  map[string]*Owner
	healthy []string
}

func newCluster(nodes, resources []string, together [][]string) *cluster {
	c := &cluster{lk: newTableLocker(), owners: map[string]*Owner{}, healthy: slices.Clone(nodes)}
	for _, n := range nodes {
		c.owners[n] = New(Config{Node: n, Resources: resources, Together: together, Locker: c.lk, TTL: time.Hour,
			Healthy: func() []string { return c.healthy }, Logger: slog.New(slog.DiscardHandler)})
	}
	return c
}

// settle runs rounds of steps on every healthy node, in name order: a
// node hands a resource over in one round and its new owner takes it in
// the next.
func (c *cluster) settle(t *testing.T) {
	for range 3 {
		for _, n := range c.healthy {
			c.owners[n].Step(t.Context())
		}
	}
}

// holders maps each of resources to the node holding its lease.
func (c *cluster) holders(t *testing.T, resources []string) map[string]string {
	out := map[string]string{}
	for _, r := range resources {
		l, ok := c.lk.lease(r)
		if !ok {
			t.Fatalf("nobody holds %s", r)
		}
		out[r] = l.Holder
	}
	return out
}

// firstWhere is the first name of the form format%d for which ok holds.
func firstWhere(format string, ok func(string) bool) string {
	for i := 0; ; i++ {
		if s := fmt.Sprintf(format, i); ok(s) {
			return s
		}
	}
}

func TestKeysAreTheSmallestNameOfEachGroup(t *testing.T) {
	resources := []string{"e", "d", "c", "b", "a", "x"}
	together := [][]string{{"d", "b"}, {"e", "c"}, {"c", "a"}, {"x", "gone"}, {"gone", "d"}, {"x"}}
	want := map[string]string{"a": "a", "c": "a", "e": "a", "b": "b", "d": "b", "x": "x"}
	if got := Keys(resources, together); !maps.Equal(got, want) {
		t.Fatalf("keys %v, want %v (a name not listed joins nothing)", got, want)
	}
	if got := Keys(resources, nil); !maps.Equal(got, map[string]string{"a": "a", "b": "b", "c": "c", "d": "d", "e": "e", "x": "x"}) {
		t.Fatalf("keys without groups %v, want each its own", got)
	}
}

// The accounts of one group, which alone would rank different nodes
// first, are owned by one node; when it is lost they all go to one
// runner-up, each still under its own lease. An account in no group
// keeps its own ranking and, held elsewhere, is not touched.
func TestAGroupIsOwnedAndMovedTogether(t *testing.T) {
	nodes := []string{"a", "b", "c", "d"}
	first := func(s string) string { return Rank(s, nodes)[0] }
	src := firstWhere("platform/src-%d", func(s string) bool { return first(s) != first("platform/shop") })
	other := firstWhere("platform/other-%d", func(s string) bool { return first(s) != first("platform/shop") && first(s) != first(src) })
	group := []string{"platform/shop", src, other}
	key := slices.Min(group)
	lost := first(key)
	solo := firstWhere("platform/solo-%d", func(s string) bool { return first(s) != lost })
	resources := append(slices.Clone(group), solo)
	c := newCluster(nodes, resources, [][]string{{group[1], group[0]}, {group[0], group[2]}})
	c.settle(t)
	held := c.holders(t, resources)
	for _, r := range group {
		if held[r] != lost {
			t.Fatalf("%s is held by %s, want %s, the group's first node: %v", r, held[r], lost, held)
		}
	}
	if held[solo] != first(solo) {
		t.Fatalf("the ungrouped %s is held by %s, want its own first node %s", solo, held[solo], first(solo))
	}
	soloLease, _ := c.lk.lease(solo)
	tokens := map[uint64]bool{}
	for _, r := range resources {
		l, _ := c.lk.lease(r)
		tokens[l.Token] = true
	}
	if len(tokens) != len(resources) {
		t.Fatalf("leases share tokens: %v", tokens)
	}

	c.healthy = slices.DeleteFunc(slices.Clone(nodes), func(n string) bool { return n == lost })
	c.lk.expire(lost)
	c.settle(t)
	held = c.holders(t, resources)
	heir := Rank(key, c.healthy)[0]
	for _, r := range group {
		if held[r] != heir {
			t.Fatalf("after %s was lost %s is held by %s, want the group's runner-up %s: %v", lost, r, held[r], heir, held)
		}
	}
	if l, _ := c.lk.lease(solo); l != soloLease {
		t.Fatalf("the ungrouped %s changed hands: %+v, was %+v", solo, l, soloLease)
	}
}

// A pipeline that joins two groups, given by SetResources on a reload,
// ranks them as one: the group whose node is not the new key's first
// hands its accounts over, and all four end on one node.
func TestJoiningTwoGroupsRanksThemAsOne(t *testing.T) {
	nodes := []string{"a", "b", "c"}
	first := func(s string) string { return Rank(s, nodes)[0] }
	g1 := []string{"platform/a-shop", "platform/a-src"}
	s2 := firstWhere("platform/b-src-%d", func(s string) bool { return first(s) != first(g1[0]) })
	g2 := []string{s2, "platform/z-shop"}
	resources := slices.Concat(g1, g2)
	together := [][]string{g1, g2}
	c := newCluster(nodes, resources, together)
	c.settle(t)
	held := c.holders(t, resources)
	if held[g1[0]] != held[g1[1]] || held[g2[0]] != held[g2[1]] || held[g1[0]] == held[g2[0]] {
		t.Fatalf("before the join: %v; want each group on its own node", held)
	}
	together = append(together, []string{g2[1], g1[1]})
	for _, o := range c.owners {
		o.SetResources(resources, together)
	}
	c.settle(t)
	held = c.holders(t, resources)
	for _, r := range resources {
		if held[r] != first(g1[0]) {
			t.Fatalf("after the join %s is held by %s, want %s, first for the key %s: %v", r, held[r], first(g1[0]), g1[0], held)
		}
	}
}

// TokenWith holds back the target's token while this node has not taken
// the lease on a source yet (another node's lease is still running), and
// gives it once it has; a source that may not be owned does not count.
func TestTokenWithWaitsForEveryLease(t *testing.T) {
	lk := newTableLocker()
	if _, err := lk.Acquire(t.Context(), LockName("platform/src"), "b", time.Hour, false); err != nil {
		t.Fatal(err)
	}
	resources := []string{"platform/shop", "platform/src"}
	o := New(Config{Node: "a", Resources: resources, Together: [][]string{resources}, Locker: lk, TTL: time.Hour,
		Healthy: func() []string { return []string{"a"} }, Logger: slog.New(slog.DiscardHandler)})
	o.Step(t.Context())
	shop, ok := o.Token("platform/shop")
	if !ok {
		t.Fatal("the shop was not taken")
	}
	if token, ok := o.TokenWith("platform/shop", []string{"platform/src"}); ok || token != 0 {
		t.Fatalf("with the source's lease still held by b: %d %v, want no token", token, ok)
	}
	if token, ok := o.TokenWith("platform/shop", []string{"platform/unlisted"}); !ok || token != shop {
		t.Fatalf("with a source that may not be owned: %d %v, want the shop's %d", token, ok, shop)
	}
	lk.expire("b")
	o.Step(t.Context())
	if token, ok := o.TokenWith("platform/shop", []string{"platform/src"}); !ok || token != shop {
		t.Fatalf("holding both: %d %v, want the shop's token %d", token, ok, shop)
	}
	if _, ok := o.TokenWith("platform/src", []string{"platform/shop"}); !ok {
		t.Fatal("the source's own token is held back")
	}
}

// A node restarted with a pipeline the others do not know yet ranks the
// pipeline's source by the group's key, the others by its own name. In
// the case chosen here each side ranks the other first: x leaves src to
// the key's first node, which leaves it to x. Ranked among the members
// that gossip their own digest (Agreeing), some node always takes it.
func TestNodesThatDisagreeOnGroupsStillOwnEverything(t *testing.T) {
	nodes := []string{"x", "y", "z"}
	first := func(s string) string { return Rank(s, nodes)[0] }
	shop := firstWhere("platform/a-shop-%d", func(s string) bool { return first(s) != "x" })
	src := firstWhere("platform/src-%d", func(s string) bool { return first(s) == "x" })
	resources := []string{shop, src}
	grouped := [][]string{{src, shop}}
	if Keys(resources, grouped)[src] != shop {
		t.Fatalf("want %s ranked by %s in the grouped configuration", src, shop)
	}
	for _, filtered := range []bool{false, true} {
		lk := newTableLocker()
		digests := map[string]string{}
		owners := map[string]*Owner{}
		var up []string
		for _, n := range nodes {
			var together [][]string
			if n == "x" {
				together = grouped
			}
			digests[n] = Digest(resources, together)
			healthy := func() []string {
				if !filtered {
					return up
				}
				alive := map[string]string{}
				for _, m := range up {
					alive[m] = digests[m]
				}
				return Agreeing(alive, digests[n])
			}
			owners[n] = New(Config{Node: n, Resources: resources, Together: together, Locker: lk, TTL: time.Hour,
				Healthy: healthy, Logger: slog.New(slog.DiscardHandler)})
		}
		settle := func() {
			for range 3 {
				for _, n := range up {
					owners[n].Step(t.Context())
				}
			}
		}
		up = []string{"y", "z"} // x restarts with the new pipeline
		settle()
		up = []string{"x", "y", "z"}
		settle()
		_, held := lk.lease(src)
		switch {
		case !filtered && held:
			t.Fatalf("ranked over every member, %s is held: the case does not show the deadlock", src)
		case filtered && !held:
			t.Fatalf("ranked among agreeing members, nobody holds %s", src)
		}
		if _, ok := lk.lease(shop); !ok {
			t.Fatalf("nobody holds %s (filtered %v)", shop, filtered)
		}
	}
	if Digest(resources, grouped) == Digest(resources, nil) || Digest([]string{src, shop}, nil) != Digest(resources, nil) {
		t.Fatal("the digest must tell groupings apart and ignore order")
	}
}
