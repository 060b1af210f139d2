// Package locks is the lock service of a cluster: named leases with a TTL,
// a queue of waiters and a lock-delay after a holder is lost, kept in a
// hashicorp/raft state machine. The fencing token of a grant is the raft
// index of the command that granted it, so tokens only grow. Leases expire
// by timers on the leader alone, never by comparing clocks: a new leader
// gives every existing lease a fresh full TTL, as Consul does with sessions.
package locks
