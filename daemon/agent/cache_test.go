package agent

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/marketsync/marketsync/config"
	"github.com/marketsync/marketsync/daemon/api"
	"github.com/marketsync/marketsync/daemon/api/apitest"
	"github.com/marketsync/marketsync/daemon/cache"
	"github.com/marketsync/marketsync/daemon/client"
	"github.com/marketsync/marketsync/daemon/store"
	"github.com/marketsync/marketsync/daemon/store/storetest"
	"github.com/marketsync/marketsync/daemon/telemetry"
)

// TestCacheThroughTheClient sets up the agent's cache from the default
// config and reads its statistics and purges it through the API.
func TestCacheThroughTheClient(t *testing.T) {
	a := &Agent{cfg: config.Default(), db: storetest.Open(t, store.Options{InMemory: true}), metrics: telemetry.New(), log: slog.New(slog.DiscardHandler)}
	a.cfg.Cache.TTL.Price = 0 // a Config built in Go may leave a TTL out
	if err := a.setupCache(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer a.closeCache()
	prices, err := cache.Bytes(a.cache.Cache, cache.Price)
	if err != nil {
		t.Fatal(err)
	}
	load := func(context.Context) ([]byte, error) { return []byte("9.99"), nil }
	for _, key := range []string{"shop:1", "shop:1", "shop:2"} {
		if _, err := prices.Get(t.Context(), key, load); err != nil {
			t.Fatal(err)
		}
	}

	srv := apitest.Serve(t, api.Config{Backend: apitest.NewBackend(), Cache: a.cacheSource()})
	c, err := client.New(client.Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.Cache().Stats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Types) != len(cache.Types) || st.Types[1].Type != "price" || st.Types[1].TTLSeconds != 60 ||
		st.Total.Requests != 3 || st.Total.Loads != 2 || st.Total.CallsSaved != 1 || st.L1MaxCostBytes != 64<<20 {
		t.Fatalf("stats %+v", st)
	}
	res, err := c.Cache().Purge(t.Context(), client.CachePurgeRequest{Type: "price", Prefix: "shop:"})
	if err != nil || res.Removed != 2 {
		t.Fatalf("purge: %+v, %v", res, err)
	}
	var apiErr *client.APIError
	if _, err := c.Cache().Purge(t.Context(), client.CachePurgeRequest{Type: "colour"}); !errors.As(err, &apiErr) || apiErr.Code != client.CodeUnknownCacheType {
		t.Fatalf("unknown type: %v", err)
	}
}
