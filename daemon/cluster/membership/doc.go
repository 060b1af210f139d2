// Package membership is the gossip layer of a cluster: hashicorp/memberlist
// with an encrypted keyring, each node's metadata (cluster name, protocol,
// version, server role, raft and API addresses, load and owned resources),
// join with retry and backoff, and the refusal of peers from another
// cluster or protocol. Gossip says who is alive; it never decides who holds
// a lock.
package membership
