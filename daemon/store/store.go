package store

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"
)

var (
	// ErrNotFound is returned by Txn.Get for a missing key, and by owner
	// packages for a missing record.
	ErrNotFound = errors.New("store: not found")
	// ErrTxnTooBig is returned when one transaction would exceed the
	// limits in the package documentation. Split the work, or use
	// DB.Batch where atomicity is not needed.
	ErrTxnTooBig = badger.ErrTxnTooBig
	// ErrConflict is returned by DB.Update when a transaction kept
	// conflicting with concurrent ones after several attempts.
	ErrConflict = badger.ErrConflict
)

// DefaultGCInterval is how often the value log is garbage-collected when
// Options.GCInterval is zero.
const DefaultGCInterval = 5 * time.Minute

// DefaultTrimInterval is how often the pages of Badger's mapped files are
// handed back to the kernel when Options.TrimInterval is zero. Between two
// rounds the resident set grows by what was written and read meanwhile:
// at a few thousand products a second, a few MB, and a compaction's
// tables (collecting a million products again, the table pages resident
// at the largest sample: 35 MB with a round every 250 ms, 28 MB every
// 100 ms). A round reads /proc/self/maps and makes a madvise call per
// mapping; in one A/B run of the process tests (daemon/e2e,
// daemon/cmd/marketsync) 100 ms cost about 7 % more CPU than 250 ms.
const DefaultTrimInterval = 100 * time.Millisecond

// gcDiscardRatio: rewrite a value-log file when at least half of it is
// garbage. Badger's recommendation; the lifetime write amplification of
// the value log is then 2.
const gcDiscardRatio = 0.5

// updateAttempts is how many times Update runs a transaction that
// conflicts before giving up.
const updateAttempts = 5

// Options configure Open.
type Options struct {
	// Dir holds the database. Required unless InMemory.
	Dir string
	// InMemory keeps everything in memory (-dev); Dir must be empty.
	InMemory bool
	// Logger receives the store's and Badger's logs; nil discards them.
	Logger *slog.Logger
	// GCInterval is how often the value log is garbage-collected:
	// DefaultGCInterval when zero, never when negative. There is no
	// value log in memory.
	GCInterval time.Duration
	// BadgerLevel, when set, drops Badger's own log lines below it; nil
	// passes every line the Logger takes (Badger's Info at Info).
	BadgerLevel slog.Leveler
	// MarkerInterval is how often the marker (MarkerFile) is rewritten
	// while the database is open and written to: DefaultMarkerInterval
	// when zero, never when negative (it is still written at Open and
	// Close).
	MarkerInterval time.Duration
	// AcceptDataLoss opens a database that lost records or whose value
	// log is damaged, logging what is wrong instead of refusing it with
	// ErrDamaged. A table file that fails its checks is refused anyway:
	// Badger cannot open it.
	AcceptDataLoss bool
	// TrimInterval is how often the resident pages of Badger's mapped
	// files are handed back to the kernel (see trimMappings):
	// DefaultTrimInterval when zero, never when negative.
	TrimInterval time.Duration
	// ReadOnly opens the database without writing to it or its marker,
	// for operator commands; it fails while an agent holds it.
	ReadOnly bool

	// Tests shrink Badger's sizes and observe GC rounds.
	tune   func(badger.Options) badger.Options
	gcHook func(rewrites int, err error)
}

// DB is the daemon's Badger database. It is safe for concurrent use.
type DB struct {
	bdb *badger.DB
	log *slog.Logger
	dir string // "" in memory and read-only: no marker

	// written counts writes, so the marker loop knows whether to count.
	written atomic.Uint64

	// writes is held shared by every write and exclusively by a value-log
	// rewrite. Badger v4.9.6 starts a rewrite by reading the memtables'
	// highest version (DB.MaxVersion) without the lock its write goroutine
	// updates it under: a data race whenever a write lands meanwhile.
	// Writers wait for the rewrite of one file instead.
	writes sync.RWMutex

	stop       chan struct{} // closed by Close: the loops return
	gcDone     chan struct{} // closed when the GC loop has returned
	markerDone chan struct{} // closed when the marker loop has returned
	trimDone   chan struct{} // closed when the trim loop has returned
	closeOnce  sync.Once
	closeErr   error
}

