package cluster

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	raftwal "github.com/hashicorp/raft-wal"
	"github.com/hashicorp/raft-wal/metadb"
	"github.com/hashicorp/raft-wal/migrate"
)

// Where a server keeps its raft log under <data_dir>/raft. The write-ahead
// log (hashicorp/raft-wal) fsyncs once per append batch where bbolt's
// copy-on-write commit needs two; raft.db is the bbolt store of earlier
// versions, migrated once into the log and then renamed.
const (
	walDirName       = "wal"
	boltFileName     = "raft.db"
	migratedSuffix   = ".migrated"
	migratingSuffix  = ".migrating"
	migrateBatchSize = 1 << 20
)

// stableKeys are every key hashicorp/raft keeps in its StableStore
// (raft.go: keyCurrentTerm, keyLastVoteTerm, keyLastVoteCand), the first
// two written with SetUint64.
var stableKeys = []struct {
	key  string
	uint bool
}{{"CurrentTerm", true}, {"LastVoteTerm", true}, {"LastVoteCand", false}}

// openRaftLog opens the raft log and stable store in dir/wal. A dir that
// holds only a bbolt raft.db is migrated first, so an upgraded server keeps
// its term, vote and log.
func openRaftLog(dir string, log *slog.Logger) (*walStore, error) {
	walDir := filepath.Join(dir, walDirName)
	haveWAL, err := exists(walDir)
	if err != nil {
		return nil, err
	}
	haveBolt, err := exists(filepath.Join(dir, boltFileName))
	if err != nil {
		return nil, err
	}
	switch {
	case haveBolt && !haveWAL:
		if err := migrateBolt(dir, log); err != nil {
			return nil, fmt.Errorf("migrate the raft log %s to %s: %w (raft.db is left as it was)", filepath.Join(dir, boltFileName), walDir, err)
		}
	case haveBolt:
		// The wal directory appears whole, by a rename after the copy
		// was synced: a migration that stopped before retiring raft.db.
		if err := retireBolt(dir); err != nil {
			return nil, err
		}
		log.Info("raft log: finished an interrupted migration from bbolt", "renamed", boltFileName+migratedSuffix)
	}
	if err := os.MkdirAll(walDir, 0o700); err != nil {
		return nil, err
	}
	w, err := openWAL(walDir)
	if err != nil {
		return nil, fmt.Errorf("open raft log %s: %w", walDir, err)
	}
	return w, nil
}

// walStore is a write-ahead log whose Close also closes its bbolt meta
// database: raft-wal v0.4.0's own Close leaves it open, and with it the
// file lock that a reopen in the same process would wait on forever.
type walStore struct {
	*raftwal.WAL
	meta *metadb.BoltMetaDB
}

func openWAL(dir string) (*walStore, error) {
	meta := &metadb.BoltMetaDB{}
	w, err := raftwal.Open(dir, raftwal.WithMetaStore(meta))
	if err != nil {
		return nil, errors.Join(err, meta.Close())
	}
	return &walStore{WAL: w, meta: meta}, nil
}

func (s *walStore) Close() error { return errors.Join(s.WAL.Close(), s.meta.Close()) }

// migrateBolt copies raft.db's log and stable keys into a new write-ahead
// log beside it, syncs it, moves it into place by rename and then renames
// raft.db to raft.db.migrated. A crash before the first rename leaves
// raft.db in charge and the half-built log is built again at the next start.
func migrateBolt(dir string, log *slog.Logger) error {
	start := time.Now()
	tmp := filepath.Join(dir, walDirName+migratingSuffix)
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return err
	}
	bolt, err := raftboltdb.New(raftboltdb.Options{Path: filepath.Join(dir, boltFileName)})
	if err != nil {
		return fmt.Errorf("open bbolt: %w", err)
	}
	defer bolt.Close()
	w, err := openWAL(tmp)
	if err != nil {
		return fmt.Errorf("create the write-ahead log: %w", err)
	}
	first, last, err := copyRaftState(w, bolt)
	if err = errors.Join(err, w.Close()); err != nil {
		return err
	}
	if err := syncDir(tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, walDirName)); err != nil {
		return err
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	if err := bolt.Close(); err != nil {
		return err
	}
	if err := retireBolt(dir); err != nil {
		return err
	}
	log.Info("raft log migrated from bbolt to the write-ahead log",
		"first_index", first, "last_index", last, "took", time.Since(start).Round(time.Millisecond),
		"old", filepath.Join(dir, boltFileName+migratedSuffix))
	return nil
}

// copyRaftState copies every log entry and stable key of src into the empty
// dst, each append fsynced by dst, and checks that dst ends with src's
// first and last index.
func copyRaftState(dst *walStore, src *raftboltdb.BoltStore) (first, last uint64, err error) {
	if last, err = src.LastIndex(); err != nil {
		return 0, 0, err
	}
	if first, err = src.FirstIndex(); err != nil {
		return 0, 0, err
	}
	if last > 0 {
		if err := migrate.CopyLogs(context.Background(), dst, src, migrateBatchSize, nil); err != nil {
			return 0, 0, err
		}
	}
	for _, k := range stableKeys {
		if err := copyStableKey(dst, src, []byte(k.key), k.uint); err != nil {
			return 0, 0, err
		}
	}
	gotFirst, err1 := dst.FirstIndex()
	gotLast, err2 := dst.LastIndex()
	if err := errors.Join(err1, err2); err != nil {
		return 0, 0, err
	}
	if gotFirst != first || gotLast != last {
		return 0, 0, fmt.Errorf("copied log holds entries %d..%d, bbolt %d..%d", gotFirst, gotLast, first, last)
	}
	return first, last, nil
}

// copyStableKey copies one stable key, an int one through GetUint64 and
// SetUint64 because bbolt stores ints big-endian and the wal little-endian.
// A key bbolt never had (a server that has not voted yet) is left unset.
func copyStableKey(dst raft.StableStore, src *raftboltdb.BoltStore, key []byte, isUint bool) error {
	var err error
	if isUint {
		var v uint64
		if v, err = src.GetUint64(key); err == nil {
			err = dst.SetUint64(key, v)
		}
	} else {
		var v []byte
		if v, err = src.Get(key); err == nil {
			err = dst.Set(key, v)
		}
	}
	if errors.Is(err, raftboltdb.ErrKeyNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("copy %s: %w", key, err)
	}
	return nil
}

// retireBolt renames raft.db out of the way, so that it is read no more
// but kept for a downgrade or an inspection.
func retireBolt(dir string) error {
	old := filepath.Join(dir, boltFileName)
	if err := os.Rename(old, old+migratedSuffix); err != nil {
		return err
	}
	return syncDir(dir)
}

func exists(path string) (bool, error) {
	_, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// syncDir makes a rename or a new file in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}
