package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// MarkerFile is the file in the data directory, outside Badger, that says
// what the database held: how many records each namespace had and, after
// a clean stop, the size of every Badger file. Open compares the
// directory with it and refuses a database that came up empty or damaged
// (see ErrDamaged).
const MarkerFile = "marketsync-state.json"

// DefaultMarkerInterval is how often a running database rewrites its
// marker when Options.MarkerInterval is zero, if anything was written
// since the last time.
const DefaultMarkerInterval = 5 * time.Minute

const (
	markerFormat = 1
	stateRunning = "running" // open, or stopped without Close
	stateStopped = "stopped" // closed cleanly: nothing has changed since
)

// marker is MarkerFile's content.
type marker struct {
	Format    int       `json:"format"`
	State     string    `json:"state"`
	UpdatedAt time.Time `json:"updated_at"`
	// StoppedAt is the time of the clean stop, when State is "stopped".
	StoppedAt time.Time `json:"stopped_at,omitzero"`
	// Counts is the number of keys per namespace ("catalog/": 100000).
	Counts map[string]int64 `json:"counts"`
	// Files maps each MANIFEST, table and value-log file to its size at
	// the clean stop.
	Files map[string]int64 `json:"files,omitempty"`
}

// ErrDamaged is what Open returns (wrapped in a *DamageError) when the
// data directory does not hold what its marker says it held, or Badger's
// files fail their checks: restore a snapshot, or open with
// Options.AcceptDataLoss to run on what is left.
var ErrDamaged = errors.New("store: the database is damaged or incomplete")

// DamageError lists what Open found wrong with a data directory.
type DamageError struct {
	Dir      string
	Problems []string
}

func (e *DamageError) Error() string {
	return fmt.Sprintf("store: the database in %s is damaged or incomplete:\n  - %s",
		e.Dir, strings.Join(e.Problems, "\n  - "))
}

func (e *DamageError) Is(target error) bool { return target == ErrDamaged }

func readMarker(dir string) (*marker, error) {
	b, err := os.ReadFile(filepath.Join(dir, MarkerFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var m marker
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", MarkerFile, err)
	}
	if m.Format != markerFormat {
		return nil, fmt.Errorf("%s: format %d, this build reads %d", MarkerFile, m.Format, markerFormat)
	}
	return &m, nil
}

// writeMarker replaces the marker atomically and durably: a power cut
// leaves the old one or the new one.
func writeMarker(dir string, m *marker) error {
	m.Format = markerFormat
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, MarkerFile), append(b, '\n'))
}

func writeFileAtomic(path string, b []byte) error {
	return replaceFile(path, func(f *os.File) error {
		_, err := f.Write(b)
		return err
	})
}

// replaceFile writes a file through write and puts it in place of path
// atomically and durably: written to a temporary file next to it, synced,
// renamed, and the directory synced. A failure leaves path as it was.
func replaceFile(path string, write func(*os.File) error) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	err = write(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// compareCounts reports the namespaces that lost records. After a clean
// stop nothing can have changed, so every count must be the same. After a
// crash the marker is the last periodic one: records written or deleted
// since then are legitimate, but a namespace that had records must not
// have come up empty.
func compareCounts(m *marker, counts map[string]int64) []string {
	if m == nil {
		return nil
	}
	var problems []string
	for _, ns := range slices.Sorted(maps.Keys(m.Counts)) {
		want, got := m.Counts[ns], counts[ns]
		switch {
		case m.State == stateStopped && got != want:
			problems = append(problems, fmt.Sprintf("%q holds %d records, %d at the clean stop of %s", ns, got, want, m.StoppedAt.Format(time.RFC3339)))
		case want > 0 && got == 0:
			problems = append(problems, fmt.Sprintf("%q is empty, it held %d records at %s", ns, want, m.UpdatedAt.Format(time.RFC3339)))
		}
	}
	if m.State == stateStopped {
		for _, ns := range slices.Sorted(maps.Keys(counts)) {
			if _, ok := m.Counts[ns]; !ok {
				problems = append(problems, fmt.Sprintf("%q holds %d records, none at the clean stop", ns, counts[ns]))
			}
		}
	}
	return problems
}

// Counts returns the number of keys in each namespace, by prefix
// ("catalog/"), read from one snapshot. It reads keys only: the value log
// is not touched. Entries written by SetExpiring are left out: they
// vanish on their own, also while the agent is stopped, so counting them
// would make a clean stop followed by an expiry look like lost records.
func (db *DB) Counts() (map[string]int64, error) {
	counts := map[string]int64{}
	err := db.bdb.View(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.PrefetchValues = false
		it := txn.NewIterator(opts)
		defer it.Close()
		var last []byte // the namespace of the previous key, usually the same
		for it.Rewind(); it.Valid(); it.Next() {
			if it.Item().ExpiresAt() != 0 {
				continue
			}
			key := it.Item().Key()
			if last == nil || !bytes.HasPrefix(key, last) {
				i := bytes.IndexByte(key, '/')
				if i < 0 { // not in a namespace
					counts[""]++
					last = nil
					continue
				}
				last = append(last[:0], key[:i+1]...)
			}
			counts[string(last)]++
		}
		return nil
	})
	return counts, err
}

// markerRound rewrites the marker when something was written since the
// last time.
func (db *DB) markerRound() func() {
	seen := db.written.Load()
	return func() {
		n := db.written.Load()
		if n == seen {
			return
		}
		if err := db.checkpointMarker(); err != nil {
			db.log.Warn("state marker not updated", "file", MarkerFile, "err", err)
			return
		}
		seen = n
	}
}

// checkpointMarker writes a running marker with the current counts.
func (db *DB) checkpointMarker() error {
	counts, err := db.Counts()
	if err != nil {
		return err
	}
	return writeMarker(db.dir, &marker{State: stateRunning, UpdatedAt: time.Now().UTC(), Counts: counts})
}