// Open opens (or creates) the database and starts its loops: value-log
// GC, the marker's checkpoints and the trim of mapped pages. On disk it
// first checks Badger's files and the counts against the
// marker (see checkFiles and MarkerFile) and fails with a *DamageError
// (ErrDamaged) when they do not match, unless o.AcceptDataLoss.
func Open(o Options) (*DB, error) {
	switch {
	case o.InMemory && o.Dir != "":
		return nil, errors.New("store: a directory and in-memory mode exclude each other")
	case !o.InMemory && o.Dir == "":
		return nil, errors.New("store: a directory is required unless in memory")
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	blog := badgerLogger{log: log.With("component", "badger"), min: o.BadgerLevel}
	db := &DB{
		log:        log.With("component", "store"),
		stop:       make(chan struct{}),
		gcDone:     make(chan struct{}),
		markerDone: make(chan struct{}),
		trimDone:   make(chan struct{}),
	}
	var m *marker
	var problems []string
	if !o.InMemory {
		var err error
		if m, problems, err = db.precheck(o, blog); err != nil {
			return nil, err
		}
	}
	bdb, err := openBadger(badgerOptions(o, blog))
	if err != nil {
		if m != nil && !o.ReadOnly {
			// Put back the marker precheck replaced.
			err = errors.Join(err, writeMarker(o.Dir, m))
		}
		return nil, fmt.Errorf("store: open %q: %w", o.Dir, err)
	}
	db.bdb = bdb
	if !o.InMemory {
		if err := db.guard(o, m, problems); err != nil {
			bdb.Close()
			return nil, err
		}
	}
	db.start(db.gcDone, !o.InMemory && !o.ReadOnly, o.GCInterval, DefaultGCInterval, db.gcRound(o.gcHook))
	db.start(db.markerDone, db.dir != "", o.MarkerInterval, DefaultMarkerInterval, db.markerRound())
	db.start(db.trimDone, !o.InMemory && !o.ReadOnly, o.TrimInterval, DefaultTrimInterval, db.trimRound(o.Dir))
	return db, nil
}

// precheck reads the marker and checks Badger's files before Badger
// touches them. It fails on what Badger could not open (or would panic
// on) and returns the rest for guard to weigh.
func (db *DB) precheck(o Options, blog badger.Logger) (*marker, []string, error) {
	// Files another process is writing would not match: say it holds
	// them. Badger takes the lock for good when it opens.
	unlock, err := lockDir(o.Dir, o.ReadOnly)
	if err != nil {
		return nil, nil, err
	}
	unlock()
	m, err := readMarker(o.Dir)
	if err != nil {
		if !o.AcceptDataLoss {
			return nil, nil, &DamageError{Dir: o.Dir, Problems: []string{err.Error()}}
		}
		db.log.Warn("ignoring the state marker", "err", err)
	}
	problems, unreadable, err := checkFiles(o.Dir, m, blog)
	if err != nil {
		return nil, nil, fmt.Errorf("store: check %q: %w", o.Dir, err)
	}
	if len(unreadable) > 0 || len(problems) > 0 && !o.AcceptDataLoss {
		return nil, nil, &DamageError{Dir: o.Dir, Problems: append(unreadable, problems...)}
	}
	// Badger changes its files as it opens (a new value-log file, at
	// least): from here the clean stop's file list no longer holds. Should
	// the process die before guard writes the new marker, the next start
	// checks the counts as after a crash, rather than refuse the files.
	if m != nil && m.State == stateStopped && !o.ReadOnly {
		if err := writeMarker(o.Dir, &marker{State: stateRunning, UpdatedAt: m.UpdatedAt, Counts: m.Counts}); err != nil {
			return nil, nil, fmt.Errorf("store: write %s: %w", MarkerFile, err)
		}
	}
	return m, problems, nil
}

// guard compares what the open database holds with the marker, refuses
// it or logs the loss, and writes a running marker.
func (db *DB) guard(o Options, m *marker, problems []string) error {
	counts, err := db.Counts()
	if err != nil {
		return fmt.Errorf("store: count records: %w", err)
	}
	problems = append(problems, compareCounts(m, counts)...)
	if len(problems) > 0 {
		if !o.AcceptDataLoss {
			if m != nil && !o.ReadOnly {
				// Put back the marker precheck replaced, so the next
				// start finds the same loss.
				err = writeMarker(o.Dir, m)
			}
			return errors.Join(&DamageError{Dir: o.Dir, Problems: problems}, err)
		}
		for _, p := range problems {
			db.log.Warn("accepting data loss", "problem", p)
		}
	}
	if o.ReadOnly {
		return nil
	}
	if m == nil && len(counts) > 0 {
		db.log.Info("no state marker: writing one", "file", MarkerFile, "counts", counts)
	}
	db.dir = o.Dir
	if err := writeMarker(db.dir, &marker{State: stateRunning, UpdatedAt: time.Now().UTC(), Counts: counts}); err != nil {
		return fmt.Errorf("store: write %s: %w", MarkerFile, err)
	}
	return nil
}

// openBadger is badger.Open with a panic in the opening goroutine turned
// into an error (a damaged table can make Badger's readers panic).
func openBadger(bo badger.Options) (bdb *badger.DB, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: badger panicked: %v", ErrDamaged, r)
		}
	}()
	return badger.Open(bo)
}

