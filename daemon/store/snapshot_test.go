package store_test

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"testing"

	"github.com/marketsync/marketsync/daemon/store"
)

func TestSnapshotSaveInspectRestore(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a data directory of several MB")
	}
	src := copyDir(t, goldenDir(t))
	db, err := store.Open(store.Options{Dir: src, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "backup.snap")
	saved, err := db.SaveSnapshot(path, "test")
	if err != nil {
		t.Fatal(err)
	}
	want, err := db.Counts()
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(saved.Counts, want) || saved.Counts["catalog/"] != faultProducts {
		t.Fatalf("header counts %v, database %v", saved.Counts, want)
	}
	got, err := store.InspectSnapshot(path)
	if err != nil {
		t.Fatalf("Inspect: %v", err)
	}
	if got.SHA256 != saved.SHA256 || got.Size != saved.Size || got.Version != "test" {
		t.Fatalf("inspected %+v, saved %+v", got, saved)
	}

	// Restore over a damaged data directory: it is moved aside and the
	// snapshot serves every product.
	dir := copyDir(t, goldenDir(t))
	truncateTo(t, filesOf(t, dir, ".vlog")[0], func(n int64) int64 { return n / 2 })
	if _, err := store.Open(store.Options{Dir: dir}); !errors.Is(err, store.ErrDamaged) {
		t.Fatalf("damaged copy opened: %v", err)
	}
	if _, err := store.RestoreSnapshot(path, dir, nil); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	aside, _ := filepath.Glob(dir + ".replaced-*")
	if len(aside) != 1 {
		t.Errorf("replaced directory kept as %v, want one", aside)
	}
	restored, err := store.Open(store.Options{Dir: dir, GCInterval: -1})
	if err != nil {
		t.Fatalf("open the restored database: %v", err)
	}
	checkServed(t, restored, false)

	// While a process holds the directory, restore and save refuse.
	if _, err := store.RestoreSnapshot(path, dir, nil); !errors.Is(err, store.ErrLocked) {
		t.Errorf("restore into an open database: %v, want ErrLocked", err)
	}
	if _, err := store.Open(store.Options{Dir: dir, ReadOnly: true}); !errors.Is(err, store.ErrLocked) {
		t.Errorf("open an open database read-only: %v, want ErrLocked", err)
	}
	if err := restored.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestSnapshotCorruptionIsFound(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a data directory of several MB")
	}
	db, err := store.Open(store.Options{Dir: copyDir(t, goldenDir(t)), ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "backup.snap")
	if _, err := db.SaveSnapshot(path, "test"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for name, damage := range map[string]func(b []byte) []byte{
		"bit flipped in the stream": func(b []byte) []byte { b[len(b)/2] ^= 4; return b },
		"cut short":                 func(b []byte) []byte { return b[:len(b)*3/4] },
		"header damaged":            func(b []byte) []byte { b[0] = 'X'; return b },
	} {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			bad := filepath.Join(t.TempDir(), "bad.snap")
			if err := os.WriteFile(bad, damage(b), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := store.InspectSnapshot(bad); !errors.Is(err, store.ErrSnapshotCorrupt) {
				t.Errorf("Inspect: %v, want ErrSnapshotCorrupt", err)
			}
			dir := filepath.Join(t.TempDir(), "data")
			if _, err := store.RestoreSnapshot(bad, dir, nil); !errors.Is(err, store.ErrSnapshotCorrupt) {
				t.Errorf("Restore: %v, want ErrSnapshotCorrupt", err)
			}
			if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a failed restore left %s behind (%v)", dir, err)
			}
		})
	}
}
