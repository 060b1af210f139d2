package ownership

import (
	"fmt"
	"slices"
	"testing"
)

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
