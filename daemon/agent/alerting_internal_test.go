package agent

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/marketsync/marketsync/config"
	"github.com/marketsync/marketsync/daemon/alerting"
	"github.com/marketsync/marketsync/daemon/cluster/clustertest"
	"github.com/marketsync/marketsync/daemon/cluster/membership"
	"github.com/marketsync/marketsync/daemon/store"
	"github.com/marketsync/marketsync/daemon/store/storetest"
)

// TestClusterMemberDownFires: three nodes gossip; one crashes and one
// leaves with a goodbye. The rule over cluster_member_down, answered from
// the remaining node's membership, fires for the crashed member alone,
// on the raft leader only.
func TestClusterMemberDownFires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var network clustertest.GossipNet
		// Runs last, after every Shutdown: memberlist's probes waiting out
		// their timeouts end once the bubble's clock moves on.
		t.Cleanup(func() { time.Sleep(time.Minute) })
		node := func(name string) *membership.Membership {
			m, err := membership.New(membership.Config{NodeName: name, Meta: membership.Meta{Cluster: "c"}, Local: true,
				Transport: network.NewTransport(), Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { m.Shutdown() })
			return m
		}
		a, b, c := node("a"), node("b"), node("c")
		for _, m := range []*membership.Membership{b, c} {
			if _, err := m.Join(t.Context(), []string{a.Addr()}); err != nil {
				t.Fatal(err)
			}
		}
		clustertest.Eventually(t, 5*time.Second, "a sees three members", func() bool { return len(a.Alive()) == 3 })
		if err := c.Leave(time.Second); err != nil {
			t.Fatal(err)
		}
		b.Shutdown()
		clustertest.Eventually(t, 30*time.Second, "a declares b failed and c left", func() bool {
			st := map[string]membership.Status{}
			for _, m := range a.Members() {
				st[m.Name] = m.Status
			}
			return st["b"] == membership.Failed && st["c"] == membership.Left
		})

		path := filepath.Join(t.TempDir(), "a.hcl")
		hcl := "data_dir = \"/x\"\nalerting {\n  default_rules = false\n}\nalert \"member-down\" {\n  expr = cluster_member_down() > 0\n}\n"
		if err := os.WriteFile(path, []byte(hcl), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, _, diags := config.Load(path)
		if diags = append(diags, cfg.Validate()...); diags.HasErrors() {
			t.Fatal(diags)
		}
		evaluate := func(leads bool) []alerting.AlertStatus {
			m, err := alerting.New(alerting.Options{Config: cfg.Alerting, Store: storetest.Open(t, store.Options{InMemory: true}),
				Providers: []alerting.Provider{memberAlerts{members: a.Members, leads: func() bool { return leads }}}, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { m.Run(ctx); close(done) }()
			synctest.Wait() // the first evaluation ran
			alerts := m.Alerts()
			cancel()
			<-done
			return alerts
		}
		if alerts := evaluate(true); len(alerts) != 1 || alerts[0].State != alerting.StateFiring || alerts[0].Labels["member"] != "b" {
			t.Fatalf("alerts on the leader = %+v", alerts)
		}
		if alerts := evaluate(false); len(alerts) != 0 {
			t.Fatalf("alerts on a node that does not lead = %+v; the leader alone pages", alerts)
		}
	})
}
