// Package jobrec is the cluster's table of collect jobs and sync runs,
// replicated by raft next to the lock table: each job's request, owner and
// fencing token, and every item its owner checkpointed (for a sync run's
// written item, the store's id of the product). A node that takes over a
// platform account resumes the account's unfinished jobs from it, so a
// job keeps its id and no checkpointed item is collected, or written to a
// store, again. A write whose token is older than the record's is
// refused: an owner that lost its lease cannot move a job on once another
// node claimed it.
package jobrec
