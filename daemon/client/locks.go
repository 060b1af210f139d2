package client

import (
	"context"
	"net/http"
	"time"
)

// Error codes of the lock routes.
const (
	// CodeLockBusy: another holder has the lock, or it is in its
	// lock-delay after a lost holder.
	CodeLockBusy = "lock_busy"
	// CodeNotLockHolder: the holder and token name a grant that is no
	// longer current; the lease was lost and its token is stale.
	CodeNotLockHolder = "not_lock_holder"
	// CodeNoLeader: the cluster has no raft leader (no quorum); locks can
	// be neither granted nor renewed.
	CodeNoLeader = "no_cluster_leader"
)

// Lock is one lock of the cluster (GET /v1/locks).
type Lock struct {
	Name   string `json:"name"`
	Holder string `json:"holder,omitempty"`
	// Token is the fencing token of the current grant: the raft index
	// at which it was granted.
	Token      uint64  `json:"token,omitempty"`
	TTLSeconds float64 `json:"ttl_seconds,omitempty"`
	// Delayed: the last holder was lost and the lock-delay runs.
	Delayed bool     `json:"delayed,omitempty"`
	Waiters []string `json:"waiters,omitempty"`
}

// LockRequest is the body of POST /v1/locks/acquire, renew and release.
type LockRequest struct {
	Name   string `json:"name"`
	Holder string `json:"holder"`
	// TTLSeconds is the lease asked for on acquire (0: the default, 10s).
	TTLSeconds float64 `json:"ttl_seconds,omitempty"`
	// WaitSeconds, on acquire, queues the holder for a lock someone else
	// holds and waits up to that long for it; 0 fails at once.
	WaitSeconds float64 `json:"wait_seconds,omitempty"`
	// Token names the grant to renew or release.
	Token uint64 `json:"token,omitempty"`
}

// Lease is a granted lock. Pass Token with every write the lock guards;
// renew within TTL, counted from when the acquire or renew was sent, and
// stop writing when a renewal fails past that time.
type Lease struct {
	Name       string  `json:"name"`
	Holder     string  `json:"holder"`
	Token      uint64  `json:"token"`
	TTLSeconds float64 `json:"ttl_seconds"`
}

// TTL is TTLSeconds as a duration.
func (l *Lease) TTL() time.Duration { return time.Duration(l.TTLSeconds * float64(time.Second)) }

// LocksEndpoint is the handle on /v1/locks.
type LocksEndpoint struct {
	client *Client
}

// Locks returns the handle on the lock endpoints, which any agent of a
// cluster serves (a follower forwards to the leader).
func (c *Client) Locks() *LocksEndpoint { return &LocksEndpoint{client: c} }

// List returns every lock held, delayed or waited for.
func (e *LocksEndpoint) List(ctx context.Context) ([]Lock, error) {
	var out []Lock
	err := e.client.do(ctx, http.MethodGet, "/v1/locks", nil, nil, &out)
	return out, err
}

// Acquire takes a lock; see LockRequest for waiting.
func (e *LocksEndpoint) Acquire(ctx context.Context, req LockRequest) (*Lease, error) {
	var out Lease
	if err := e.client.do(ctx, http.MethodPost, "/v1/locks/acquire", nil, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Renew restarts a lease's TTL.
func (e *LocksEndpoint) Renew(ctx context.Context, req LockRequest) (*Lease, error) {
	var out Lease
	if err := e.client.do(ctx, http.MethodPost, "/v1/locks/renew", nil, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Release lets go of a lock.
func (e *LocksEndpoint) Release(ctx context.Context, req LockRequest) error {
	return e.client.do(ctx, http.MethodPost, "/v1/locks/release", nil, req, nil)
}
