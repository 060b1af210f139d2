package api

import (
	"net/http"
	"slices"

	"github.com/marketsync/marketsync/daemon/client"
)

func (s *Server) conflictRoutes() {
	s.mux.HandleFunc("GET /v1/conflicts", s.wrap(s.conflicts))
	s.mux.HandleFunc("GET /v1/conflicts/{id}", s.wrap(s.conflict))
	s.mux.HandleFunc("POST /v1/conflicts/{id}/resolve", s.wrap(s.resolveConflict))
}

var conflictStates = []string{"open", "resolved"}

func (s *Server) conflicts(w http.ResponseWriter, r *http.Request) (any, error) {
	if s.sync == nil {
		return nil, s.noSync()
	}
	state, err := queryEnum(r.URL.Query(), "state", conflictStates)
	if err != nil {
		return nil, err
	}
	list, err := s.sync.Conflicts(r.Context(), state)
	if err != nil {
		return nil, err
	}
	return nonNil(list), nil
}

func (s *Server) conflict(w http.ResponseWriter, r *http.Request) (any, error) {
	if s.sync == nil {
		return nil, s.noSync()
	}
	return s.sync.Conflict(r.Context(), r.PathValue("id"))
}

const resolveShape = `{"take": "source"} or {"take": "remote"} or {"take": "value", "value": "<price as 12.99 USD, stock as a number, or text>"}`

var takes = []string{"source", "remote", "value"}

func (s *Server) resolveConflict(w http.ResponseWriter, r *http.Request) (any, error) {
	if s.sync == nil {
		return nil, s.noSync()
	}
	var req client.ConflictResolution
	if err := decodeJSON(w, r, &req, resolveShape); err != nil {
		return nil, err
	}
	switch {
	case !slices.Contains(takes, req.Take):
		return nil, BadRequest(client.CodeInvalidRequest, `"take" must be "source", "remote" or "value", as in `+resolveShape)
	case req.Take == "value" && req.Value == "":
		return nil, BadRequest(client.CodeInvalidRequest, `take "value" needs a "value"`)
	case req.Take != "value" && req.Value != "":
		return nil, BadRequest(client.CodeInvalidRequest, `a "value" goes with take "value" only`)
	}
	return s.sync.ResolveConflict(r.Context(), r.PathValue("id"), req)
}
