package cluster_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	agentclient "github.com/marketsync/marketsync/daemon/client"
	"github.com/marketsync/marketsync/daemon/cluster/clustertest"
)

// startProcesses runs three server agents from the binaries in bin, each
// a process of its own on loopback, node-0 to node-2, joined to node-0,
// with the platform blocks platforms gives each. An agent's log goes to a
// file, shown if the test fails or CLUSTER_TEST_LOG is set.
func startProcesses(t testing.TB, bin, cluster string, platforms func(node string) string) (map[string]*exec.Cmd, map[string]*agentclient.Client) {
	procs := map[string]*exec.Cmd{}
	clients := map[string]*agentclient.Client{}
	for _, srv := range clustertest.Servers(t, cluster, 3) {
		name := srv.Name
		dir := t.TempDir()
		apiAddr := clustertest.FreeAddr(t)
		hcl := fmt.Sprintf(`plugin_dir = %q
data_dir   = %q
log_level  = "info"
api {
  address = %q
}
%s%s`, bin, dir, apiAddr, srv.Block(), platforms(name))
		file := filepath.Join(dir, "agent.hcl")
		if err := os.WriteFile(file, []byte(hcl), 0o600); err != nil {
			t.Fatal(err)
		}
		logf, err := os.Create(filepath.Join(dir, "agent.log"))
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(filepath.Join(bin, "marketsync"), "agent", "-config", file)
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			cmd.Process.Kill()
			cmd.Wait()
			logf.Close()
			if t.Failed() || os.Getenv("CLUSTER_TEST_LOG") != "" {
				b, _ := os.ReadFile(logf.Name())
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
	return procs, clients
}
