package client

import (
	"context"
	"net/http"
)

// CodeNoCluster answers a cluster route on an agent that runs alone (no
// cluster block).
const CodeNoCluster = "no_cluster"

// Member is one node of the cluster as the answering agent's gossip sees
// it (GET /v1/cluster/members).
type Member struct {
	Name string `json:"name"`
	// Addr is the gossip address; Status is alive, failed or left.
	Addr     string `json:"addr"`
	Status   string `json:"status"`
	Server   bool   `json:"server"`
	Version  string `json:"version,omitempty"`
	Protocol int    `json:"protocol"`
	APIAddr  string `json:"api_addr,omitempty"`
	RaftAddr string `json:"raft_addr,omitempty"`
	// Load is the node's share of work it reports (0 idle, 1 saturated);
	// Owned lists the resources it owns, OwnedCount counts them when the
	// list did not fit in gossip.
	Load       float64  `json:"load"`
	OwnedCount int      `json:"owned_count"`
	Owned      []string `json:"owned,omitempty"`
}

// RaftPeer is one server of the raft configuration
// (GET /v1/cluster/raft/peers).
type RaftPeer struct {
	ID      string `json:"id"`
	Address string `json:"address"`
	Leader  bool   `json:"leader"`
	Voter   bool   `json:"voter"`
}

// ClusterEndpoint is the handle on /v1/cluster.
type ClusterEndpoint struct {
	client *Client
}

// Cluster returns the handle on the cluster endpoints.
func (c *Client) Cluster() *ClusterEndpoint { return &ClusterEndpoint{client: c} }

// Members lists the cluster's nodes.
func (e *ClusterEndpoint) Members(ctx context.Context) ([]Member, error) {
	var out []Member
	err := e.client.do(ctx, http.MethodGet, "/v1/cluster/members", nil, nil, &out)
	return out, err
}

// RaftPeers lists the raft servers, the leader marked.
func (e *ClusterEndpoint) RaftPeers(ctx context.Context) ([]RaftPeer, error) {
	var out []RaftPeer
	err := e.client.do(ctx, http.MethodGet, "/v1/cluster/raft/peers", nil, nil, &out)
	return out, err
}
