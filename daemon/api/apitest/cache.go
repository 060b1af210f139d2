package apitest

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/marketsync/marketsync/daemon/api"
	"github.com/marketsync/marketsync/daemon/client"
)

// Cache is an api.CacheSource that answers stats with Answer and purges
// by remembering the request and reporting Removed entries. A type not in
// Types is unknown.
type Cache struct {
	Answer  client.CacheStats
	Types   []string
	Removed int

	mu     sync.Mutex
	purges []client.CachePurgeRequest
}

var _ api.CacheSource = (*Cache)(nil)

// CacheStats implements api.CacheSource.
func (c *Cache) CacheStats(context.Context) (*client.CacheStats, error) {
	answer := c.Answer
	return &answer, nil
}

// PurgeCache implements api.CacheSource.
func (c *Cache) PurgeCache(_ context.Context, req client.CachePurgeRequest) (*client.CachePurgeResult, error) {
	if req.Type != "" && !slices.Contains(c.Types, req.Type) {
		return nil, api.BadRequest(client.CodeUnknownCacheType, fmt.Sprintf("no cache type %q; the types are %v", req.Type, c.Types))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.purges = append(c.purges, req)
	return &client.CachePurgeResult{Type: req.Type, Prefix: req.Prefix, Removed: c.Removed}, nil
}

// Purges returns the purges made so far, in order.
func (c *Cache) Purges() []client.CachePurgeRequest {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.purges)
}
