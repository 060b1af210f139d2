package api

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/marketsync/marketsync/daemon/client"
)

// SnapshotSource serves GET /v1/operator/snapshot: a snapshot of the
// running agent's state, as `marketsync operator snapshot save` writes
// from a stopped one. It is optional: without one the route answers 404.
type SnapshotSource interface {
	// Snapshot writes a whole snapshot and returns it to read from the
	// start, with its size; the caller closes it. Writes wait while it
	// is made, so the counts in its header match its records.
	Snapshot(ctx context.Context) (io.ReadCloser, int64, error)
}

// snapshotRate is the slowest a snapshot download may go before the
// server gives up on it: the route's write deadline is its size at this
// rate plus a minute, instead of the API's usual deadline, which a large
// data_dir would not fit in.
const snapshotRate = 1 << 20 // bytes a second

func (s *Server) snapshotRoutes() {
	s.mux.HandleFunc("GET /v1/operator/snapshot", s.snapshot)
}

func (s *Server) snapshot(w http.ResponseWriter, r *http.Request) {
	if s.snapshots == nil {
		s.writeError(w, r, NotFound(client.CodeNotFound, "snapshots are not served by this agent"))
		return
	}
	f, size, err := s.snapshots.Snapshot(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer f.Close()
	deadline := s.now().Add(time.Minute + time.Duration(size/snapshotRate)*time.Second)
	if err := http.NewResponseController(w).SetWriteDeadline(deadline); err != nil {
		s.logger.Warn("snapshot: cannot extend the write deadline; a large snapshot may be cut", "error", err)
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	if n, err := io.Copy(w, f); err != nil {
		// The status is sent: the client sees a short body, which its
		// size check refuses.
		s.logger.Warn("snapshot download ended early", "sent", n, "size", size, "error", err)
	}
}
