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
//     counts its key plus its value plus about 12 bytes; a value of 256
//     bytes or more lives in the value log and counts as its key plus
//     about 24 bytes;
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
// cache; the largest is to put products in the value log (values of 256
// bytes or more), which keeps table building, the biggest user of Badger's
// heap, to keys and job items. Badger v4 reads and writes its files
// through shared mappings whose pages stay in the process's resident set
// once touched, so a loop hands them back to the kernel every
// DefaultTrimInterval (trimMappings, madvise MADV_PAGEOUT; value-log
// mappings are also marked MADV_RANDOM, so reading a value brings in its
// page rather than a readahead window around it). The agent adds
// a soft Go memory limit (daemon/command, GOMEMLIMIT). BenchmarkAgentMemory
// (daemon/cmd/marketsync, make bench-memory) measures the whole agent;
// the figures are in the README's performance table.
//
// BenchmarkFootprint writes 20,000 values of 3 KB and 20,000 of 80 bytes
// in transactions of 100, reads them back and measures the store alone
// against Badger's defaults (Linux, Go 1.26, Badger v4.9.6):
//
//	                      tuned   Badger defaults
//	Go heap in use        7.5 MB   86.8 MB
//	anonymous RSS added  11.2 MB   83.9 MB
//	file-backed RSS      74.0 MB   70.5 MB  (mapped files; reclaimable)
//
//	go test -run '^$' -bench 'Footprint/tuned' -benchtime 1x ./daemon/store
//
// (file-backed pages there are before the trim loop's first round.)
//
// # Durability: what a power cut can lose
//
// Badger runs with SyncWrites on (options.go): DB.Update, DB.Batch's
// transactions and Close return only once their writes are fsynced (the
// memtable's write-ahead log and the value log). Every namespace and
// write path shares that setting; what each can lose to a power cut or
// kernel crash follows from it:
//
//   - Job checkpoints (daemon/jobs Commit: a batch's items, its products
//     in catalog/ and the job record, in one transaction): at most the
//     checkpoint being committed when the power went, which its job actor
//     had not been told was stored. It is lost whole, never in part (Badger
//     replays whole transactions); its items are still pending after the
//     restart and are fetched again, and putting a product again replaces
//     it.
//   - Job creation (Create: a marker, the items in several transactions,
//     the record): an interrupted one leaves the marker, and jobs.New
//     removes what it wrote. Job records (Save) lose at most the update
//     being written.
//   - Statistics (stats/): the minute being counted lives in memory until
//     it is written, and is lost on any crash, not only a power cut.
//   - Bindings of published products to a store's items (binding/, for
//     the publish path): the rule for that path is to store the binding,
//     marked pending with the SKU it sends, in an Update that returns
//     before the store is called, and to complete it after the store's
//     answer. A write the store accepted is then never without a binding:
//     after a crash a pending one is reconciled by looking the SKU up on
//     the store (GetRemoteProducts) instead of creating it again.
//   - The marker (MarkerFile) is replaced atomically and fsynced. Its
//     periodic copy may be up to Options.MarkerInterval older than the
//     database; it only serves to notice loss.
//
// Durability assumes a disk that honours fsync. A kill of the daemon
// (SIGKILL, OOM) loses nothing committed even without fsync: the files
// are mapped, and the kernel writes them back. In memory (-dev) nothing
// survives the process.
//
// # Integrity
//
// A MANIFEST cut short made Badger start on an empty database and delete
// every table file; a damaged value log or table gave wrong answers, 404s
// for products that exist, or a panic in one of Badger's goroutines. Now:
//
//   - Badger verifies every block of a table it reads and every value it
//     reads from the value log against their checksums (options.go).
//   - Open keeps a marker next to the database, MarkerFile: the number of
//     records per namespace, rewritten at Open, every MarkerInterval while
//     something is written, and at Close, which also lists the size of
//     every MANIFEST, table and value-log file. Before Badger opens the
//     directory, checkFiles compares the files with that list (after a
//     clean stop nothing may have changed), replays the MANIFEST, opens
//     every table it lists and checks its checksums, and reads every
//     value-log entry through, checking its checksum. After Badger opens
//     it, the counts per namespace are compared with the marker: equal
//     after a clean stop; after a crash, no namespace that had records
//     may be empty. Any difference is an error wrapping ErrDamaged that
//     lists what is wrong, and Badger has not touched the files.
//   - Options.AcceptDataLoss (the agent's -accept-data-loss) logs those
//     problems and opens the database anyway, letting Badger drop what it
//     cannot read. A table that fails its checks is refused even then:
//     Badger cannot open it.
//
// After a crash the newest value-log file may end in a torn write, which
// Badger cuts off at open; the check allows that in that file only, so a
// flipped bit there after a crash is found when the value is read (a
// checksum error), not at open. The fault-injection tests (faults_test.go)
// damage copies of a real data directory in each of these ways.
//
// The checks read the whole directory once per start: about 0.1 s per
// 20,000 products of 2.5 KB on a warm page cache, so about 5 s per
// million (BenchmarkStartCheck).
//
// # Snapshots
//
// DB.SaveSnapshot writes Badger's backup stream (every live key at its
// latest version) behind a header with the counts per namespace, the
// stream's size and its SHA-256; InspectSnapshot checks a file against its
// header; RestoreSnapshot loads one into a new directory, checks the
// counts, and swaps it in for the data directory, which must not be held
// by a process. DB.OpenSnapshot serves a running agent's snapshot
// (GET /v1/operator/snapshot). The CLI is marketsync operator snapshot
// save, inspect and restore.
package store
