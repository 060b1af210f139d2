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

// fetchTimeout bounds one fetch. The fetch runs apart from the caller that
// started it (other callers wait for it too, and must not fail because
// that one gave up), so it needs a bound of its own.
const fetchTimeout = time.Minute

// Get returns key's answer, from the cache while it lives, else from
// fetch; callers that miss on one key at once share one fetch. Each caller
// waits only as long as its own ctx: one that gives up leaves the fetch
// running for the others (bounded by a minute), and its answer is kept.
func (c *Cache[K, V]) Get(ctx context.Context, key K) (V, error) {
	var zero V
	if v, ok := c.cached(key); ok {
		return v, nil
	}
	ch := c.calls.DoChan(fmt.Sprint(key), func() (any, error) {
		if v, ok := c.cached(key); ok {
			return v, nil
		}
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fetchTimeout)
		defer cancel()
		v, err := c.fetch(fctx, key)
		if err == nil {
			c.entries.Add(key, entry[V]{value: v, until: c.now().Add(c.ttl)})
		}
		return v, err
	})
	select {
	case <-ctx.Done():
		return zero, ctx.Err()
	case r := <-ch:
		if r.Err != nil {
			return zero, r.Err
		}
		return r.Val.(V), nil
	}
}
