package client

import (
	"context"
	"net/http"
	"time"
)

// CodeUnknownCacheType is the error code of a purge naming a type the
// cache does not have.
const CodeUnknownCacheType = "unknown_cache_type"

// CacheStats describes the cache of platform reads since its statistics
// were last reset (GET /v1/cache/stats).
type CacheStats struct {
	// Since is when counting began: the agent's start or the last reset
	// (cache.reset_stats); At is when the agent answered.
	Since time.Time `json:"since"`
	At    time.Time `json:"at"`
	// Types has one row per cache type (product_info, price, stock,
	// remote_product).
	Types []CacheTypeStats `json:"types"`
	// Total sums the rows; it has no type or TTL.
	Total CacheTypeStats `json:"total"`
	// L1MaxCostBytes is the memory level's bound (cache.l1_max_cost).
	L1MaxCostBytes int64 `json:"l1_max_cost_bytes"`
}

// CacheTypeStats describes the reads of one cache type, or their sum.
type CacheTypeStats struct {
	Type       string  `json:"type,omitempty"`
	TTLSeconds float64 `json:"ttl_seconds,omitempty"`
	// Requests = HitsL1 + HitsL2 + Misses.
	Requests int64 `json:"requests"`
	HitsL1   int64 `json:"hits_l1"`
	HitsL2   int64 `json:"hits_l2"`
	// NegativeHits are L1 hits that returned a cached platform error
	// (cache.negative_ttl).
	NegativeHits int64 `json:"negative_hits"`
	// Misses found the entry in neither level; Shared of them waited for
	// another read's platform call instead of making one.
	Misses int64 `json:"misses"`
	Shared int64 `json:"shared"`
	// Loads are the platform calls made on misses; LoadErrors failed.
	Loads      int64 `json:"loads"`
	LoadErrors int64 `json:"load_errors"`
	// CallsSaved are the reads that made no platform call.
	CallsSaved int64 `json:"calls_saved"`
	// HitRate is (HitsL1 + HitsL2) / Requests, from 0 to 1.
	HitRate float64 `json:"hit_rate"`
	// Evictions are memory entries dropped to make room.
	Evictions     int64 `json:"evictions"`
	Invalidations int64 `json:"invalidations"`
}

// CachePurgeRequest is the body of POST /v1/cache/purge: the entries of
// Type whose key starts with Prefix. An empty Type purges every type, and
// then Prefix must be empty; an empty Prefix purges the whole type.
type CachePurgeRequest struct {
	Type   string `json:"type,omitempty"`
	Prefix string `json:"prefix,omitempty"`
}

// CachePurgeResult says what a purge removed: Removed entries from disk
// (the memory level of the types concerned is emptied whole).
type CachePurgeResult struct {
	Type    string `json:"type,omitempty"`
	Prefix  string `json:"prefix,omitempty"`
	Removed int    `json:"removed"`
}

// CacheEndpoint is the handle on /v1/cache.
type CacheEndpoint struct {
	client *Client
}

// Cache returns the handle on the cache endpoints.
func (c *Client) Cache() *CacheEndpoint { return &CacheEndpoint{client: c} }

// Stats returns the cache's statistics.
func (e *CacheEndpoint) Stats(ctx context.Context) (*CacheStats, error) {
	var out CacheStats
	if err := e.client.do(ctx, http.MethodGet, "/v1/cache/stats", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Purge removes the entries req selects.
func (e *CacheEndpoint) Purge(ctx context.Context, req CachePurgeRequest) (*CachePurgeResult, error) {
	var out CachePurgeResult
	if err := e.client.do(ctx, http.MethodPost, "/v1/cache/purge", nil, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
