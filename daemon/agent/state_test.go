package agent_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/marketsync/marketsync/daemon/agent/agenttest"
	"github.com/marketsync/marketsync/daemon/catalog"
	"github.com/marketsync/marketsync/daemon/store"
	"github.com/marketsync/marketsync/sdk/model"
)

// An agent whose data_dir came up empty, while its marker says it held
// products, refuses to start and says how to restore; with
// AcceptDataLoss (-accept-data-loss) it starts on what is left.
func TestAgentRefusesALostDatabase(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	db, err := store.Open(store.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(txn *store.Txn) error {
		return catalog.Put(txn, "src", &model.Product{Id: "1", Source: "sandbox"}, time.Now())
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != store.MarkerFile {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}

	cfg := agenttest.Config(t, bin, fmt.Sprintf("data_dir = %q\n", dir))
	_, err = agenttest.Start(t, cfg)
	if err == nil {
		t.Fatal("the agent started on a database that lost its products")
	}
	for _, want := range []string{"MANIFEST is missing", "marketsync operator snapshot restore -data-dir " + dir, "-accept-data-loss"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}

	cfg.AcceptDataLoss = true
	if _, err := agenttest.Start(t, cfg); err != nil {
		t.Fatalf("with the loss accepted: %v", err)
	}
}
