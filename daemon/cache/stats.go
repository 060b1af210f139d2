package cache

import (
	"sync/atomic"
	"time"
)

// The results of a read, as Observer.CacheRequest reports them.
const (
	// ResultHitL1 and ResultHitL2: the value (or, with negative caching, a
	// cached error) came from that level.
	ResultHitL1 = "hit_l1"
	ResultHitL2 = "hit_l2"
	// ResultLoaded: a miss that called the loader, the platform.
	ResultLoaded = "loaded"
	// ResultShared: a miss that waited for another caller's load of the
	// same key and shared its result instead of calling the platform.
	ResultShared = "shared"
)

// Results lists the request results.
var Results = []string{ResultHitL1, ResultHitL2, ResultLoaded, ResultShared}

// Observer is told of what the cache does, as it happens: it feeds the
// Prometheus counters (daemon/telemetry). Its methods must be fast and
// must not call the cache.
type Observer interface {
	// CacheRequest reports one read of type typ and its result.
	CacheRequest(typ, result string)
	// CacheLoad reports one loader call and whether it failed.
	CacheLoad(typ string, failed bool)
	// CacheEvicted reports an L1 entry dropped to make room.
	CacheEvicted(typ string)
}

type nopObserver struct{}

func (nopObserver) CacheRequest(string, string) {}
func (nopObserver) CacheLoad(string, bool)      {}
func (nopObserver) CacheEvicted(string)         {}

// counters are one type's statistics since the last reset.
type counters struct {
	hitsL1, hitsL2, loaded, shared atomic.Int64
	negativeHits                   atomic.Int64
	loads, loadErrors              atomic.Int64
	evictions, invalidations       atomic.Int64
}

func (c *Cache) request(typ int, result string) {
	st := &c.stats[typ]
	switch result {
	case ResultHitL1:
		st.hitsL1.Add(1)
	case ResultHitL2:
		st.hitsL2.Add(1)
	case ResultLoaded:
		st.loaded.Add(1)
	case ResultShared:
		st.shared.Add(1)
	}
	c.obs.CacheRequest(Types[typ].Name, result)
}

// TypeStats are one type's statistics since the last reset, or their sum
// over every type.
type TypeStats struct {
	// Type is the type's name; empty in a total.
	Type string
	// TTL is the type's TTL in force; zero in a total.
	TTL time.Duration
	// Requests = HitsL1 + HitsL2 + Misses.
	Requests int64
	HitsL1   int64
	HitsL2   int64
	// NegativeHits are the L1 hits that returned a cached error.
	NegativeHits int64
	// Misses found the key in neither level. Shared of them waited for
	// another caller's load of the same key instead of loading.
	Misses int64
	Shared int64
	// Loads are loader (platform) calls; LoadErrors the failed ones.
	Loads      int64
	LoadErrors int64
	// CallsSaved are the requests that made no platform call: every hit
	// and every shared miss.
	CallsSaved int64
	// HitRate = (HitsL1 + HitsL2) / Requests, from 0 to 1; 0 without
	// requests.
	HitRate float64
	// Evictions are L1 entries dropped to make room (not on expiry).
	Evictions int64
	// Invalidations count Invalidate, InvalidatePrefix and Purge calls.
	Invalidations int64
}

// Snapshot is the cache's statistics at one moment.
type Snapshot struct {
	// Since is when counting began: the cache's start or the last reset.
	Since time.Time
	// At is when the snapshot was taken.
	At time.Time
	// Types has one row per registered type, in the order of Types.
	Types []TypeStats
	// Total sums the rows.
	Total TypeStats
	// L1MaxCost is L1's budget in bytes.
	L1MaxCost int64
}

// Stats returns the statistics since the last reset. Counters are read
// one by one while requests go on, so a row may be off by the requests in
// flight.
func (c *Cache) Stats() Snapshot {
	c.sinceMu.Lock()
	since := c.since
	c.sinceMu.Unlock()
	s := Snapshot{Since: since, At: c.now(), L1MaxCost: c.l1.MaxCost(), Types: make([]TypeStats, len(Types))}
	for i := range Types {
		st := &c.stats[i]
		row := TypeStats{
			Type:          Types[i].Name,
			TTL:           c.ttl[i],
			HitsL1:        st.hitsL1.Load(),
			HitsL2:        st.hitsL2.Load(),
			NegativeHits:  st.negativeHits.Load(),
			Shared:        st.shared.Load(),
			Misses:        st.loaded.Load() + st.shared.Load(),
			Loads:         st.loads.Load(),
			LoadErrors:    st.loadErrors.Load(),
			Evictions:     st.evictions.Load(),
			Invalidations: st.invalidations.Load(),
		}
		row.finish()
		s.Types[i] = row
		s.Total.add(row)
	}
	s.Total.finish()
	return s
}

func (t *TypeStats) add(o TypeStats) {
	t.HitsL1 += o.HitsL1
	t.HitsL2 += o.HitsL2
	t.NegativeHits += o.NegativeHits
	t.Misses += o.Misses
	t.Shared += o.Shared
	t.Loads += o.Loads
	t.LoadErrors += o.LoadErrors
	t.Evictions += o.Evictions
	t.Invalidations += o.Invalidations
}

// finish derives Requests, CallsSaved and HitRate from the counts.
func (t *TypeStats) finish() {
	t.Requests = t.HitsL1 + t.HitsL2 + t.Misses
	t.CallsSaved = t.HitsL1 + t.HitsL2 + t.Shared
	t.HitRate = 0
	if t.Requests > 0 {
		t.HitRate = float64(t.HitsL1+t.HitsL2) / float64(t.Requests)
	}
}

// HitRate returns the hit rate of the type called name since the last
// reset, 0 without requests or for an unknown type: the gauge behind
// marketsync_cache_hit_ratio.
func (c *Cache) HitRate(name string) float64 {
	i, err := lookup(name)
	if err != nil {
		return 0
	}
	st := &c.stats[i]
	hits := st.hitsL1.Load() + st.hitsL2.Load()
	if n := hits + st.loaded.Load() + st.shared.Load(); n > 0 {
		return float64(hits) / float64(n)
	}
	return 0
}

// ResetStats zeroes the statistics and starts counting again. The
// Observer's counters are not reset: Prometheus counters only grow.
func (c *Cache) ResetStats() {
	for i := range c.stats {
		st := &c.stats[i]
		for _, n := range []*atomic.Int64{&st.hitsL1, &st.hitsL2, &st.loaded, &st.shared, &st.negativeHits,
			&st.loads, &st.loadErrors, &st.evictions, &st.invalidations} {
			n.Store(0)
		}
	}
	c.sinceMu.Lock()
	c.since = c.now()
	c.sinceMu.Unlock()
}
