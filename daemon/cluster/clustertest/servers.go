package clustertest

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// GossipKey is the gossip encryption key of the test clusters (base64 of
// 32 bytes): any key will do, as long as every node has the same.
const GossipKey = "ZGVtby1vbmx5LWRlbW8tb25seS1kZW1vLW9ubHktISE="

// Server is one server agent of a test cluster, as its configuration's
// cluster block names it.
type Server struct {
	Cluster, Name string
	// Gossip and Raft are its bind_addr and raft_addr.
	Gossip, Raft string
	// Join are the gossip addresses it joins.
	Join []string
	// Expect is bootstrap_expect.
	Expect int
	// LockDelay is lock_delay; empty leaves the agent's default.
	LockDelay string
}

// Servers are n servers of cluster on loopback, node-0 to node-<n-1>,
// each expecting n and joined to node-0, on addresses FreeAddr gives.
func Servers(t testing.TB, cluster string, n int) []Server {
	t.Helper()
	out := make([]Server, n)
	for i := range out {
		out[i] = Server{Cluster: cluster, Name: fmt.Sprintf("node-%d", i), Gossip: FreeAddr(t), Raft: FreeAddr(t), Expect: n}
		if i > 0 {
			out[i].Join = []string{out[0].Gossip}
		}
	}
	return out
}

// Block is the server's cluster {} block, encrypted with GossipKey.
func (s Server) Block() string {
	var join []string
	for _, j := range s.Join {
		join = append(join, strconv.Quote(j))
	}
	b := fmt.Sprintf(`cluster {
  name             = %q
  node_name        = %q
  bind_addr        = %q
  raft_addr        = %q
  join             = [%s]
  server           = true
  bootstrap_expect = %d
  encrypt          = %q
`, s.Cluster, s.Name, s.Gossip, s.Raft, strings.Join(join, ", "), s.Expect, GossipKey)
	if s.LockDelay != "" {
		b += fmt.Sprintf("  lock_delay       = %q\n", s.LockDelay)
	}
	return b + "}\n"
}
