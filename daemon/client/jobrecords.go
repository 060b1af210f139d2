package client

import (
	"context"
	"encoding/json"
	"net/http"
)

// CodeNoOwner answers a request for a platform account that no node of
// the cluster owns yet (an election or a failover is under way); retry.
const CodeNoOwner = "no_owner"

// CodeNotOwner answers a job table command from a node that does not
// hold the account's lease with the command's fencing token: it lost the
// account, and another node's newer lease superseded its own.
const CodeNotOwner = "not_owner"

// ApplyJobRecord sends a command on the cluster's replicated job table to
// the agent, which commits it on the raft leader (POST /v1/cluster/jobs).
// Cluster nodes use it among themselves; cmd and the answer are the
// cluster's own encoding.
func (e *ClusterEndpoint) ApplyJobRecord(ctx context.Context, cmd json.RawMessage) (json.RawMessage, error) {
	var out json.RawMessage
	err := e.client.do(ctx, http.MethodPost, "/v1/cluster/jobs", nil, cmd, &out)
	return out, err
}
