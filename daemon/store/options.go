package store

import (
	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
)

// Tuning for a small machine: two cores, and a daemon whose whole resident
// set should stay under about 60 MB. Badger's defaults are sized for a
// database server (a 256 MB block cache, five 64 MB memtables, four
// compactors, 1 GB value-log files). Each choice below says why it differs.
// BenchmarkFootprint measures the result against the defaults; the numbers
// are in doc.go.
const (
	// memTableSize is the size of one memtable. Each is an arena on the Go
	// heap of MemTableSize plus 30% (Badger's per-transaction headroom):
	// 4 MB costs about 5.2 MB. Writes here are paced by platform rate
	// limits (hundreds of products a second at most), so a bigger memtable
	// buys nothing but heap (BenchmarkFootprint: 6 MB of heap at 4 MB,
	// 11.5 at 8, 22 at 16). It also sets the transaction limit (15% of
	// it, see doc.go): 614 KB, where a product in the value log counts as
	// a pointer. In memory, values count whole against that limit, so
	// there memtables are 16 MB (a 2.4 MB limit: 50 products of 48 KB);
	// the data is in RAM there anyway.
	memTableSize         = 4 << 20
	inMemoryMemTableSize = 16 << 20

	// numMemtables is how many full memtables may wait for a flush. While
	// one is flushed Badger holds it, the queued ones and the active one:
	// with 1 that is at most three arenas (about 16 MB) during a burst and
	// one (5.2 MB) at rest. A writer that fills the active one meanwhile
	// waits; at our write rate that is rare and harmless.
	numMemtables = 1

	// numLevelZeroTables: a read may look into every level-0 table, so
	// they are compacted early (3 instead of 5); the machine has spare CPU
	// because writes are slow. The stall (8 instead of 15) still leaves
	// room for a burst such as creating a 10,000-item job.
	numLevelZeroTables      = 3
	numLevelZeroTablesStall = 8

	// numCompactors is the smallest working number (Badger refuses 1, and
	// 0 turns compaction off): one per core instead of four.
	numCompactors = 2

	// valueThreshold: values of 256 bytes or more go to the value log, the
	// rest stay in the LSM tree. Job items (under 100 bytes) stay in the
	// tree, where job scans read them without a second lookup; products
	// (from a few hundred bytes for a bare listing to several KB of text
	// in several languages) go to the log, so the tree stays small,
	// compactions move keys rather than product text, and a transaction
	// counts a product as a pointer (about 24 bytes) rather than its size.
	// The heap is what this buys most: compactions build tables in
	// buffers on the heap, and with products in the tree those buffers
	// took most of it. Collecting 100,000 sandbox products (about 700
	// bytes each) twice: anonymous memory 220 MB at a 1 KB threshold, 50
	// MB at 256 bytes (BenchmarkAgentMemory). The default, 1 MB, would put
	// everything in the tree. In memory Badger keeps every value in the
	// tree and refuses one above the threshold, so there it is raised to
	// its maximum.
	valueThreshold         = 256
	inMemoryValueThreshold = 1 << 20

	// valueLogFileSize: the value log is garbage-collected a whole file at
	// a time, so small files (16 MB instead of 1 GB) free disk in smaller,
	// more frequent steps, with less I/O at once, and bound what one GC
	// round brings into memory: it reads the file through its mapping and
	// rewrites its live values through a write batch, so a round's cost in
	// resident memory is at most about a file. The file being written is
	// mapped at twice its size. Every page of a mapped file that is written or read
	// stays resident until the kernel reclaims it, which DB's trim loop
	// asks for (trimMappings).
	valueLogFileSize = 16 << 20

	// baseTableSize and tableSizeMultiplier: every table a compaction
	// writes is 1 MB, at every level. A compaction builds its output
	// tables in buffers on the heap of twice the table size, and Badger
	// lets up to 8 plus the compaction's splits (at most 5) of them wait
	// for their file to be written and synced; with its defaults (2 MB at
	// the base level, doubling at each level below) a catalogue of a
	// million products has 4 to 8 MB tables and those buffers took 84-93
	// MB of heap in bursts (heap profile while collecting a million
	// products). At 1 MB everywhere the bound is about 26 MB. The price
	// is more table files: about one per MB of tree, which Badger keeps
	// open (a million sandbox products make a tree of about 130 MB).
	baseTableSize       = 1 << 20
	tableSizeMultiplier = 1

	// baseLevelSize and levelSizeMultiplier bound what one compaction
	// reads and writes, and so the pages of mapped tables it makes
	// resident before the trim loop hands them back: a table pushed down
	// a level overlaps about levelSizeMultiplier tables of the next, and
	// a compaction out of level 0 takes all of level 0 and the overlapping
	// part of the base level, whose size is baseLevelSize. Badger's
	// defaults (10 MB, 10) let one compaction touch 20 to 30 MB of tables
	// at a million products; at 2 MB and 5, about 6 to 12 MB. One more
	// level of write amplification is the price; writes here are paced by
	// platforms, and BenchmarkAgentMemory's throughput did not drop.
	baseLevelSize       = 2 << 20
	levelSizeMultiplier = 5

	// numGoroutines bounds Badger's Stream framework (backups, later
	// snapshots) to the two cores.
	numGoroutines = 2
)