// Close stops the loops, waits for a GC round in progress to end, and
// closes the database. On disk it then writes a stopped marker with the
// final counts and file sizes, which the next Open checks. Calling it
// again returns the first result.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		close(db.stop)
		<-db.gcDone
		<-db.markerDone
		<-db.trimDone
		// No write from here on: the counts are the final ones.
		db.writes.Lock()
		defer db.writes.Unlock()
		var counts map[string]int64
		var countErr error
		if db.dir != "" {
			counts, countErr = db.Counts()
		}
		if err := db.bdb.Close(); err != nil {
			db.closeErr = fmt.Errorf("store: close: %w", err)
			return
		}
		if db.dir == "" {
			return
		}
		files, err := dataFiles(db.dir)
		if err = errors.Join(countErr, err); err == nil {
			now := time.Now().UTC()
			err = writeMarker(db.dir, &marker{State: stateStopped, UpdatedAt: now, StoppedAt: now, Counts: counts, Files: files})
		}
		if err != nil {
			db.closeErr = fmt.Errorf("store: write %s: %w", MarkerFile, err)
		}
	})
	return db.closeErr
}

// Update runs fn in a read-write transaction and commits it when fn
// returns nil. When the commit conflicts (fn read a key that another
// transaction wrote since this one began), fn runs again on fresh data,
// up to a few times, so fn must not have effects outside the transaction.
// fn must not call Update or Batch: a value-log rewrite waiting between
// the two calls would deadlock them.
func (db *DB) Update(fn func(*Txn) error) error {
	db.writes.RLock()
	defer db.writes.RUnlock()
	var err error
	for range updateAttempts {
		err = db.bdb.Update(func(t *badger.Txn) error { return fn(&Txn{txn: t}) })
		if !errors.Is(err, badger.ErrConflict) {
			db.written.Add(1)
			return err
		}
	}
	return fmt.Errorf("store: %d attempts: %w", updateAttempts, err)
}

// View runs fn in a read-only transaction: a consistent snapshot.
func (db *DB) View(fn func(*Txn) error) error {
	return db.bdb.View(func(t *badger.Txn) error { return fn(&Txn{txn: t}) })
}

// start runs round every interval (def when zero, never when negative or
// when !on) in a goroutine of its own until Close, which waits for done.
func (db *DB) start(done chan struct{}, on bool, interval, def time.Duration, round func()) {
	interval = cmp.Or(interval, def)
	if !on || interval < 0 {
		close(done)
		return
	}
	go func() {
		defer close(done)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-db.stop:
				return
			case <-tick.C:
				round()
			}
		}
	}()
}

// gcRound garbage-collects the value log.
func (db *DB) gcRound(hook func(int, error)) func() {
	return func() {
		rewrites, err := db.collectGarbage()
		if err != nil {
			db.log.Warn("value log GC failed", "rewrites", rewrites, "err", err)
		} else if rewrites > 0 {
			db.log.Debug("value log GC", "rewrites", rewrites)
		}
		if hook != nil {
			hook(rewrites, err)
		}
	}
}

// trimRound lets the kernel reclaim the pages of Badger's mapped files
// (see trimMappings); it stops trying on a kernel that cannot.
func (db *DB) trimRound(dir string) func() {
	supported := true
	return func() {
		if !supported {
			return
		}
		if _, err := trimMappings(dir); errors.Is(err, errTrimUnsupported) {
			supported = false
			db.log.Info("not trimming Badger's mapped files", "err", err)
		} else if err != nil {
			db.log.Debug("trim mapped files", "err", err)
		}
	}
}

// collectGarbage rewrites value-log files while each round finds one that
// is at least half garbage, and stops early on Close.
func (db *DB) collectGarbage() (rewrites int, err error) {
	for {
		select {
		case <-db.stop:
			return rewrites, nil
		default:
		}
		db.writes.Lock()
		err := db.bdb.RunValueLogGC(gcDiscardRatio)
		db.writes.Unlock()
		switch {
		case err == nil:
			rewrites++
			// A rewrite reads a whole value-log file through its mapping:
			// hand the pages back before the next one rather than at the
			// trim loop's next round (see trimMappings).
			_, _ = trimMappings(db.dir)
		case errors.Is(err, badger.ErrNoRewrite), errors.Is(err, badger.ErrRejected):
			return rewrites, nil
		default:
			return rewrites, err
		}
	}
}
