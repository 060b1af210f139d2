package telemetry

import (
	"strings"
	"testing"
)

func TestCacheSeries(t *testing.T) {
	m := exercised()
	m.RegisterCache([]string{"price", "stock"}, func(typ string) float64 {
		if typ == "price" {
			return 0.75
		}
		return 0
	})
	for _, r := range []string{"hit_l1", "hit_l1", "hit_l2", "loaded", "shared"} {
		m.CacheRequest("price", r)
	}
	m.CacheLoad("price", false)
	m.CacheLoad("price", true)
	m.CacheEvicted("price")
	out := scrape(t, m)
	for _, want := range []string{
		`marketsync_cache_requests_total{type="price",result="hit_l1"} 2`,
		`marketsync_cache_requests_total{type="price",result="loaded"} 1`,
		`marketsync_cache_requests_total{type="stock",result="hit_l2"} 0`,
		`marketsync_cache_calls_saved_total{type="price"} 4`,
		`marketsync_cache_loads_total{type="price",outcome="error"} 1`,
		`marketsync_cache_evictions_total{type="price"} 1`,
		`marketsync_cache_hit_ratio{type="price"} 0.75`,
		`marketsync_cache_hit_ratio{type="stock"} 0`,
		"# HELP marketsync_cache_calls_saved_total Cache reads that made no platform call",
		"# TYPE marketsync_cache_hit_ratio gauge",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("exposition lacks %q", want)
		}
	}
	if err := Lint(strings.NewReader(out)); err != nil {
		t.Fatalf("the scrape fails promlint:\n%v", err)
	}
}
