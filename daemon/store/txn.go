package store

import (
	"bytes"
	"errors"

	"github.com/dgraph-io/badger/v4"
)

// Txn is a transaction over every namespace. The same Txn can be handed to
// several owner packages so that one commit spans their namespaces (a job
// checkpoint writes job/ and catalog/ together). A Txn is valid only inside
// the function given to DB.Update or DB.View and is not safe for concurrent
// use.
type Txn struct {
	txn *badger.Txn
}

// Get returns a copy of the value at key in ns, or ErrNotFound.
func (t *Txn) Get(ns Namespace, key []byte) ([]byte, error) {
	item, err := t.txn.Get(ns.key(key))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return item.ValueCopy(nil)
}

// Set writes value at key in ns. The caller must not modify value until
// the transaction ends. It fails with ErrTxnTooBig when the transaction
// would exceed the limits in the package documentation.
func (t *Txn) Set(ns Namespace, key, value []byte) error {
	return t.txn.Set(ns.key(key), value)
}

// Delete removes key from ns; deleting a missing key is not an error.
func (t *Txn) Delete(ns Namespace, key []byte) error {
	return t.txn.Delete(ns.key(key))
}

// Range selects the keys of one namespace that Scan visits. Keys in a Range
// and the keys Scan reports are relative to the namespace: without its
// prefix.
type Range struct {
	// Prefix limits the scan to keys that start with it; empty means the
	// whole namespace.
	Prefix []byte
	// After, when not nil, is a cursor: the scan starts with the first key
	// after it (before it when Reverse). It need not exist.
	After []byte
	// Limit stops the scan after that many keys; 0 means no limit.
	Limit int
	// Reverse visits keys in descending order.
	Reverse bool
	// KeysOnly skips reading values: fn gets a nil value. Counting keys
	// this way does not touch the value log.
	KeysOnly bool
}

// StopScan, returned by the function given to Scan, ends the scan early;
// Scan then returns nil.
//
//lint:ignore ST1012 a control-flow sentinel, not a failure, named like fs.SkipAll
var StopScan = errors.New("store: stop scan")

// Scan calls fn for each key of ns in r, in key order (descending when
// r.Reverse). key and value are valid only until fn returns; copy them to
// keep them. An error from fn other than StopScan ends the scan and is
// returned.
func (t *Txn) Scan(ns Namespace, r Range, fn func(key, value []byte) error) error {
	prefix := ns.key(r.Prefix)
	opts := badger.DefaultIteratorOptions
	opts.Reverse = r.Reverse
	opts.PrefetchValues = !r.KeysOnly
	if r.Limit > 0 && r.Limit < opts.PrefetchSize {
		opts.PrefetchSize = r.Limit
	}
	// Badger stops a prefix iterator at the first key outside the prefix.
	// A reverse scan starts from the key just past the prefix (which may
	// exist and must be stepped over), so it checks the prefix itself.
	if !r.Reverse {
		opts.Prefix = prefix
	}
	seek, skip := seekKey(ns, prefix, r)
	it := t.txn.NewIterator(opts)
	defer it.Close()

	n := 0
	for it.Seek(seek); it.Valid(); it.Next() {
		item := it.Item()
		key := item.Key()
		if skip != nil && bytes.Equal(key, skip) {
			continue
		}
		if !bytes.HasPrefix(key, prefix) {
			break
		}
		rel := key[len(ns.prefix):]
		var err error
		if r.KeysOnly {
			err = fn(rel, nil)
		} else {
			err = item.Value(func(v []byte) error { return fn(rel, v) })
		}
		if errors.Is(err, StopScan) {
			return nil
		}
		if err != nil {
			return err
		}
		if n++; n == r.Limit {
			return nil
		}
	}
	return nil
}

// seekKey returns where a scan of r starts, and the key to step over if
// the scan lands on it: the cursor itself, or in reverse the first key past
// the prefix. A cursor outside the prefix's range is clamped into it.
func seekKey(ns Namespace, prefix []byte, r Range) (seek, skip []byte) {
	end := prefixEnd(prefix)
	if r.After != nil {
		after := ns.key(r.After)
		switch {
		case !r.Reverse && bytes.Compare(after, prefix) >= 0,
			r.Reverse && (end == nil || bytes.Compare(after, end) < 0):
			return after, after
		}
	}
	if r.Reverse {
		return end, end
	}
	return prefix, nil
}

// prefixEnd returns the smallest key greater than every key that starts
// with prefix, or nil when there is none (a prefix of 0xff bytes).
func prefixEnd(prefix []byte) []byte {
	end := bytes.Clone(prefix)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}
