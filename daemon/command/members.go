package command

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/marketsync/marketsync/daemon/client"
)

// MembersCommand lists the cluster's nodes as the agent's gossip sees them.
type MembersCommand struct {
	Meta
}

func (c *MembersCommand) Synopsis() string { return "List the nodes of the agent's cluster" }

func (c *MembersCommand) Help() string {
	return strings.TrimSpace(`
Usage: marketsync members [options]

  Lists every node of the cluster the agent belongs to, as its gossip
  (memberlist) sees them, one row each:

    NAME      the node's cluster.node_name
    ADDRESS   its gossip address
    STATUS    alive, failed (the failure detector gave up on it) or left
              (it said goodbye)
    ROLE      server (a raft voter that serves locks) or client
    VERSION   the agent's version, and the cluster protocol it speaks
    LOAD      the load it reports
    OWNED     the platform accounts it owns

  An agent without a cluster block answers that it runs alone.

` + generalOptions())
}

func (c *MembersCommand) Run(args []string) int {
	_, cl, err := c.connect(c.FlagSet("members", true), args, noArgs("members"))
	if err != nil {
		return c.exit(err)
	}
	list, err := cl.Cluster().Members(context.Background())
	if err != nil {
		return c.exit(err)
	}
	if c.json {
		return c.printJSON(list)
	}
	rows := [][]string{{"NAME", "ADDRESS", "STATUS", "ROLE", "VERSION", "LOAD", "OWNED"}}
	for _, m := range list {
		rows = append(rows, []string{m.Name, m.Addr, m.Status, role(m), fmt.Sprintf("%s (protocol %d)", orDash(m.Version), m.Protocol),
			strconv.FormatFloat(m.Load, 'f', 2, 64), owned(m)})
	}
	c.Ui.Output(table(rows))
	return 0
}

func role(m client.Member) string {
	if m.Server {
		return "server"
	}
	return "client"
}

func owned(m client.Member) string {
	switch {
	case len(m.Owned) > 0:
		return strings.Join(m.Owned, ",")
	case m.OwnedCount > 0:
		return strconv.Itoa(m.OwnedCount) + " resources"
	}
	return "-"
}

// OperatorRaftListPeersCommand lists the raft servers.
type OperatorRaftListPeersCommand struct {
	Meta
}

func (c *OperatorRaftListPeersCommand) Synopsis() string {
	return "List the raft servers of the cluster"
}

func (c *OperatorRaftListPeersCommand) Help() string {
	return strings.TrimSpace(`
Usage: marketsync operator raft list-peers [options]

  Lists the servers of the cluster's raft configuration, as the agent's
  server (or, on a client, a server) knows it: each server's id (its node
  name), raft address, whether it is the leader and whether it votes.

` + generalOptions())
}

func (c *OperatorRaftListPeersCommand) Run(args []string) int {
	_, cl, err := c.connect(c.FlagSet("operator raft list-peers", true), args, noArgs("operator raft list-peers"))
	if err != nil {
		return c.exit(err)
	}
	peers, err := cl.Cluster().RaftPeers(context.Background())
	if err != nil {
		return c.exit(err)
	}
	if c.json {
		return c.printJSON(peers)
	}
	rows := [][]string{{"NODE", "ADDRESS", "STATE", "VOTER"}}
	for _, p := range peers {
		state := "follower"
		if p.Leader {
			state = "leader"
		}
		rows = append(rows, []string{p.ID, p.Address, state, strconv.FormatBool(p.Voter)})
	}
	c.Ui.Output(table(rows))
	return 0
}
