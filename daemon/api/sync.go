package api

import (
	"context"
	"fmt"
	"net/http"

	"github.com/marketsync/marketsync/daemon/client"
)

// SyncSource serves the sync routes: pipelines and their runs, bindings,
// decision history (/v1/sync, /v1/bindings, /v1/history) and the manual
// conflict queue (/v1/conflicts). It is optional: without one the routes
// answer 404.
type SyncSource interface {
	SyncPipelines(ctx context.Context) ([]client.SyncPipeline, error)
	// RunSync starts a run of the pipeline, or returns the one running;
	// an unknown name is a NotFound with client.CodeUnknownPipeline.
	RunSync(ctx context.Context, name string, req client.SyncRunRequest) (*client.Job, error)
	Bindings(ctx context.Context, platform, id string) ([]client.Binding, error)
	History(ctx context.Context, platform, id string) ([]client.Decision, error)
	Conflicts(ctx context.Context, state string) ([]client.Conflict, error)
	// Conflict and ResolveConflict answer NotFound with
	// client.CodeConflictNotFound for an unknown id; resolving one already
	// resolved is a Conflict with client.CodeConflictResolved.
	Conflict(ctx context.Context, id string) (*client.Conflict, error)
	ResolveConflict(ctx context.Context, id string, req client.ConflictResolution) (*client.Conflict, error)
}

func (s *Server) syncRoutes() {
	s.mux.HandleFunc("GET /v1/sync", s.wrap(s.syncPipelines))
	s.mux.HandleFunc("POST /v1/sync/{name}/run", s.wrap(s.runSync))
	s.mux.HandleFunc("GET /v1/bindings", s.wrap(s.bindings))
	s.mux.HandleFunc("GET /v1/history", s.wrap(s.history))
	s.conflictRoutes()
}

func (s *Server) noSync() error {
	return NotFound(client.CodeNotFound, "sync is not enabled on this agent")
}

func (s *Server) syncPipelines(w http.ResponseWriter, r *http.Request) (any, error) {
	if s.sync == nil {
		return nil, s.noSync()
	}
	list, err := s.sync.SyncPipelines(r.Context())
	if err != nil {
		return nil, err
	}
	for i := range list {
		fillPending(list[i].Active)
		fillPending(list[i].Last)
	}
	return nonNil(list), nil
}

const syncRunShape = `{} to sync every changed product, or {"ids": ["<source product id>", ...]} to sync those even if unchanged`

func (s *Server) runSync(w http.ResponseWriter, r *http.Request) (any, error) {
	if s.sync == nil {
		return nil, s.noSync()
	}
	var req client.SyncRunRequest
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &req, syncRunShape); err != nil {
			return nil, err
		}
	}
	if len(req.IDs) > MaxCollectIDs {
		return nil, BadRequest(client.CodeTooManyIDs, fmt.Sprintf("%d ids, over the limit of %d", len(req.IDs), MaxCollectIDs))
	}
	for i, id := range req.IDs {
		if err := checkEntry(fmt.Sprintf("ids[%d]", i), id); err != nil {
			return nil, err
		}
	}
	j, err := s.sync.RunSync(r.Context(), r.PathValue("name"), req)
	if err != nil {
		return nil, err
	}
	fillPending(j)
	return j, nil
}

// productQuery reads the platform and id a product route takes.
func productQuery(r *http.Request) (string, string, error) {
	q := r.URL.Query()
	platform, id := q.Get("platform"), q.Get("id")
	if platform == "" || id == "" {
		return "", "", BadRequest(client.CodeInvalidRequest, `give the source product as ?platform=<source platform>&id=<product id>`)
	}
	if err := checkEntry("id", id); err != nil {
		return "", "", err
	}
	return platform, id, nil
}

func (s *Server) bindings(w http.ResponseWriter, r *http.Request) (any, error) {
	return productList(s, r, func(ctx context.Context, platform, id string) ([]client.Binding, error) {
		return s.sync.Bindings(ctx, platform, id)
	})
}

func (s *Server) history(w http.ResponseWriter, r *http.Request) (any, error) {
	return productList(s, r, func(ctx context.Context, platform, id string) ([]client.Decision, error) {
		return s.sync.History(ctx, platform, id)
	})
}

// productList answers a route that lists what the sync source holds of
// one source product.
func productList[T any](s *Server, r *http.Request, list func(ctx context.Context, platform, id string) ([]T, error)) (any, error) {
	if s.sync == nil {
		return nil, s.noSync()
	}
	platform, id, err := productQuery(r)
	if err != nil {
		return nil, err
	}
	out, err := list(r.Context(), platform, id)
	if err != nil {
		return nil, err
	}
	return nonNil(out), nil
}
