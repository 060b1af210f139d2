package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/marketsync/marketsync/daemon/client"
)

// CacheSource serves /v1/cache: the statistics of the cache of platform
// reads and its purge. It is optional: without one the routes answer 404.
type CacheSource interface {
	CacheStats(ctx context.Context) (*client.CacheStats, error)
	// PurgeCache gets a request whose Prefix is empty when its Type is;
	// a Type the cache does not have is a BadRequest with
	// client.CodeUnknownCacheType.
	PurgeCache(ctx context.Context, req client.CachePurgeRequest) (*client.CachePurgeResult, error)
}

func (s *Server) cacheRoutes() {
	s.mux.HandleFunc("GET /v1/cache/stats", s.wrap(s.cacheStats))
	s.mux.HandleFunc("POST /v1/cache/purge", s.wrap(s.purgeCache))
}

func (s *Server) noCache() error {
	return NotFound(client.CodeNotFound, "the cache is not enabled on this agent")
}

func (s *Server) cacheStats(w http.ResponseWriter, r *http.Request) (any, error) {
	if s.cache == nil {
		return nil, s.noCache()
	}
	st, err := s.cache.CacheStats(r.Context())
	if err != nil {
		return nil, err
	}
	if st == nil {
		return nil, errors.New("the cache returned no statistics")
	}
	st.Types = nonNil(st.Types)
	return st, nil
}

const purgeShape = `{"type": "<cache type, or empty for all>", "prefix": "<key prefix, or empty>"}`

func (s *Server) purgeCache(w http.ResponseWriter, r *http.Request) (any, error) {
	if s.cache == nil {
		return nil, s.noCache()
	}
	var req client.CachePurgeRequest
	if err := decodeJSON(w, r, &req, purgeShape); err != nil {
		return nil, err
	}
	if req.Type == "" && req.Prefix != "" {
		return nil, BadRequest(client.CodeInvalidRequest, `"prefix" needs a "type": key prefixes are per cache type`)
	}
	out, err := s.cache.PurgeCache(r.Context(), req)
	if err != nil {
		return nil, err
	}
	if out == nil {
		return nil, errors.New("the cache returned no purge result")
	}
	return out, nil
}
