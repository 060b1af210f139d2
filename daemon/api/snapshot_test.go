package api_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/marketsync/marketsync/daemon/api"
	"github.com/marketsync/marketsync/daemon/api/apitest"
	"github.com/marketsync/marketsync/daemon/client"
)

// snapshotBytes is a SnapshotSource that serves fixed bytes.
type snapshotBytes string

func (s snapshotBytes) Snapshot(context.Context) (io.ReadCloser, int64, error) {
	return io.NopCloser(strings.NewReader(string(s))), int64(len(s)), nil
}

type snapshotFails struct{}

func (snapshotFails) Snapshot(context.Context) (io.ReadCloser, int64, error) {
	return nil, 0, errors.New("disk full")
}

func TestSnapshotRoute(t *testing.T) {
	srv := apitest.Serve(t, api.Config{Backend: apitest.NewBackend(), Snapshots: snapshotBytes("a snapshot")})
	r := call(t, srv, "GET", "/v1/operator/snapshot", nil, nil)
	if r.status != http.StatusOK || string(r.body) != "a snapshot" {
		t.Fatalf("status %d, body %q", r.status, r.body)
	}
	cl, err := client.New(client.Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	var got strings.Builder
	if n, err := cl.Snapshot(t.Context(), &got); err != nil || n != 10 || got.String() != "a snapshot" {
		t.Errorf("client: %d bytes %q, %v", n, got.String(), err)
	}

	none := apitest.Serve(t, api.Config{Backend: apitest.NewBackend()})
	call(t, none, "GET", "/v1/operator/snapshot", nil, nil).wantError(t, http.StatusNotFound, client.CodeNotFound, "snapshots")

	failing := apitest.Serve(t, api.Config{Backend: apitest.NewBackend(), Snapshots: snapshotFails{}})
	call(t, failing, "GET", "/v1/operator/snapshot", nil, nil).wantError(t, http.StatusInternalServerError, client.CodeInternal)
}
