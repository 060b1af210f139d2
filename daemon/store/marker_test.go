package store_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/marketsync/marketsync/daemon/store"
)

type markerFile struct {
	State  string           `json:"state"`
	Counts map[string]int64 `json:"counts"`
	Files  map[string]int64 `json:"files"`
}

func readMarkerFile(t *testing.T, dir string) markerFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, store.MarkerFile))
	if err != nil {
		t.Fatal(err)
	}
	var m markerFile
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// The marker says what the database holds: running with the counts at
// open, then at each round after a write, and at Close stopped with the
// counts and the files.
func TestMarkerFollowsTheDatabase(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	db, err := store.Open(store.Options{Dir: dir, GCInterval: -1, MarkerInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	if m := readMarkerFile(t, dir); m.State != "running" || len(m.Counts) != 0 {
		t.Fatalf("marker after open: %+v", m)
	}
	round := db.MarkerRound()
	for i := range 3 {
		if err := db.Update(func(txn *store.Txn) error { return txn.Set(testNS, []byte{byte(i)}, []byte("v")) }); err != nil {
			t.Fatal(err)
		}
	}
	round()
	if m := readMarkerFile(t, dir); m.State != "running" || m.Counts["test/"] != 3 {
		t.Fatalf("marker after a round: %+v", m)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	m := readMarkerFile(t, dir)
	if m.State != "stopped" || m.Counts["test/"] != 3 || m.Files["MANIFEST"] == 0 {
		t.Fatalf("marker after close: %+v", m)
	}
	// A clean stop and nothing changed: it opens again.
	db, err = store.Open(store.Options{Dir: dir, GCInterval: -1})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestTrimMappings(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("Linux only")
	}
	db, err := store.Open(store.Options{Dir: t.TempDir(), GCInterval: -1, TrimInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(txn *store.Txn) error { return txn.Set(testNS, []byte("k"), make([]byte, 4<<10)) }); err != nil {
		t.Fatal(err)
	}
	covered, err := db.TrimMappings()
	if err != nil {
		t.Fatal(err)
	}
	if covered == 0 {
		t.Fatal("no mapping of Badger's files found")
	}
	// The data is still there.
	if err := db.View(func(txn *store.Txn) error {
		v, err := txn.Get(testNS, []byte("k"))
		if err == nil && len(v) != 4<<10 {
			t.Errorf("value of %d bytes", len(v))
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
}
