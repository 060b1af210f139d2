package command

import (
	"context"
	"testing"

	"github.com/marketsync/marketsync/daemon/api"
	"github.com/marketsync/marketsync/daemon/api/apitest"
	"github.com/marketsync/marketsync/daemon/client"
)

// fakeCluster is a ClusterSource with one lock table and no raft: enough
// to check what the commands send and print.
type fakeCluster struct {
	locks map[string]client.Lock
	next  uint64
}

func (f *fakeCluster) Members(context.Context) ([]client.Member, error) {
	return []client.Member{
		{Name: "node-1", Addr: "127.0.0.1:7946", Status: "alive", Server: true, Version: "1.2.0", Protocol: 1, Load: 0.25, Owned: []string{"platform/tb-main"}, OwnedCount: 1},
		{Name: "node-2", Addr: "127.0.0.1:7956", Status: "failed", Version: "1.2.0", Protocol: 1, OwnedCount: 40},
	}, nil
}

func (f *fakeCluster) RaftPeers(context.Context) ([]client.RaftPeer, error) {
	return []client.RaftPeer{{ID: "node-1", Address: "127.0.0.1:7947", Leader: true, Voter: true}, {ID: "node-3", Address: "127.0.0.1:7967", Voter: true}}, nil
}

func (f *fakeCluster) Locks(context.Context) ([]client.Lock, error) {
	var out []client.Lock
	for _, l := range f.locks {
		out = append(out, l)
	}
	return out, nil
}

func (f *fakeCluster) AcquireLock(_ context.Context, req client.LockRequest) (*client.Lease, error) {
	if l, ok := f.locks[req.Name]; ok && l.Holder != req.Holder {
		return nil, api.LockBusy(req.Name)
	}
	f.next += 7
	f.locks[req.Name] = client.Lock{Name: req.Name, Holder: req.Holder, Token: f.next, TTLSeconds: req.TTLSeconds}
	return &client.Lease{Name: req.Name, Holder: req.Holder, Token: f.next, TTLSeconds: req.TTLSeconds}, nil
}

func (f *fakeCluster) RenewLock(context.Context, client.LockRequest) (*client.Lease, error) {
	return nil, api.NoLeader("test")
}

func (f *fakeCluster) ReleaseLock(_ context.Context, req client.LockRequest) error {
	if l, ok := f.locks[req.Name]; !ok || l.Holder != req.Holder || l.Token != req.Token {
		return api.NotLockHolder(req.Name)
	}
	delete(f.locks, req.Name)
	return nil
}

func fakeClusterAgent(t *testing.T) {
	t.Helper()
	srv := apitest.Serve(t, api.Config{Backend: apitest.NewBackend(), Cluster: &fakeCluster{locks: map[string]client.Lock{}}})
	t.Setenv(client.EnvAddress, srv.URL)
	t.Setenv(client.EnvToken, "")
}

func TestLockCommands(t *testing.T) {
	fakeClusterAgent(t)
	runCLI(t, "", "lock", "list").want(t, 0, "No locks held")
	runCLI(t, "", "lock", "acquire", "-holder", "erp-1", "-ttl", "30s", "erp/orders").want(t, 0, "Lock erp/orders held by erp-1, token 7, for 30s")
	runCLI(t, "", "lock", "acquire", "-holder", "erp-2", "erp/orders").wantError(t, "lock erp/orders is held by another holder, or in its lock-delay after a lost holder; retry, or acquire with wait_seconds to queue (lock_busy)")
	r := runCLI(t, "", "lock", "list")
	r.want(t, 0)
	hasLine(t, r.stdout, "NAME | HOLDER | TOKEN | TTL | DELAYED | WAITERS")
	hasLine(t, r.stdout, "erp/orders | erp-1 | 7 | 30s | false | -")
	runCLI(t, "", "lock", "release", "-holder", "erp-1", "-fencing-token", "8", "erp/orders").wantError(t,
		"this holder and token are not the current grant of lock erp/orders: the lease was lost; stop writing with its token and acquire again (not_lock_holder)")
	runCLI(t, "", "lock", "release", "-holder", "erp-1", "-fencing-token", "7", "erp/orders").want(t, 0, "Lock erp/orders released")
	runCLI(t, "", "lock", "acquire", "erp/orders").wantUsage(t, "-holder is required", "lock acquire")
	runCLI(t, "", "lock", "release", "-holder", "x", "erp/orders").wantUsage(t, "-holder and -fencing-token are required", "lock release")
	runCLI(t, "", "lock", "acquire", "-holder", "x").wantUsage(t, "lock acquire takes the lock's name", "lock acquire")
}

func TestMembersAndRaftPeers(t *testing.T) {
	fakeClusterAgent(t)
	r := runCLI(t, "", "members")
	r.want(t, 0)
	hasLine(t, r.stdout, "NAME | ADDRESS | STATUS | ROLE | VERSION | LOAD | OWNED")
	hasLine(t, r.stdout, "node-1 | 127.0.0.1:7946 | alive | server | 1.2.0 (protocol 1) | 0.25 | platform/tb-main")
	hasLine(t, r.stdout, "node-2 | 127.0.0.1:7956 | failed | client | 1.2.0 (protocol 1) | 0.00 | 40 resources")
	r = runCLI(t, "", "operator", "raft", "list-peers")
	r.want(t, 0)
	hasLine(t, r.stdout, "node-1 | 127.0.0.1:7947 | leader | true")
	hasLine(t, r.stdout, "node-3 | 127.0.0.1:7967 | follower | true")
}

func TestMembersOnALoneAgent(t *testing.T) {
	fakeAgent(t, "")
	runCLI(t, "", "members").wantError(t, "this agent runs alone: its configuration has no cluster block (no_cluster)")
}
