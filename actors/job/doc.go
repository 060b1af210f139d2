// Package job runs jobs as actors: a collect job fans its items out in
// batches to a platform actor, checkpoints every batch through a Store and
// resumes from the checkpoint after a restart. Its records (job.proto) are
// protobuf, persisted as they are.
package job
