package agent

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/marketsync/marketsync/daemon/api"
	"github.com/marketsync/marketsync/daemon/cache"
	"github.com/marketsync/marketsync/daemon/client"
)

// agentCache is the cache of platform reads and the stop of its upkeep
// schedule. The sync engine will read through it; today the API reports
// and purges it.
type agentCache struct {
	*cache.Cache
	stop func()
}

// setupCache builds the cache over the store with the config's TTLs and
// bound, feeds its events to the metrics and starts its schedule.
func (a *Agent) setupCache(context.Context) error {
	cc := a.cfg.Cache
	ttl := map[string]time.Duration{}
	for name, d := range cc.TTL.ByName() {
		if d > 0 { // zero: a Config built in Go without defaults
			ttl[name] = d
		}
	}
	c, err := cache.New(cache.Options{
		DB: a.db, MaxCost: int64(cc.L1MaxCost), TTL: ttl, NegativeTTL: cc.NegativeTTL,
		Observer: a.metrics, Logger: a.log,
	})
	if err != nil {
		return err
	}
	stop, err := c.StartSchedule(cache.Schedule{Cleanup: cc.Cleanup, ResetStats: cc.ResetStats})
	if err != nil {
		c.Close()
		return err
	}
	a.metrics.RegisterCache(cache.TypeNames(), c.HitRate)
	a.cache = &agentCache{Cache: c, stop: stop}
	return nil
}

// closeCache stops the upkeep and releases the memory level; the disk
// level stays in the store.
func (a *Agent) closeCache() {
	if a.cache != nil {
		a.cache.stop()
		a.cache.Close()
	}
}

// cacheSource serves /v1/cache, or nothing before the cache is set up.
func (a *Agent) cacheSource() api.CacheSource {
	if a.cache == nil {
		return nil
	}
	return a.cache
}

// CacheStats implements api.CacheSource.
func (c *agentCache) CacheStats(context.Context) (*client.CacheStats, error) {
	s := c.Stats()
	out := &client.CacheStats{Since: s.Since, At: s.At, Total: cacheRow(s.Total), L1MaxCostBytes: s.L1MaxCost}
	for _, t := range s.Types {
		out.Types = append(out.Types, cacheRow(t))
	}
	return out, nil
}

func cacheRow(t cache.TypeStats) client.CacheTypeStats {
	return client.CacheTypeStats{
		Type: t.Type, TTLSeconds: t.TTL.Seconds(),
		Requests: t.Requests, HitsL1: t.HitsL1, HitsL2: t.HitsL2, NegativeHits: t.NegativeHits,
		Misses: t.Misses, Shared: t.Shared, Loads: t.Loads, LoadErrors: t.LoadErrors,
		CallsSaved: t.CallsSaved, HitRate: t.HitRate, Evictions: t.Evictions, Invalidations: t.Invalidations,
	}
}

// PurgeCache implements api.CacheSource.
func (c *agentCache) PurgeCache(_ context.Context, req client.CachePurgeRequest) (*client.CachePurgeResult, error) {
	var n int
	var err error
	if req.Prefix != "" {
		n, err = c.InvalidatePrefix(req.Type, req.Prefix)
	} else {
		n, err = c.Purge(req.Type)
	}
	if errors.Is(err, cache.ErrUnknownType) {
		return nil, api.BadRequest(client.CodeUnknownCacheType,
			fmt.Sprintf("there is no cache type %q; the types are %v", req.Type, cache.TypeNames()))
	}
	if err != nil {
		return nil, err
	}
	return &client.CachePurgeResult{Type: req.Type, Prefix: req.Prefix, Removed: n}, nil
}
