package cluster_test

import (
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

var failover = flag.Bool("failover", false, "measure ownership failover with three agent processes and kill -9 (about a minute: builds the agent)")

// TestOwnershipFailoverProcesses runs three agents as processes with the
// default lease and lock-delay, kills the owner of an account with
// SIGKILL and reports how long until another node owns it, as the
// members list of a surviving agent shows it. Real processes on real
// clocks, so it runs only with -failover:
//
//	go test -v -run OwnershipFailoverProcesses ./daemon/cluster/ -args -failover
func TestOwnershipFailoverProcesses(t *testing.T) {
	if !*failover {
		t.Skip("three agent processes on real clocks: run with -args -failover")
	}
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", bin+"/", "./daemon/cmd/marketsync", "./plugins/sandbox")
	build.Dir = "../.."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	if err := os.Rename(filepath.Join(bin, "sandbox"), filepath.Join(bin, "marketsync-plugin-sandbox")); err != nil {
		t.Fatal(err)
	}
	const account = "platform/acct"
	procs, clients := startProcesses(t, bin, "failover", func(string) string { return `platform "sandbox" "acct" {}` + "\n" })
	// owner polls a node's members list every 50ms for the alive node
	// that owns the account, other than not.
	owner := func(from, not string, within time.Duration) (string, time.Duration) {
		start := time.Now()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for range tick.C {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			members, err := clients[from].Cluster().Members(ctx)
			cancel()
			if err == nil {
				for _, m := range members {
					if m.Status == "alive" && m.Name != not && slices.Contains(m.Owned, account) {
						return m.Name, time.Since(start)
					}
				}
			}
			if time.Since(start) > within {
				t.Fatalf("no node but %q owns %s after %s (last error: %v)", not, account, within, err)
			}
		}
		return "", 0
	}
	first, _ := owner("node-0", "", time.Minute)
	survivor := "node-0"
	if first == survivor {
		survivor = "node-1"
	}
	role := "a follower"
	if peers, err := clients[survivor].Cluster().RaftPeers(t.Context()); err == nil {
		for _, p := range peers {
			if p.Leader && p.ID == first {
				role = "the raft leader"
			}
		}
	}
	if err := procs[first].Process.Kill(); err != nil { // SIGKILL: no goodbye, no release
		t.Fatal(err)
	}
	next, took := owner(survivor, first, time.Minute)
	t.Logf("%s (%s) owned %s; after kill -9 of it, %s owned it %.1f s later, as %s's members list showed", first, role, account, next, took.Seconds(), survivor)
}
