package command

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/marketsync/marketsync/daemon/api"
	"github.com/marketsync/marketsync/daemon/api/apitest"
	"github.com/marketsync/marketsync/daemon/catalog"
	"github.com/marketsync/marketsync/daemon/client"
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

}

// dbSnapshots serves a running agent's snapshots from an open store, as
// the agent does.
type dbSnapshots struct{ db *store.DB }

func (s dbSnapshots) Snapshot(context.Context) (io.ReadCloser, int64, error) {
	return s.db.OpenSnapshot("test")
}

// brokenSnapshots serves a snapshot whose last byte is flipped.
type brokenSnapshots struct{ dbSnapshots }

func (s brokenSnapshots) Snapshot(ctx context.Context) (io.ReadCloser, int64, error) {
	f, n, err := s.dbSnapshots.Snapshot(ctx)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, 0, err
	}
	b[len(b)-1] ^= 1
	return io.NopCloser(bytes.NewReader(b)), n, nil
}

func TestOperatorSnapshotFromARunningAgent(t *testing.T) {
	db, err := store.Open(store.Options{Dir: dataDir(t, 3)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	t.Setenv(client.EnvAddress, apitest.Serve(t, api.Config{Backend: apitest.NewBackend(), Snapshots: dbSnapshots{db}}).URL)
	snap := filepath.Join(t.TempDir(), "backup.snap")
	runCLI(t, "", "operator", "snapshot", "save", snap).want(t, 0, "Records  = 3 (catalog/ 3)", "SHA-256")
	good, err := os.ReadFile(snap)
	if err != nil {
		t.Fatal(err)
	}
	runCLI(t, "", "operator", "snapshot", "inspect", snap).want(t, 0, "Records  = 3 (catalog/ 3)")

	// A download that does not check out leaves the last good snapshot
	// in place and no partial file beside it.
	t.Setenv(client.EnvAddress, apitest.Serve(t, api.Config{Backend: apitest.NewBackend(), Snapshots: brokenSnapshots{dbSnapshots{db}}}).URL)
	runCLI(t, "", "operator", "snapshot", "save", snap).wantError(t, "store: snapshot file is corrupt")
	if now, err := os.ReadFile(snap); err != nil || !bytes.Equal(now, good) {
		t.Errorf("the good snapshot changed (%v)", err)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(snap), ".*part*")); len(left) > 0 {
		t.Errorf("partial files left: %v", left)
	}
}

func TestOperatorSnapshotWithoutAnAgent(t *testing.T) {
	t.Setenv(client.EnvAddress, "http://127.0.0.1:1")
	dir := t.TempDir()
	runCLI(t, "", "operator", "snapshot", "save", filepath.Join(dir, "x.snap")).wantError(t, "cannot reach the agent at http://127.0.0.1:1")
	if left, _ := os.ReadDir(dir); len(left) > 0 {
		t.Errorf("files left: %v", left)
	}
}
