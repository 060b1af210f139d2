// Package cluster runs the agent as one node of a cluster: it joins the
// gossip pool (package membership), runs hashicorp/raft on the server nodes
// and serves the replicated lock service (package locks) whose fencing
// tokens guard every store write. The same raft log carries the table of
// collect jobs and sync runs (package jobrec), so a job moves with its
// platform account, and a sync run with its target store, when the
// owner dies. Raft bootstraps once bootstrap_expect
// servers are seen through gossip, and the leader removes servers that stay
// dead past a grace period. A server keeps raft's log in a write-ahead log
// under its data dir (raftlog.go, which also migrates an older bbolt
// raft.db) and may speak raft over mutual TLS (raftls.go).
package cluster
