package store

import (
	"log/slog"

	"github.com/dgraph-io/badger/v4"
)

// Hooks for this package's external tests.

const UpdateAttempts = updateAttempts

// WithTune lets a test change Badger's options after Open has set them.
func (o Options) WithTune(tune func(badger.Options) badger.Options) Options {
	o.tune = tune
	return o
}

// WithGCHook has hook called after every value-log GC round.
func (o Options) WithGCHook(hook func(rewrites int, err error)) Options {
	o.gcHook = hook
	return o
}

// TxnLimits returns Badger's limits on one transaction.
func (db *DB) TxnLimits() (writes, bytes int64) {
	return db.bdb.MaxBatchCount(), db.bdb.MaxBatchSize()
}

// GCDone is closed when the GC loop has returned.
func (db *DB) GCDone() <-chan struct{} { return db.gcDone }

func NewBadgerLogger(l *slog.Logger, min slog.Leveler) badger.Logger {
	return badgerLogger{log: l, min: min}
}

// CheckFiles runs the checks Open makes before Badger opens dir, as after
// a clean stop.
func CheckFiles(dir string) error {
	m, err := readMarker(dir)
	if err != nil {
		return err
	}
	problems, unreadable, err := checkFiles(dir, m, badgerLogger{log: slog.New(slog.DiscardHandler)})
	if err == nil && len(problems)+len(unreadable) > 0 {
		err = &DamageError{Dir: dir, Problems: append(unreadable, problems...)}
	}
	return err
}

// MarkerRound returns a round of the marker loop, as the loop starts it.
func (db *DB) MarkerRound() func() { return db.markerRound() }

// TrimMappings runs one round of the trim loop and returns how many bytes
// of mappings it covered.
func (db *DB) TrimMappings() (int64, error) { return trimMappings(db.dir) }
