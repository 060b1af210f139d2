package memo

import (
	"context"
	"fmt"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/sync/singleflight"
)

// Cache holds at most size answers of fetch, each for ttl. Entries carry
// their own expiry, read with now when asked for, so the cache needs no
// goroutine of its own and a fake clock moves it in tests. Failures are
// not kept: the next Get of the key asks again.
type Cache[K comparable, V any] struct {
	entries *lru.Cache[K, entry[V]]
	calls   singleflight.Group
	ttl     time.Duration
	now     func() time.Time
	fetch   func(ctx context.Context, key K) (V, error)
}

type entry[V any] struct {
	value V
	until time.Time
}

// New returns a cache of at most size entries (size ≥ 1) that answers
// misses with fetch.
func New[K comparable, V any](size int, ttl time.Duration, now func() time.Time, fetch func(ctx context.Context, key K) (V, error)) *Cache[K, V] {
	entries, err := lru.New[K, entry[V]](size)
	if err != nil {
		panic(fmt.Sprintf("memo: %v", err)) // only for a size below one
	}
	return &Cache[K, V]{entries: entries, ttl: ttl, now: now, fetch: fetch}
}

func (c *Cache[K, V]) cached(key K) (V, bool) {
	e, ok := c.entries.Get(key)
	if !ok || !c.now().Before(e.until) {
		var zero V
		return zero, false
	}
	return e.value, true
}

// Get returns key's answer, from the cache while it lives, else from
// fetch; callers that miss on one key at once share one fetch, made with
// the first caller's ctx.
func (c *Cache[K, V]) Get(ctx context.Context, key K) (V, error) {
	if v, ok := c.cached(key); ok {
		return v, nil
	}
	v, err, _ := c.calls.Do(fmt.Sprint(key), func() (any, error) {
		if v, ok := c.cached(key); ok {
			return v, nil
		}
		v, err := c.fetch(ctx, key)
		if err == nil {
			c.entries.Add(key, entry[V]{value: v, until: c.now().Add(c.ttl)})
		}
		return v, err
	})
	if err != nil {
		var zero V
		return zero, err
	}
	return v.(V), nil
}