// badgerOptions turns Options into Badger's. The choices not in the
// constants above:
//
//   - Compression off and no block cache: with compression, every block
//     read is decompressed into the heap and needs a block cache to be
//     fast. Without it, table blocks are read straight from the mapped
//     files, cached by the kernel's page cache, which the kernel reclaims
//     under pressure; the Go heap holds no blocks. What compression would
//     shrink is small anyway: the tree holds keys, job records and items;
//     product text lives in the value log, which Badger never compresses.
//   - No index cache: Badger only uses it for encrypted tables. Table
//     indexes and bloom filters are read from the mapped files.
//   - SyncWrites on: Commit returns once the transaction is on disk (one
//     fsync of the WAL and value log per group of concurrent commits), so
//     a power cut loses only transactions that had not returned. It
//     doubles the time of a 50-product checkpoint (about 3 to 6.5 ms,
//     BenchmarkCatalogIntegrity), far below what platform rate limits
//     allow. See "Durability" in doc.go for what each write path risks.
//   - Checksums: Open verifies every table's blocks and every value-log
//     entry before Badger opens the files (checkFiles), so Badger's own
//     check of whole tables at open (OnTableRead) would read them twice;
//     it verifies each block as it is read (OnBlockRead) and each value
//     read from the value log (VerifyValueChecksum). A flipped bit is an
//     error, never a changed answer. BenchmarkCatalogIntegrity prices it.
//   - Conflict detection on (the default): DB.Update retries a
//     transaction that read what another one wrote.
func badgerOptions(o Options, log badger.Logger) badger.Options {
	bo := badger.DefaultOptions(o.Dir).
		WithLogger(log).
		WithMemTableSize(memTableSize).
		WithNumMemtables(numMemtables).
		WithNumLevelZeroTables(numLevelZeroTables).
		WithNumLevelZeroTablesStall(numLevelZeroTablesStall).
		WithNumCompactors(numCompactors).
		WithValueThreshold(valueThreshold).
		WithValueLogFileSize(valueLogFileSize).
		WithBaseTableSize(baseTableSize).
		WithBaseLevelSize(baseLevelSize).
		WithLevelSizeMultiplier(levelSizeMultiplier).
		WithNumGoroutines(numGoroutines).
		WithCompression(options.None).
		WithBlockCacheSize(0).
		WithIndexCacheSize(0).
		WithSyncWrites(true).
		WithChecksumVerificationMode(options.OnBlockRead).
		WithVerifyValueChecksum(true).
		WithReadOnly(o.ReadOnly)
	bo.TableSizeMultiplier = tableSizeMultiplier
	if o.InMemory {
		bo = bo.WithDir("").WithValueDir("").WithInMemory(true).
			WithMemTableSize(inMemoryMemTableSize).
			WithValueThreshold(inMemoryValueThreshold)
	}
	if o.tune != nil {
		bo = o.tune(bo)
	}
	return bo
}
