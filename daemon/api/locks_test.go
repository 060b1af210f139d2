package api_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/marketsync/marketsync/daemon/api"
	"github.com/marketsync/marketsync/daemon/api/apitest"
	"github.com/marketsync/marketsync/daemon/client"
)

// recordingCluster answers every lock request with a grant and keeps what
// it was asked, so a test sees what the routes let through.
type recordingCluster struct {
	mu  sync.Mutex
	got []client.LockRequest
}

func (r *recordingCluster) record(req client.LockRequest) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, req)
}

func (r *recordingCluster) Members(context.Context) ([]client.Member, error)     { return nil, nil }
func (r *recordingCluster) RaftPeers(context.Context) ([]client.RaftPeer, error) { return nil, nil }
func (r *recordingCluster) Locks(context.Context) ([]client.Lock, error) {
	return []client.Lock{{Name: "l", Holder: "h", Token: 3}}, nil
}
func (r *recordingCluster) AcquireLock(_ context.Context, req client.LockRequest) (*client.Lease, error) {
	r.record(req)
	return &client.Lease{Name: req.Name, Holder: req.Holder, Token: 9, TTLSeconds: 10}, nil
}
func (r *recordingCluster) RenewLock(_ context.Context, req client.LockRequest) (*client.Lease, error) {
	r.record(req)
	return nil, api.NotLockHolder(req.Name)
}
func (r *recordingCluster) ReleaseLock(_ context.Context, req client.LockRequest) error {
	r.record(req)
	return nil
}

func TestLockRoutes(t *testing.T) {
	fake := &recordingCluster{}
	srv := apitest.Serve(t, api.Config{Backend: apitest.NewBackend(), Cluster: fake,
		Tokens: []api.Token{{Secret: "writer", Scope: api.ScopeWrite}, {Secret: "reader", Scope: api.ScopeRead}}})
	auth := func(tok string) map[string]string {
		return map[string]string{"Authorization": "Bearer " + tok, "Content-Type": "application/json"}
	}
	send := func(path, body, tok string) reply {
		return call(t, srv, http.MethodPost, path, strings.NewReader(body), auth(tok))
	}
	for _, tc := range []struct{ path, body, code, detail string }{
		{"/v1/locks/acquire", `{"holder": "h"}`, client.CodeInvalidRequest, "name"},
		{"/v1/locks/acquire", `{"name": "l"}`, client.CodeInvalidRequest, "holder"},
		{"/v1/locks/acquire", `{"name": "l", "holder": "h", "ttl_seconds": -1}`, client.CodeInvalidRequest, "ttl_seconds"},
		{"/v1/locks/release", `{"name": "l", "holder": "h"}`, client.CodeInvalidRequest, "token"},
		{"/v1/locks/renew", `{"name": "l", "holder": "h", "tokn": 3}`, client.CodeMalformedJSON, "tokn"},
	} {
		send(tc.path, tc.body, "writer").wantError(t, http.StatusBadRequest, tc.code, tc.detail)
	}
	if len(fake.got) != 0 {
		t.Fatalf("bad requests reached the cluster: %+v", fake.got)
	}
	send("/v1/locks/acquire", `{"name": "l", "holder": "h"}`, "reader").wantError(t, http.StatusForbidden, client.CodeInsufficientScope)
	r := send("/v1/locks/acquire", `{"name": "l", "holder": "h", "wait_seconds": 100000}`, "writer")
	if r.status != http.StatusOK || !strings.Contains(string(r.body), `"token":9`) {
		t.Fatalf("acquire with a write token: %d %s", r.status, r.body)
	}
	if got := fake.got[0].WaitSeconds; got != api.MaxWait.Seconds() {
		t.Fatalf("wait_seconds reached the cluster as %v, want it capped at %v", got, api.MaxWait.Seconds())
	}
	send("/v1/locks/renew", `{"name": "l", "holder": "h", "token": 3}`, "writer").wantError(t, http.StatusConflict, client.CodeNotLockHolder)
	if r := send("/v1/locks/release", `{"name": "l", "holder": "h", "token": 9}`, "writer"); r.status != http.StatusOK {
		t.Fatalf("release: %d %s", r.status, r.body)
	}
	if r := call(t, srv, http.MethodGet, "/v1/locks", nil, auth("reader")); r.status != http.StatusOK || !strings.Contains(string(r.body), `"holder":"h","token":3`) {
		t.Fatalf("list with a read token: %d %s", r.status, r.body)
	}
}
