package store

import (
	"time"

	"github.com/dgraph-io/badger/v4"
)

// SetExpiring writes value at key in ns as an entry that Badger hides once
// expiresAt has passed (Badger's TTL, at whole seconds, rounded up) and
// drops at its next compaction of the table that holds it. Owners that
// read expiry with an injected clock keep their own copy of expiresAt in
// the value.
func (t *Txn) SetExpiring(ns Namespace, key, value []byte, expiresAt time.Time) error {
	e := badger.NewEntry(ns.key(key), value)
	e.ExpiresAt = expirySeconds(expiresAt)
	return t.txn.SetEntry(e)
}

// expirySeconds is expiresAt in Badger's unit, Unix seconds, rounded up
// so that an entry never expires early.
func expirySeconds(expiresAt time.Time) uint64 {
	s := expiresAt.Unix()
	if expiresAt.Nanosecond() > 0 {
		s++
	}
	return uint64(max(s, 1))
}

// DeleteExpired deletes the keys under prefix in ns whose entry, written
// by SetExpiring, expires at or before now, and returns how many. Badger
// already hides such entries from reads, but keeps them on disk until a
// compaction reaches them; deleting them lets that compaction drop them
// with every older version. It reads keys only, never the value log, and
// deletes in batches, so it is not atomic: a key written again meanwhile
// keeps its new value only if the write lands after the delete.
func (db *DB) DeleteExpired(ns Namespace, prefix []byte, now time.Time) (int, error) {
	var expired [][]byte
	limit := uint64(now.Unix())
	err := db.bdb.View(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.PrefetchValues = false
		opts.AllVersions = true // expired entries are otherwise invisible
		opts.Prefix = ns.key(prefix)
		it := txn.NewIterator(opts)
		defer it.Close()
		var last []byte
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			key := item.Key()
			if last != nil && string(key) == string(last) {
				continue // an older version: only the newest counts
			}
			last = item.KeyCopy(last[:0])
			exp := item.ExpiresAt()
			if exp != 0 && exp <= limit {
				expired = append(expired, item.KeyCopy(nil))
			}
		}
		return nil
	})
	if err != nil || len(expired) == 0 {
		return 0, err
	}
	db.writes.RLock()
	defer db.writes.RUnlock()
	wb := db.bdb.NewWriteBatch()
	defer wb.Cancel()
	for _, k := range expired {
		if err := wb.Delete(k); err != nil {
			return 0, err
		}
	}
	if err := wb.Flush(); err != nil {
		return 0, err
	}
	return len(expired), nil
}
