package agent

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/marketsync/marketsync/config"
	"github.com/marketsync/marketsync/daemon/api"
	"github.com/marketsync/marketsync/daemon/client"
	"github.com/marketsync/marketsync/daemon/cluster/clustertest"
	"github.com/marketsync/marketsync/daemon/syncengine"
)

// A node that does not own a pipeline's store, in a cluster where no node
// does, answers a run with a 503 naming the account, and its fence holds
// no token; alone, an agent has no fence.
func TestSyncRunWithoutAnOwnerIsRefusedClearly(t *testing.T) {
	if (&Agent{}).syncFence() != nil {
		t.Fatal("an agent without a cluster has a fence")
	}
	cfg := config.Default()
	cfg.InMemory = true
	cfg.DataDir = t.TempDir()
	cfg.API.Address = "127.0.0.1:1"
	cfg.Cluster = &config.Cluster{Name: "solo", NodeName: "solo-0", BindAddr: "127.0.0.1:0", RaftAddr: clustertest.FreeAddr(t),
		Server: true, BootstrapExpect: 1, Encrypt: config.Secret("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")}
	a := &Agent{cfg: cfg, log: slog.New(slog.DiscardHandler)}
	if err := a.setupCluster(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.closeCluster() })
	if token, ok := a.syncFence()("shop"); ok || token != 0 {
		t.Fatalf("fence of an account nobody owns: %d %v", token, ok)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	cause := &syncengine.NotOwnerError{Pipeline: "src-shop", Target: "shop"}
	_, err := a.forwardSyncRun(ctx, "src-shop", client.SyncRunRequest{}, cause)
	var ae *api.Error
	if !errors.As(err, &ae) || ae.Status != http.StatusServiceUnavailable || ae.Code != client.CodeUnavailable ||
		!strings.Contains(ae.Message, "not the owner of platform shop") || !strings.Contains(ae.Message, "no node owns platform/shop") {
		t.Fatalf("run of an unowned store: %v", err)
	}
}
