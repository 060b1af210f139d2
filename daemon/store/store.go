package store

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
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

	// Tests shrink Badger's sizes and observe GC rounds.
	tune   func(badger.Options) badger.Options
	gcHook func(rewrites int, err error)
}

// DB is the daemon's Badger database. It is safe for concurrent use.
type DB struct {
	bdb *badger.DB
	log *slog.Logger

	// writes is held shared by every write and exclusively by a value-log
	// rewrite. Badger v4.9.6 starts a rewrite by reading the memtables'
	// highest version (DB.MaxVersion) without the lock its write goroutine
	// updates it under: a data race whenever a write lands meanwhile.
	// Writers wait for the rewrite of one file instead.
	writes sync.RWMutex

	stop      chan struct{} // closed by Close: the GC loop returns
	gcDone    chan struct{} // closed when the GC loop has returned
	closeOnce sync.Once
	closeErr  error
}

// Open opens (or creates) the database and starts its value-log GC loop.
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
	bdb, err := badger.Open(badgerOptions(o, log.With("component", "badger")))
	if err != nil {
		return nil, fmt.Errorf("store: open %q: %w", o.Dir, err)
	}
	db := &DB{
		bdb:    bdb,
		log:    log.With("component", "store"),
		stop:   make(chan struct{}),
		gcDone: make(chan struct{}),
	}
	interval := o.GCInterval
	if interval == 0 {
		interval = DefaultGCInterval
	}
	if o.InMemory || interval < 0 {
		close(db.gcDone)
	} else {
		go db.gcLoop(interval, o.gcHook)
	}
	return db, nil
}

// Close stops the GC loop, waits for a round in progress to end, and
// closes the database. Calling it again returns the first result.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		close(db.stop)
		<-db.gcDone
		if err := db.bdb.Close(); err != nil {
			db.closeErr = fmt.Errorf("store: close: %w", err)
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
			return err
		}
	}
	return fmt.Errorf("store: %d attempts: %w", updateAttempts, err)
}

// View runs fn in a read-only transaction: a consistent snapshot.
func (db *DB) View(fn func(*Txn) error) error {
	return db.bdb.View(func(t *badger.Txn) error { return fn(&Txn{txn: t}) })
}

// gcLoop garbage-collects the value log every interval until Close.
func (db *DB) gcLoop(interval time.Duration, hook func(int, error)) {
	defer close(db.gcDone)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-db.stop:
			return
		case <-tick.C:
		}
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
		case errors.Is(err, badger.ErrNoRewrite), errors.Is(err, badger.ErrRejected):
			return rewrites, nil
		default:
			return rewrites, err
		}
	}
}
