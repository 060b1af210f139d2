package command

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/marketsync/marketsync/daemon/catalog"
	"github.com/marketsync/marketsync/daemon/store"
	"github.com/marketsync/marketsync/sdk/model"
)

// dataDir returns a stopped agent's data directory holding n products.
func dataDir(t *testing.T, n int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	db, err := store.Open(store.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(txn *store.Txn) error {
		for i := range n {
			p := &model.Product{Id: string(rune('a' + i)), Source: "sandbox"}
			if err := catalog.Put(txn, "src", p, time.Now()); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestOperatorSnapshot(t *testing.T) {
	dir := dataDir(t, 3)
	snap := filepath.Join(t.TempDir(), "backup.snap")
	runCLI(t, "", "operator", "snapshot", "save", "-data-dir", dir, snap).want(t, 0, "Records  = 3 (catalog/ 3)", "SHA-256")
	runCLI(t, "", "operator", "snapshot", "inspect", snap).want(t, 0, "Records  = 3 (catalog/ 3)")

	// Through the agent's config file, into a new data_dir.
	target := filepath.Join(t.TempDir(), "restored")
	cfg := filepath.Join(t.TempDir(), "agent.hcl")
	if err := os.WriteFile(cfg, []byte("data_dir = \""+target+"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	runCLI(t, "", "operator", "snapshot", "restore", "-config", cfg, snap).want(t, 0, "Restored into "+target)
	db, err := store.Open(store.Options{Dir: target})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := db.View(func(txn *store.Txn) (err error) { n, err = catalog.Count(txn, "src"); return err }); err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("restored %d products, want 3", n)
	}
	// The agent (here, an open database) holds the directory.
	runCLI(t, "", "operator", "snapshot", "restore", "-data-dir", target, snap).wantError(t, "store: the data directory is in use")
	runCLI(t, "", "operator", "snapshot", "save", "-data-dir", target, snap).wantError(t, "store: the data directory is in use (is the agent running?): "+target+": stop the agent first")
	db.Close()

	b, err := os.ReadFile(snap)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-1] ^= 1
	if err := os.WriteFile(snap, b, 0o600); err != nil {
		t.Fatal(err)
	}
	runCLI(t, "", "operator", "snapshot", "inspect", snap).wantError(t, "store: snapshot file is corrupt")

	runCLI(t, "", "operator", "snapshot", "save", snap).wantUsage(t, "give -data-dir DIR", "operator snapshot save")
}
