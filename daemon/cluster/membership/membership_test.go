package membership_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/marketsync/marketsync/daemon/cluster/clustertest"
	"github.com/marketsync/marketsync/daemon/cluster/membership"
)

var key = []byte("0123456789abcdef0123456789abcdef")

// start runs a node on the in-memory network, with the failure detector
// tuned for a test.
func start(t *testing.T, network *clustertest.GossipNet, name string, meta membership.Meta, keys ...[]byte) *membership.Membership {
	t.Helper()
	return startLogging(t, network, name, slog.New(slog.DiscardHandler), meta, keys...)
}

func startLogging(t *testing.T, network *clustertest.GossipNet, name string, log *slog.Logger, meta membership.Meta, keys ...[]byte) *membership.Membership {
	t.Helper()
	if meta.Cluster == "" {
		meta.Cluster = "test"
	}
	if network.Empty() {
		// Runs last, after every Shutdown: memberlist does not wait for a
		// probe that is waiting out its timeout, and a bubble's clock
		// stops once the test returns; move it on so that those end.
		t.Cleanup(func() { time.Sleep(time.Minute) })
	}
	m, err := membership.New(membership.Config{
		NodeName: name, Meta: meta, Keys: keys, Local: true,
		Transport: network.NewTransport(),
		Logger:    log,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Shutdown() })
	return m
}

func statuses(m *membership.Membership) map[string]membership.Status {
	out := map[string]membership.Status{}
	for _, mb := range m.Members() {
		out[mb.Name] = mb.Status
	}
	return out
}

func TestJoinGossipsMetadataAndLeave(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var network clustertest.GossipNet
		a := start(t, &network, "a", membership.Meta{Server: true, BootstrapExpect: 3, RaftAddr: "a:1"}, key)
		b := start(t, &network, "b", membership.Meta{Server: true, BootstrapExpect: 3}, key)
		c := start(t, &network, "c", membership.Meta{}, key)
		for _, m := range []*membership.Membership{b, c} {
			if n, err := m.Join(t.Context(), []string{a.Addr()}); err != nil || n != 1 {
				t.Fatalf("join: %d, %v", n, err)
			}
		}
		clustertest.Eventually(t, 5*time.Second, "every node sees three alive members", func() bool {
			for _, m := range []*membership.Membership{a, b, c} {
				if len(m.Alive()) != 3 {
					return false
				}
			}
			return true
		})
		for _, mb := range c.Members() {
			if mb.Name == "a" && (!mb.Meta.Server || mb.Meta.RaftAddr != "a:1" || mb.Meta.BootstrapExpect != 3 || mb.Meta.Protocol != membership.Protocol) {
				t.Fatalf("c sees a's metadata as %+v", mb.Meta)
			}
		}

		if err := a.UpdateMeta(func(m *membership.Meta) { m.Load = 0.5; m.Owned = []string{"taobao/main"} }); err != nil {
			t.Fatal(err)
		}
		clustertest.Eventually(t, 5*time.Second, "c sees a's new load and owned resources", func() bool {
			for _, mb := range c.Members() {
				if mb.Name == "a" {
					return mb.Meta.Load == 0.5 && mb.Meta.OwnedCount == 1 && mb.Meta.Owned[0] == "taobao/main"
				}
			}
			return false
		})

		if err := b.Leave(time.Second); err != nil {
			t.Fatal(err)
		}
		clustertest.Eventually(t, 5*time.Second, "a and c see b as left", func() bool {
			return statuses(a)["b"] == membership.Left && statuses(c)["b"] == membership.Left
		})
	})
}

func TestCrashedNodeIsFailed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var network clustertest.GossipNet
		a := start(t, &network, "a", membership.Meta{}, key)
		b := start(t, &network, "b", membership.Meta{}, key)
		if _, err := b.Join(t.Context(), []string{a.Addr()}); err != nil {
			t.Fatal(err)
		}
		clustertest.Eventually(t, 5*time.Second, "a sees b", func() bool { return statuses(a)["b"] == membership.Alive })
		b.Shutdown()
		clustertest.Eventually(t, 30*time.Second, "a declares b failed", func() bool { return statuses(a)["b"] == membership.Failed })
	})
}

// A node is refused when its gossip key is wrong or missing, its cluster
// name differs (memberlist's label drops its packets) or it speaks another
// cluster protocol (the merge delegate refuses it, and says why).
func TestStrangersAreRefused(t *testing.T) {
	for name, tc := range map[string]struct {
		meta   membership.Meta
		keys   [][]byte
		reason bool   // a.Refused names it
		logged string // what a logs at error level
	}{
		"wrong key":      {keys: [][]byte{[]byte("fedcba9876543210fedcba9876543210")}, logged: "no installed keys could decrypt the message"},
		"no key":         {logged: "encryption is configured but remote state is not encrypted"},
		"other cluster":  {meta: membership.Meta{Cluster: "staging"}, keys: [][]byte{key}, logged: `unacceptable label \"staging\"`},
		"other protocol": {meta: membership.Meta{Protocol: membership.Protocol + 1, Version: "9.0.0"}, keys: [][]byte{key}, reason: true, logged: "cluster protocol 2, this node speaks 1"},
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var network clustertest.GossipNet
				var logged bytes.Buffer
				a := startLogging(t, &network, "a", slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelError})), membership.Meta{}, key)
				stranger := start(t, &network, "stranger", tc.meta, tc.keys...)
				ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
				defer cancel()
				if n, err := stranger.Join(ctx, []string{a.Addr()}); err == nil || n != 0 {
					t.Fatalf("joined: %d, %v", n, err)
				}
				synctest.Wait()
				if got := statuses(a); len(got) != 1 {
					t.Fatalf("a's members after a refused join: %v", got)
				}
				if why := a.Refused()["stranger"]; tc.reason && why == "" {
					t.Fatalf("a does not say why it refused: %v", a.Refused())
				}
				if !strings.Contains(logged.String(), tc.logged) {
					t.Fatalf("a's error log lacks %q:\n%s", tc.logged, logged.String())
				}
			})
		})
	}
}

// Owned names that do not fit gossip's metadata are dropped from what
// peers see; their count stays.
func TestMetadataTooLargeDropsOwnedNames(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var network clustertest.GossipNet
		a := start(t, &network, "a", membership.Meta{}, key)
		b := start(t, &network, "b", membership.Meta{}, key)
		if _, err := b.Join(t.Context(), []string{a.Addr()}); err != nil {
			t.Fatal(err)
		}
		var owned []string
		for i := range 100 {
			owned = append(owned, fmt.Sprintf("shopify/store-%03d", i))
		}
		if err := a.UpdateMeta(func(m *membership.Meta) { m.Owned = owned }); err != nil {
			t.Fatal(err)
		}
		if got := a.Meta(); len(got.Owned) != 100 {
			t.Fatalf("local meta keeps %d owned", len(got.Owned))
		}
		clustertest.Eventually(t, 5*time.Second, "b sees a's count of owned resources without their names", func() bool {
			for _, mb := range b.Members() {
				if mb.Name == "a" {
					return mb.Meta.OwnedCount == 100 && len(mb.Meta.Owned) == 0
				}
			}
			return false
		})
	})
}
