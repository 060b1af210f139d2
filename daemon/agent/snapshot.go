package agent

import (
	"context"
	"io"

	"github.com/marketsync/marketsync/daemon/api"
)

// snapshots serves GET /v1/operator/snapshot from the agent's open store.
type snapshots struct{ a *Agent }

var _ api.SnapshotSource = snapshots{}

// Snapshot cannot be cancelled half-way: Badger's backup stream takes no
// context, and it holds writes only while it runs.
func (s snapshots) Snapshot(context.Context) (io.ReadCloser, int64, error) {
	f, size, err := s.a.db.OpenSnapshot(s.a.Version())
	if err != nil {
		return nil, 0, err
	}
	s.a.log.Info("snapshot served", "bytes", size)
	return f, size, nil
}
