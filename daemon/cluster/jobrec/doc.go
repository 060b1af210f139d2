// Package jobrec is the cluster's table of collect jobs, replicated by
// raft next to the lock table: each job's request, owner and fencing
// token, and every item its owner checkpointed. A node that takes over a
// platform account resumes the account's unfinished jobs from it, so a
// job keeps its id and no checkpointed item is collected again. A write
// whose token is older than the record's is refused: an owner that lost
// its lease cannot move a job on once another node claimed it.
package jobrec
