package cluster_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	agentclient "github.com/marketsync/marketsync/daemon/client"
	"github.com/marketsync/marketsync/daemon/cluster/clustertest"
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
	var gossip0 string
	procs := map[string]*exec.Cmd{}
	clients := map[string]*agentclient.Client{}
	for i := range 3 {
		name := fmt.Sprintf("node-%d", i)
		dir := t.TempDir()
		apiAddr, gossipAddr, raftAddr := clustertest.FreeAddr(t), clustertest.FreeAddr(t), clustertest.FreeAddr(t)
		join := "[]"
		if i == 0 {
			gossip0 = gossipAddr
		} else {
			join = fmt.Sprintf("[%q]", gossip0)
		}
		hcl := fmt.Sprintf(`data_dir = %q
log_level = "info"
api {
  address = %q
}
cluster {
  name             = "failover"
  node_name        = %q
  bind_addr        = %q
  raft_addr        = %q
  join             = %s
  server           = true
  bootstrap_expect = 3
  encrypt          = "ZGVtby1vbmx5LWRlbW8tb25seS1kZW1vLW9ubHktISE="
}
platform "sandbox" "acct" {}
`, dir, apiAddr, name, gossipAddr, raftAddr, join)
		file := filepath.Join(dir, "agent.hcl")
		if err := os.WriteFile(file, []byte(hcl), 0o600); err != nil {
			t.Fatal(err)
		}
		log, err := os.Create(filepath.Join(dir, "agent.log"))
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(filepath.Join(bin, "marketsync"), "agent", "-config", file)
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			cmd.Process.Kill()
			cmd.Wait()
			log.Close()
			if t.Failed() {
				b, _ := os.ReadFile(log.Name())
				t.Logf("%s's log:\n%s", name, b)
			}
		})
		procs[name] = cmd
		c, err := agentclient.New(agentclient.Config{Address: apiAddr})
		if err != nil {
			t.Fatal(err)
		}
		clients[name] = c
	}
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
