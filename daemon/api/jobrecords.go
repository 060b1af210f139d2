package api

import (
	"context"
	"encoding/json"
	"net/http"
)

// JobRecords is what a ClusterSource adds when the cluster replicates its
// collect jobs: POST /v1/cluster/jobs hands a command on the replicated
// job table to the leader, as lock requests go to it, so that the node
// that owns a platform account checkpoints its jobs from any seat. The
// body is opaque here: the cluster package defines and checks it.
type JobRecords interface {
	ApplyJobRecord(ctx context.Context, cmd json.RawMessage) (json.RawMessage, error)
}

func (s *Server) applyJobRecord(w http.ResponseWriter, r *http.Request) (any, error) {
	jr, ok := s.cluster.(JobRecords)
	if !ok {
		return nil, s.noCluster()
	}
	var cmd json.RawMessage
	if err := decodeJSON(w, r, &cmd, `{"op": "create|checkpoint|claim|unfinished", "id": "<job>", ...}`); err != nil {
		return nil, err
	}
	return jr.ApplyJobRecord(r.Context(), cmd)
}
