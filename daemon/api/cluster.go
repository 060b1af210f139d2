package api

import (
	"context"
	"net/http"

	"github.com/marketsync/marketsync/daemon/client"
)

// ClusterSource serves /v1/cluster and /v1/locks on an agent that runs in
// a cluster. It is optional: without one (an agent that runs alone) the
// routes answer 404 with client.CodeNoCluster.
//
// The lock methods get a request whose Name and Holder are set and whose
// durations are not negative; they return LockBusy, NotLockHolder or
// NoLeader for what the caller should know.
type ClusterSource interface {
	Members(ctx context.Context) ([]client.Member, error)
	RaftPeers(ctx context.Context) ([]client.RaftPeer, error)
	Locks(ctx context.Context) ([]client.Lock, error)
	AcquireLock(ctx context.Context, req client.LockRequest) (*client.Lease, error)
	RenewLock(ctx context.Context, req client.LockRequest) (*client.Lease, error)
	ReleaseLock(ctx context.Context, req client.LockRequest) error
}

// LockBusy is the error for a lock another holder has.
func LockBusy(name string) *Error {
	return Conflict(client.CodeLockBusy, "lock "+name+" is held by another holder, or in its lock-delay after a lost holder; retry, or acquire with wait_seconds to queue")
}

// NotLockHolder is the error for a renew or release of a grant that is no
// longer current.
func NotLockHolder(name string) *Error {
	return Conflict(client.CodeNotLockHolder, "this holder and token are not the current grant of lock "+name+": the lease was lost; stop writing with its token and acquire again")
}

// NoLeader is the error when the cluster has no raft leader to serve locks.
func NoLeader(detail string) *Error {
	return Unavailable(client.CodeNoLeader, "the cluster has no leader, so locks can be neither granted nor renewed: "+detail)
}

func (s *Server) clusterRoutes() {
	s.mux.HandleFunc("GET /v1/cluster/members", s.wrap(s.members))
	s.mux.HandleFunc("GET /v1/cluster/raft/peers", s.wrap(s.raftPeers))
	s.mux.HandleFunc("POST /v1/cluster/jobs", s.wrap(s.applyJobRecord))
	s.lockRoutes()
}

func (s *Server) noCluster() error {
	return NotFound(client.CodeNoCluster, "this agent runs alone: its configuration has no cluster block")
}

func (s *Server) members(w http.ResponseWriter, r *http.Request) (any, error) {
	if s.cluster == nil {
		return nil, s.noCluster()
	}
	list, err := s.cluster.Members(r.Context())
	return nonNil(list), err
}

func (s *Server) raftPeers(w http.ResponseWriter, r *http.Request) (any, error) {
	if s.cluster == nil {
		return nil, s.noCluster()
	}
	list, err := s.cluster.RaftPeers(r.Context())
	return nonNil(list), err
}
