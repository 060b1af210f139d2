package api_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/marketsync/marketsync/daemon/api"
	"github.com/marketsync/marketsync/daemon/api/apitest"
	"github.com/marketsync/marketsync/daemon/client"
)

func TestCacheNotEnabled(t *testing.T) {
	srv, _ := newServer(t)
	get(t, srv, "/v1/cache/stats").wantError(t, http.StatusNotFound, client.CodeNotFound, "cache is not enabled")
	call(t, srv, http.MethodPost, "/v1/cache/purge", strings.NewReader(`{}`), nil).
		wantError(t, http.StatusNotFound, client.CodeNotFound, "cache is not enabled")
}

func TestCacheStatsAndPurge(t *testing.T) {
	since := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	fake := &apitest.Cache{
		Types:   []string{"price", "stock"},
		Removed: 3,
		Answer: client.CacheStats{
			Since: since, At: since.Add(time.Hour), L1MaxCostBytes: 64 << 20,
			Types: []client.CacheTypeStats{{Type: "price", TTLSeconds: 60, Requests: 10, HitsL1: 8, Misses: 2, Loads: 2, CallsSaved: 8, HitRate: 0.8}},
			Total: client.CacheTypeStats{Requests: 10, HitsL1: 8, Misses: 2, Loads: 2, CallsSaved: 8, HitRate: 0.8},
		},
	}
	srv := apitest.Serve(t, api.Config{Backend: apitest.NewBackend(), Cache: fake})
	c, err := client.New(client.Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}

	st, err := c.Cache().Stats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if st.Total.HitRate != 0.8 || len(st.Types) != 1 || st.Types[0] != fake.Answer.Types[0] || !st.Since.Equal(since) {
		t.Fatalf("stats %+v", st)
	}

	res, err := c.Cache().Purge(t.Context(), client.CachePurgeRequest{Type: "price", Prefix: "shop1:"})
	if err != nil || *res != (client.CachePurgeResult{Type: "price", Prefix: "shop1:", Removed: 3}) {
		t.Fatalf("purge: %+v, %v", res, err)
	}
	if _, err := c.Cache().Purge(t.Context(), client.CachePurgeRequest{}); err != nil {
		t.Fatalf("purge all: %v", err)
	}
	if got := fake.Purges(); len(got) != 2 || got[1] != (client.CachePurgeRequest{}) {
		t.Fatalf("purges %+v", got)
	}

	var apiErr *client.APIError
	_, err = c.Cache().Purge(t.Context(), client.CachePurgeRequest{Type: "colour"})
	if !errors.As(err, &apiErr) || apiErr.Code != client.CodeUnknownCacheType {
		t.Fatalf("unknown type: %v", err)
	}
	_, err = c.Cache().Purge(t.Context(), client.CachePurgeRequest{Prefix: "x"})
	if !errors.As(err, &apiErr) || apiErr.Code != client.CodeInvalidRequest {
		t.Fatalf("prefix without a type: %v", err)
	}
	call(t, srv, http.MethodPost, "/v1/cache/purge", strings.NewReader(`{"typ": "price"}`), nil).
		wantError(t, http.StatusBadRequest, client.CodeMalformedJSON)
}
