package ownership

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/marketsync/marketsync/daemon/cluster/locks"
)

// lateLocker grants leases that are already past their TTL when the
// grant arrives, as when the leader answered late.
type lateLocker struct{}

func (lateLocker) Acquire(_ context.Context, name, holder string, _ time.Duration, _ bool) (locks.Lease, error) {
	return locks.Lease{Name: name, Holder: holder, Token: 1, TTL: time.Nanosecond}, nil
}
func (lateLocker) Renew(_ context.Context, name, holder string, token uint64) (locks.Lease, error) {
	return locks.Lease{Name: name, Holder: holder, Token: token, TTL: time.Nanosecond}, nil
}
func (lateLocker) Release(context.Context, string, string, uint64) error { return nil }

// Removing a node moves only the resources it ranked first, and spreads
// the resources over the nodes.
func TestRankMovesOnlyTheLostNodesResources(t *testing.T) {
	nodes := []string{"a", "b", "c", "d"}
	count := map[string]int{}
	for i := range 1000 {
		r := fmt.Sprintf("platform/account-%d", i)
		full := Rank(r, nodes)
		count[full[0]]++
		without := Rank(r, slices.DeleteFunc(slices.Clone(nodes), func(n string) bool { return n == "c" }))
		if full[0] != "c" && without[0] != full[0] {
			t.Fatalf("%s moved from %s to %s when c left", r, full[0], without[0])
		}
		if full[0] == "c" && without[0] != full[1] {
			t.Fatalf("%s went to %s, not its runner-up %s", r, without[0], full[1])
		}
	}
	for _, n := range nodes {
		if count[n] < 200 || count[n] > 300 {
			t.Fatalf("node %s is first for %d of 1000 resources: %v", n, count[n], count)
		}
	}
}

// A lease stays held while its renewal is late and is no longer held once
// the owner hands the resource over.
func TestHoldingFollowsTheLease(t *testing.T) {
	healthy := []string{"a"}
	o := New(Config{Node: "a", Resources: []string{"r"}, Locker: lateLocker{}, TTL: time.Nanosecond,
		Healthy: func() []string { return healthy }})
	if o.Holding("r") {
		t.Fatal("held before any step")
	}
	o.Step(t.Context())
	if _, trusted := o.Token("r"); trusted || !o.Holding("r") {
		t.Fatalf("a lease past its TTL: trusted %v, held %v; want held, not trusted", trusted, o.Holding("r"))
	}
	other := "b"
	for Rank("r", []string{"a", other})[0] == "a" {
		other += "x"
	}
	healthy = []string{"a", other}
	o.Step(t.Context())
	if o.Holding("r") {
		t.Fatal("still held after handing over to the preferred node")
	}
}
