// Package store owns the daemon's Badger database: opening it with options
// tuned for a small machine, garbage-collecting its value log in the
// background, and closing it. It knows nothing of what is stored: keys are
// split into namespaces ("catalog/", "job/", …), each claimed with
// Register by the one package that builds its keys and encodes its values
// (daemon/catalog, daemon/jobs).
//
// # Transactions
//
// DB.Update runs a function in a read-write transaction and retries it
// when it conflicts with a concurrent one; DB.View gives a read-only
// snapshot. The *Txn they pass reads and writes any namespace, so owner
// packages take a *Txn and one commit can span several of them: a job
// checkpoint stores products (catalog/) and item outcomes (job/) together.
//
// One transaction must stay within Badger's limits, which follow from the
// memtable size (see options.go):
//
//   - on disk: fewer than 6,553 writes, and under 614 KB where each write
//     counts its key plus its value plus about 12 bytes; a value of 1 KB
//     or more lives in the value log and counts as its key plus about 24
//     bytes;
//   - in memory: fewer than 26,214 writes and under 2.4 MB, every value
//     counted whole, and no value over 1 MB.
//
// A transaction over the limit fails with ErrTxnTooBig and writes nothing.
// Work that need not be atomic goes through DB.Batch, which Badger commits
// in as many transactions as it takes; callers make a half-written batch
// harmless (daemon/jobs writes a job's items first and its record last).
//
// # Memory
//
// Badger's defaults suit a database server. The choices in options.go keep
// the heap small and leave caching of table blocks to the kernel's page
// cache. BenchmarkFootprint writes 20,000 values of 3 KB and 20,000 of 80
// bytes in transactions of 100, reads them back and measures (Linux, Go
// 1.26, Badger v4.9.6):
//
//	                      tuned   Badger defaults
//	Go heap in use        6.3 MB   86.8 MB
//	anonymous RSS added  11.4 MB   83.9 MB
//	file-backed RSS      71.5 MB   70.5 MB  (mapped files; reclaimable)
//
//	go test -run '^$' -bench 'Footprint/tuned' -benchtime 1x ./daemon/store
//
// # Durability
//
// Writes are not synced to disk on commit. A committed transaction is in
// Badger's mapped write-ahead log and value log, so it survives the daemon
// being killed; a kernel crash or power cut can lose the last few
// transactions, whole, never in part.
package store
