package telemetry

import "github.com/marketsync/marketsync/daemon/cache"

// Cache metric families.
const (
	familyCacheRequests   = "marketsync_cache_requests_total"
	familyCacheLoads      = "marketsync_cache_loads_total"
	familyCacheCallsSaved = "marketsync_cache_calls_saved_total"
	familyCacheEvictions  = "marketsync_cache_evictions_total"
	familyCacheHitRatio   = "marketsync_cache_hit_ratio"
)

func init() {
	help[familyCacheRequests] = "Cache reads by type and result: hit_l1 (memory), hit_l2 (disk), loaded (a miss that called the platform), shared (a miss that waited for another read's platform call)."
	help[familyCacheLoads] = "Platform calls the cache made on misses, by type and outcome (ok, error)."
	help[familyCacheCallsSaved] = "Cache reads that made no platform call: hits and shared misses."
	help[familyCacheEvictions] = "Entries the cache's memory level dropped to make room, by type; expiries are not counted."
	help[familyCacheHitRatio] = "Share of cache reads that hit either level, by type, since the cache's statistics were last reset (cache.reset_stats)."
}

var _ cache.Observer = (*Metrics)(nil)

// RegisterCache creates the cache's series for every type before its
// first read; hitRatio gives the gauge's value for a type.
func (m *Metrics) RegisterCache(types []string, hitRatio func(typ string) float64) {
	for _, typ := range types {
		for _, result := range cache.Results {
			m.set.GetOrCreateCounter(series(familyCacheRequests, "type", typ, "result", result))
		}
		for _, outcome := range []string{"ok", "error"} {
			m.set.GetOrCreateCounter(series(familyCacheLoads, "type", typ, "outcome", outcome))
		}
		m.set.GetOrCreateCounter(series(familyCacheCallsSaved, "type", typ))
		m.set.GetOrCreateCounter(series(familyCacheEvictions, "type", typ))
		m.set.GetOrCreateGauge(series(familyCacheHitRatio, "type", typ), func() float64 { return hitRatio(typ) })
	}
}

// CacheRequest implements cache.Observer.
func (m *Metrics) CacheRequest(typ, result string) {
	m.set.GetOrCreateCounter(series(familyCacheRequests, "type", typ, "result", result)).Inc()
	if result != cache.ResultLoaded {
		m.set.GetOrCreateCounter(series(familyCacheCallsSaved, "type", typ)).Inc()
	}
}

// CacheLoad implements cache.Observer.
func (m *Metrics) CacheLoad(typ string, failed bool) {
	outcome := "ok"
	if failed {
		outcome = "error"
	}
	m.set.GetOrCreateCounter(series(familyCacheLoads, "type", typ, "outcome", outcome)).Inc()
}

// CacheEvicted implements cache.Observer.
func (m *Metrics) CacheEvicted(typ string) {
	m.set.GetOrCreateCounter(series(familyCacheEvictions, "type", typ)).Inc()
}
