package ownership

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
)

// Keys is the key each of resources is ranked by: the smallest name, in
// byte order, of its group, where a group is the resources that sets of
// together join, directly or through one another (a union-find over every
// set). Every resource of a group thus has the same ranking, so one node
// is preferred for all of them and, when it goes, the same runner-up.
// Names in together that are not in resources are left out.
//
// The smallest member, rather than the whole member list, keeps the key
// stable: a resource in no set is its own key, ranked exactly as alone;
// a change elsewhere in the configuration never touches it; and a group
// that grows or shrinks keeps its key, and its node, unless the member
// that sorts first joins or leaves.
func Keys(resources []string, together [][]string) map[string]string {
	parent := make(map[string]string, len(resources))
	for _, r := range resources {
		parent[r] = r
	}
	var root func(string) string
	root = func(r string) string {
		if parent[r] != r {
			parent[r] = root(parent[r])
		}
		return parent[r]
	}
	for _, set := range together {
		var first *string
		for _, r := range set {
			if _, ok := parent[r]; !ok {
				continue
			}
			if first == nil {
				first = &r
				continue
			}
			// The smaller root stays: a root is its group's smallest name.
			a, b := root(*first), root(r)
			if a > b {
				a, b = b, a
			}
			parent[b] = a
		}
	}
	keys := make(map[string]string, len(resources))
	for _, r := range resources {
		keys[r] = root(r)
	}
	return keys
}

// Digest names what a node may own and how it ranks it: the resources
// with the key of each (Keys). Nodes gossip it, and each ranks only among
// the members whose digest is its own (Agreeing). Nodes whose
// configurations differ (a rolling restart that adds a pipeline, an
// upgrade) would otherwise each leave a resource to a node the other
// ranks first, and nobody would take it; ranked apart, each side has a
// node that prefers itself, and the lease decides.
func Digest(resources []string, together [][]string) string {
	return digestOf(Keys(resources, together))
}

func digestOf(keys map[string]string) string {
	lines := make([]string, 0, len(keys))
	for r, k := range keys {
		lines = append(lines, r+"\t"+k)
	}
	slices.Sort(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return hex.EncodeToString(sum[:8])
}

// Agreeing lists the names in members (name to the digest it gossips)
// whose digest is digest, sorted.
func Agreeing(members map[string]string, digest string) []string {
	var out []string
	for name, d := range members {
		if d == digest {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}
