package api

import (
	"fmt"
	"math"
	"net/http"

	"github.com/marketsync/marketsync/daemon/client"
)

const lockShape = `{"name": "<lock>", "holder": "<who holds it>", "ttl_seconds": 10, "wait_seconds": 0, "token": <grant's token, to renew or release>}`

func (s *Server) lockRoutes() {
	s.mux.HandleFunc("GET /v1/locks", s.wrap(s.locks))
	s.mux.HandleFunc("POST /v1/locks/acquire", s.wrap(s.lockOp("acquire")))
	s.mux.HandleFunc("POST /v1/locks/renew", s.wrap(s.lockOp("renew")))
	s.mux.HandleFunc("POST /v1/locks/release", s.wrap(s.lockOp("release")))
}

func (s *Server) locks(w http.ResponseWriter, r *http.Request) (any, error) {
	if s.cluster == nil {
		return nil, s.noCluster()
	}
	list, err := s.cluster.Locks(r.Context())
	return nonNil(list), err
}

// checkLock rejects a lock request of the wrong shape for op.
func checkLock(op string, req *client.LockRequest) error {
	invalid := func(format string, args ...any) error {
		return BadRequest(client.CodeInvalidRequest, fmt.Sprintf(format, args...))
	}
	if err := checkEntry("name", req.Name); err != nil {
		return err
	}
	if err := checkEntry("holder", req.Holder); err != nil {
		return err
	}
	for _, d := range []struct {
		key string
		v   float64
	}{{"ttl_seconds", req.TTLSeconds}, {"wait_seconds", req.WaitSeconds}} {
		if d.v < 0 || math.IsNaN(d.v) || math.IsInf(d.v, 0) {
			return invalid("%q must be a number of seconds, 0 or more", d.key)
		}
	}
	req.WaitSeconds = min(req.WaitSeconds, MaxWait.Seconds())
	if op != "acquire" && req.Token == 0 {
		return invalid(`%s needs "token": the token of the grant, which acquire returned`, op)
	}
	return nil
}

func (s *Server) lockOp(op string) func(http.ResponseWriter, *http.Request) (any, error) {
	return func(w http.ResponseWriter, r *http.Request) (any, error) {
		if s.cluster == nil {
			return nil, s.noCluster()
		}
		var req client.LockRequest
		if err := decodeJSON(w, r, &req, lockShape); err != nil {
			return nil, err
		}
		if err := checkLock(op, &req); err != nil {
			return nil, err
		}
		switch op {
		case "acquire":
			return s.cluster.AcquireLock(r.Context(), req)
		case "renew":
			return s.cluster.RenewLock(r.Context(), req)
		}
		if err := s.cluster.ReleaseLock(r.Context(), req); err != nil {
			return nil, err
		}
		return struct{}{}, nil
	}
}
