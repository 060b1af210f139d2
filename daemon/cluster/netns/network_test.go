package netns

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// network is a set of node namespaces on one bridge, in a namespace of its
// own so that no firewall of the host sees the traffic between nodes. Each
// node also has a management link to the root namespace, on which the test
// reaches its API: cutting a node off the bridge leaves the test able to
// ask it what it believes.
type network struct {
	t      *testing.T
	bridge string // the bridge's namespace
	nodes  []*netNode
}

// netNode is one node's namespace and addresses.
type netNode struct {
	ns string
	// ip is the node's address on the bridge (gossip, raft, forwarded
	// API calls); mgmt its address on the link to the root namespace.
	ip, mgmt string
	// port is the node's veth on the bridge, in the bridge's namespace.
	port string
}

// clusterSubnet is the bridge's subnet. It exists only inside the run's
// own namespaces, so parallel runs may all use it.
const clusterSubnet = "10.254.0."

// ipCmd runs iproute2's ip with args.
func ipCmd(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// newNetwork builds the namespaces, bridge and links for n nodes, under
// names unique to this run, and removes them (and every process left in
// them) when the test ends, passed or failed. It skips the test when the
// machine does not allow network namespaces.
func newNetwork(t *testing.T, n int) *network {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: creating network namespaces (ip netns add) and veth links takes CAP_SYS_ADMIN and CAP_NET_ADMIN")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs iproute2's ip command on PATH to create network namespaces")
	}
	id := fmt.Sprintf("%06x", rand.Uint32()&0xffffff)
	nw := &network{t: t, bridge: "msnet-" + id + "-br"}
	if err := nw.addNamespace(nw.bridge); err != nil {
		t.Skipf("this machine refuses network namespaces: %v", err)
	}
	mgmt := freeMgmtPrefix(t)
	nw.must("-n", nw.bridge, "link", "add", "br0", "type", "bridge")
	nw.must("-n", nw.bridge, "link", "set", "br0", "up")
	for i := range n {
		nd := &netNode{
			ns:   fmt.Sprintf("msnet-%s-%d", id, i+1),
			ip:   clusterSubnet + strconv.Itoa(11+i),
			mgmt: mgmt + strconv.Itoa(4*i+2),
			port: fmt.Sprintf("node%d", i+1),
		}
		if err := nw.addNamespace(nd.ns); err != nil {
			t.Fatal(err)
		}
		nw.must("-n", nd.ns, "link", "set", "lo", "up")
		// The cluster link: eth0 in the node, its peer a bridge port.
		nw.must("link", "add", "name", "eth0", "netns", nd.ns, "type", "veth", "peer", "name", nd.port, "netns", nw.bridge)
		nw.must("-n", nw.bridge, "link", "set", nd.port, "master", "br0")
		nw.must("-n", nw.bridge, "link", "set", nd.port, "up")
		nw.must("-n", nd.ns, "addr", "add", nd.ip+"/24", "dev", "eth0")
		nw.must("-n", nd.ns, "link", "set", "eth0", "up")
		// The management link: a /30 between the root namespace and
		// the node. Its root end goes with the namespace.
		root := fmt.Sprintf("msm%s%d", id, i+1)
		nw.must("link", "add", "name", root, "type", "veth", "peer", "name", "mgmt", "netns", nd.ns)
		nw.must("addr", "add", mgmt+strconv.Itoa(4*i+1)+"/30", "dev", root)
		nw.must("link", "set", root, "up")
		nw.must("-n", nd.ns, "addr", "add", nd.mgmt+"/30", "dev", "mgmt")
		nw.must("-n", nd.ns, "link", "set", "mgmt", "up")
		nw.nodes = append(nw.nodes, nd)
	}
	return nw
}

func (nw *network) must(args ...string) {
	nw.t.Helper()
	if err := ipCmd(args...); err != nil {
		nw.t.Fatal(err)
	}
}

// addNamespace creates a namespace and registers its removal: first every
// process still in it (only this run's agents and their plugins can be in
// a namespace of this run's name), then the namespace with its links.
func (nw *network) addNamespace(ns string) error {
	if err := ipCmd("netns", "add", ns); err != nil {
		return err
	}
	nw.t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "pids", ns).Output(); err == nil {
			for _, f := range strings.Fields(string(out)) {
				if pid, err := strconv.Atoi(f); err == nil {
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
			}
		}
		if err := ipCmd("netns", "del", ns); err != nil {
			nw.t.Errorf("removing network namespace %s: %v", ns, err)
		}
	})
	return nil
}

// freeMgmtPrefix picks a 10.x.y.0/24 for the management links that no
// address of the root namespace is in.
func freeMgmtPrefix(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("ip", "-o", "addr", "show").Output()
	if err != nil {
		t.Fatalf("ip -o addr show: %v", err)
	}
	for range 100 {
		p := fmt.Sprintf("10.%d.%d.", 100+rand.IntN(100), rand.IntN(256))
		if !strings.Contains(string(out), " "+p) {
			return p
		}
	}
	t.Fatal("no free 10.x.y.0/24 for the management links")
	return ""
}

// cut takes node i's bridge port down: it keeps running and keeps its
// management link, but reaches no other node and no other node reaches it.
func (nw *network) cut(i int) {
	nw.t.Helper()
	nw.must("-n", nw.bridge, "link", "set", nw.nodes[i].port, "down")
}

// heal brings node i's bridge port back up.
func (nw *network) heal(i int) {
	nw.t.Helper()
	nw.must("-n", nw.bridge, "link", "set", nw.nodes[i].port, "up")
}

// wrapper writes an executable named marketsync into a directory of its
// own that runs bin/marketsync inside node i's namespace, for
// agenttest.StartProcess; exec keeps the agent's process id the one the
// test started.
func (nw *network) wrapper(i int, bin string) string {
	nw.t.Helper()
	dir := nw.t.TempDir()
	script := fmt.Sprintf("#!/bin/sh\nexec ip netns exec %s %s \"$@\"\n", nw.nodes[i].ns, filepath.Join(bin, "marketsync"))
	if err := os.WriteFile(filepath.Join(dir, "marketsync"), []byte(script), 0o755); err != nil {
		nw.t.Fatal(err)
	}
	return dir
}
