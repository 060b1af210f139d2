package store

import "github.com/dgraph-io/badger/v4"

// Batch writes more than one transaction can hold. It is not atomic:
// Badger commits it as a series of transactions as it fills, so after an
// error or a crash part of it may be stored. Callers that need all or
// nothing must make a partial batch harmless, for example by writing the
// record that makes the batch visible last, in a transaction of its own.
type Batch struct {
	wb *badger.WriteBatch
}

// Batch runs fn with a new Batch and flushes it when fn returns nil. What
// Badger had already committed stays when fn or the flush fails. As with
// Update, fn must not call Update or Batch.
func (db *DB) Batch(fn func(*Batch) error) error {
	db.writes.RLock()
	defer db.writes.RUnlock()
	wb := db.bdb.NewWriteBatch()
	defer wb.Cancel()
	db.written.Add(1)
	if err := fn(&Batch{wb: wb}); err != nil {
		return err
	}
	return wb.Flush()
}

// Set writes value at key in ns. The caller must not modify value until
// the batch is flushed.
func (b *Batch) Set(ns Namespace, key, value []byte) error {
	return b.wb.Set(ns.key(key), value)
}

// Delete removes key from ns.
func (b *Batch) Delete(ns Namespace, key []byte) error {
	return b.wb.Delete(ns.key(key))
}
