package storetest

import (
	"testing"

	"github.com/marketsync/marketsync/daemon/store"
)

// Open opens a database with o and closes it when the test ends.
func Open(t testing.TB, o store.Options) *store.DB {
	t.Helper()
	db, err := store.Open(o)
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("store.Close: %v", err)
		}
	})
	return db
}

// Modes returns the two ways the daemon opens its database, by name: in
// memory (-dev) and on disk in a new temporary directory, without the
// value-log GC loop.
func Modes(t testing.TB) map[string]store.Options {
	return map[string]store.Options{
		"memory": {InMemory: true},
		"disk":   {Dir: t.TempDir(), GCInterval: -1},
	}
}
