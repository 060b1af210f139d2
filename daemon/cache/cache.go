package cache

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/ristretto/v2"
	"github.com/marketsync/marketsync/daemon/store"
	"golang.org/x/sync/singleflight"
)

var ns = store.Register("cache/")

// ErrUnknownType is returned for a type name that is not in Types.
var ErrUnknownType = errors.New("cache: unknown type")

// DefaultMaxCost is the L1 budget when Options.MaxCost is zero: 64 MiB
// of encoded values.
const DefaultMaxCost = 64 << 20

// entryOverhead is what an L1 entry costs beyond its encoded value: the
// entry struct, its key and the map slot, roughly.
const entryOverhead = 96

// Options configure New.
type Options struct {
	// DB holds L2 in its "cache/" namespace; nil keeps the cache in memory
	// only.
	DB *store.DB
	// MaxCost bounds L1, in bytes of encoded values plus a small overhead
	// per entry; DefaultMaxCost when zero.
	MaxCost int64
	// TTL overrides the TTL of the types it names; a name that is not a
	// registered type is an error.
	TTL map[string]time.Duration
	// NegativeTTL, when positive, keeps a failed load's error in L1 for
	// that long, so that callers asking again meanwhile get the error
	// without a platform call. Zero caches no errors. A context's
	// cancellation or deadline is never cached.
	NegativeTTL time.Duration
	// Now tells the time for expiry; time.Now when nil.
	Now func() time.Time
	// Observer is told of every request, load and eviction; nil for none.
	Observer Observer
	// Logger receives L2 failures, which degrade to misses; nil discards.
	Logger *slog.Logger
}

// Cache is the two-level cache. It is safe for concurrent use.
type Cache struct {
	db     *store.DB
	l1     *ristretto.Cache[string, *entry]
	ttl    []time.Duration // by type index
	negTTL time.Duration
	now    func() time.Time
	obs    Observer
	log    *slog.Logger
	sf     singleflight.Group
	stats  []counters // by type index

	// gen holds a generation per type. InvalidatePrefix and Purge bump
	// it: L1 cannot list its keys, so its entries of an older generation
	// count as absent and age out.
	gen []atomic.Uint64
	// writes counts invalidations and explicit writes. A load stores its
	// result only if none happened since it began: writes are bumped under
	// inval held exclusively, and loads store under it shared.
	inval  sync.RWMutex
	writes uint64
	// clearing is set while L1 is emptied on purpose, so that its
	// eviction callbacks are not counted as evictions.
	clearing atomic.Bool

	sinceMu sync.Mutex
	since   time.Time
}

// entry is an L1 value: a decoded value, or a load's error when negative
// caching is on.
type entry struct {
	typ     int
	gen     uint64
	expires time.Time
	value   any
	err     error
}

// New builds a cache.
func New(o Options) (*Cache, error) {
	c := &Cache{
		db:     o.DB,
		negTTL: o.NegativeTTL,
		now:    o.Now,
		obs:    o.Observer,
		log:    o.Logger,
		ttl:    make([]time.Duration, len(Types)),
		stats:  make([]counters, len(Types)),
		gen:    make([]atomic.Uint64, len(Types)),
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.obs == nil {
		c.obs = nopObserver{}
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.log = c.log.With("component", "cache")
	for i, t := range Types {
		c.ttl[i] = t.TTL
	}
	for name, ttl := range o.TTL {
		i, err := lookup(name)
		if err != nil {
			return nil, err
		}
		if ttl <= 0 {
			return nil, fmt.Errorf("cache: the TTL of %s must be positive, not %s", name, ttl)
		}
		c.ttl[i] = ttl
	}
	if o.NegativeTTL < 0 {
		return nil, fmt.Errorf("cache: negative NegativeTTL %s", o.NegativeTTL)
	}
	maxCost := o.MaxCost
	if maxCost == 0 {
		maxCost = DefaultMaxCost
	}
	if maxCost < 0 {
		return nil, fmt.Errorf("cache: negative MaxCost %d", maxCost)
	}
	l1, err := ristretto.NewCache(&ristretto.Config[string, *entry]{
		// Ten counters per entry that fits, for entries of about 100 bytes
		// and more: what ristretto's admission policy wants.
		NumCounters:        max(maxCost/100, 10_000),
		MaxCost:            maxCost,
		BufferItems:        64,
		IgnoreInternalCost: true, // entryOverhead stands for it
		OnEvict:            c.evicted,
	})
	if err != nil {
		return nil, fmt.Errorf("cache: L1: %w", err)
	}
	c.l1 = l1
	c.since = c.now()
	return c, nil
}

// Close releases L1. The cache must not be used afterwards; L2 stays in
// the store.
func (c *Cache) Close() { c.l1.Close() }

// TTL returns the TTL in force for the type called name.
func (c *Cache) TTL(name string) (time.Duration, error) {
	i, err := lookup(name)
	if err != nil {
		return 0, err
	}
	return c.ttl[i], nil
}

// codec turns a typed value into L2 bytes and back.
type codec struct {
	encode func(any) ([]byte, error)
	decode func([]byte) (any, error)
}

// result is what one load (or L2 read) hands to every caller sharing it.
type result struct {
	value  any
	fromL2 bool
}

// get is the read path of every typed Get: L1, then L2 and the loader
// behind one singleflight call per key.
func (c *Cache) get(ctx context.Context, typ int, key string, cd codec, load func(context.Context) (any, error)) (any, error) {
	full := fullKey(typ, key)
	if e, ok := c.l1Get(typ, full); ok {
		c.request(typ, ResultHitL1)
		if e.err != nil {
			c.stats[typ].negativeHits.Add(1)
			return nil, e.err
		}
		return e.value, nil
	}
	leader := false
	v, err, _ := c.sf.Do(full, func() (any, error) {
		leader = true
		return c.fill(ctx, typ, key, full, cd, load)
	})
	r, _ := v.(*result)
	switch {
	case r != nil && r.fromL2:
		c.request(typ, ResultHitL2)
	case leader:
		c.request(typ, ResultLoaded)
	default:
		c.request(typ, ResultShared)
	}
	if err != nil {
		return nil, err
	}
	return r.value, nil
}

// fill reads L2 and, on a miss, calls load and stores what it returns.
func (c *Cache) fill(ctx context.Context, typ int, key, full string, cd codec, load func(context.Context) (any, error)) (*result, error) {
	c.inval.RLock()
	writes, gen := c.writes, c.gen[typ].Load()
	c.inval.RUnlock()
	if c.db != nil {
		v, raw, expires, err := c.l2Get(full, cd)
		switch {
		case err != nil:
			c.log.Warn("L2 read failed; loading instead", "type", Types[typ].Name, "key", key, "err", err)
		case raw != nil:
			c.l1Set(full, &entry{typ: typ, gen: gen, expires: expires, value: v}, int64(len(raw)))
			return &result{value: v, fromL2: true}, nil
		}
	}
	c.stats[typ].loads.Add(1)
	v, err := load(ctx)
	if err != nil {
		c.stats[typ].loadErrors.Add(1)
		c.obs.CacheLoad(Types[typ].Name, true)
		if c.negTTL > 0 && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
			c.storeIfCurrent(writes, func() {
				c.l1Set(full, &entry{typ: typ, gen: gen, expires: c.now().Add(c.negTTL), err: err}, int64(len(err.Error())))
			})
		}
		return nil, err
	}
	c.obs.CacheLoad(Types[typ].Name, false)
	raw, err := cd.encode(v)
	if err != nil {
		c.log.Warn("value not cached: it does not encode", "type", Types[typ].Name, "key", key, "err", err)
		return &result{value: v}, nil
	}
	c.storeIfCurrent(writes, func() {
		if err := c.put(typ, gen, key, full, v, raw); err != nil {
			c.log.Warn("L2 write failed", "type", Types[typ].Name, "key", key, "err", err)
		}
	})
	return &result{value: v}, nil
}

// storeIfCurrent runs store unless an invalidation or an explicit write
// happened since writes was read: the loaded value may predate it.
func (c *Cache) storeIfCurrent(writes uint64, store func()) {
	c.inval.RLock()
	defer c.inval.RUnlock()
	if c.writes == writes {
		store()
	}
}

// put writes v (encoded as raw) to L2 and L1 with its type's TTL.
func (c *Cache) put(typ int, gen uint64, key, full string, v any, raw []byte) error {
	expires := c.now().Add(c.ttl[typ])
	c.l1Set(full, &entry{typ: typ, gen: gen, expires: expires, value: v}, int64(len(raw)))
	if c.db == nil {
		return nil
	}
	value := encodeL2(raw, expires)
	return c.db.Update(func(txn *store.Txn) error {
		return txn.SetExpiring(ns, []byte(full), value, expires)
	})
}

// set stores v under key as a fresh value: after a write to the platform,
// or a webhook that carried the new state.
func (c *Cache) set(typ int, key string, v any, raw []byte) error {
	full := fullKey(typ, key)
	c.bump(full)
	return c.put(typ, c.gen[typ].Load(), key, full, v, raw)
}

// bump records an invalidation or a write: loads in flight will not store
// what they load, and callers arriving after it start a new load.
func (c *Cache) bump(full string) {
	c.inval.Lock()
	c.writes++
	c.inval.Unlock()
	if full != "" {
		c.sf.Forget(full)
	}
}

// Invalidate removes the entry of type name under key from both levels.
func (c *Cache) Invalidate(name, key string) error {
	typ, err := lookup(name)
	if err != nil {
		return err
	}
	full := fullKey(typ, key)
	c.bump(full)
	c.l1.Del(full)
	c.stats[typ].invalidations.Add(1)
	if c.db == nil {
		return nil
	}
	if err := c.db.Update(func(txn *store.Txn) error { return txn.Delete(ns, []byte(full)) }); err != nil {
		return fmt.Errorf("cache: invalidate %s: %w", full, err)
	}
	return nil
}

// InvalidatePrefix removes the entries of type name whose key starts with
// prefix ("" for all of the type) and returns how many L2 held. L1 cannot
// list its keys: every L1 entry of the type is dropped, and reads fall
// through to L2 until they are back.
func (c *Cache) InvalidatePrefix(name, prefix string) (int, error) {
	typ, err := lookup(name)
	if err != nil {
		return 0, err
	}
	c.inval.Lock()
	c.writes++
	c.gen[typ].Add(1)
	c.inval.Unlock()
	c.stats[typ].invalidations.Add(1)
	if c.db == nil {
		return 0, nil
	}
	n, err := c.deleteL2(fullKey(typ, prefix))
	if err != nil {
		return n, fmt.Errorf("cache: invalidate %s/%s*: %w", name, prefix, err)
	}
	return n, nil
}

// Purge removes every entry of type name, or of every type when name is
// empty, and returns how many L2 held.
func (c *Cache) Purge(name string) (int, error) {
	if name != "" {
		return c.InvalidatePrefix(name, "")
	}
	total := 0
	for _, t := range Types {
		n, err := c.InvalidatePrefix(t.Name, "")
		total += n
		if err != nil {
			return total, err
		}
	}
	c.clearL1()
	return total, nil
}

// Cleanup deletes the expired entries of L2 (see store.DB.DeleteExpired)
// and empties L1. It returns how many L2 entries it deleted.
func (c *Cache) Cleanup() (int, error) {
	c.inval.Lock()
	c.writes++
	for i := range c.gen {
		c.gen[i].Add(1)
	}
	c.inval.Unlock()
	c.clearL1()
	if c.db == nil {
		return 0, nil
	}
	n, err := c.db.DeleteExpired(ns, nil, c.now())
	if err != nil {
		return n, fmt.Errorf("cache: cleanup: %w", err)
	}
	return n, nil
}

// clearL1 empties L1 without counting its entries as evicted.
func (c *Cache) clearL1() {
	c.clearing.Store(true)
	defer c.clearing.Store(false)
	c.l1.Clear()
}

// l1Get returns the live L1 entry at full, if any.
func (c *Cache) l1Get(typ int, full string) (*entry, bool) {
	e, ok := c.l1.Get(full)
	if !ok || e.gen != c.gen[typ].Load() || !c.now().Before(e.expires) {
		return nil, false
	}
	return e, true
}

// l1Set offers e to L1 at a cost of size bytes plus the overhead. L1 may
// refuse it (ristretto's admission policy keeps what is read more).
func (c *Cache) l1Set(full string, e *entry, size int64) {
	ttl := e.expires.Sub(c.now())
	if ttl <= 0 {
		return
	}
	c.l1.SetWithTTL(full, e, size+entryOverhead+int64(len(full)), ttl)
}

// evicted counts an entry L1 dropped for room. Entries it drops because
// they expired, or because Clear emptied it, are not evictions.
func (c *Cache) evicted(item *ristretto.Item[*entry]) {
	e := item.Value
	if e == nil || c.clearing.Load() || !c.now().Before(e.expires) {
		return
	}
	c.stats[e.typ].evictions.Add(1)
	c.obs.CacheEvicted(Types[e.typ].Name)
}

// fullKey is the key of an entry in L1 and, under the namespace, in L2:
// type "/" key. Type names hold no "/", so each type's keys are exactly
// those under its name and "/".
func fullKey(typ int, key string) string { return Types[typ].Name + "/" + key }

// The L2 value: a format byte, the expiry in Unix nanoseconds (Badger
// keeps only seconds, and its clock cannot be faked), the encoded value.
const (
	l2Format = 1
	l2Header = 1 + 8
)

func encodeL2(raw []byte, expires time.Time) []byte {
	out := make([]byte, l2Header+len(raw))
	out[0] = l2Format
	binary.BigEndian.PutUint64(out[1:], uint64(expires.UnixNano()))
	copy(out[l2Header:], raw)
	return out
}

// l2Get reads full from L2. raw is nil when the entry is absent or
// expired.
func (c *Cache) l2Get(full string, cd codec) (v any, raw []byte, expires time.Time, err error) {
	var stored []byte
	err = c.db.View(func(txn *store.Txn) error {
		stored, err = txn.Get(ns, []byte(full))
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, time.Time{}, nil
	}
	if err != nil {
		return nil, nil, time.Time{}, err
	}
	if len(stored) < l2Header || stored[0] != l2Format {
		return nil, nil, time.Time{}, fmt.Errorf("%s: unknown L2 format", full)
	}
	expires = time.Unix(0, int64(binary.BigEndian.Uint64(stored[1:])))
	if !c.now().Before(expires) {
		return nil, nil, time.Time{}, nil
	}
	raw = stored[l2Header:]
	if v, err = cd.decode(raw); err != nil {
		return nil, nil, time.Time{}, fmt.Errorf("%s: decode: %w", full, err)
	}
	return v, raw, expires, nil
}

// deleteL2 deletes every L2 key that starts with prefix (a full key
// prefix) and returns how many. It reads keys only.
func (c *Cache) deleteL2(prefix string) (int, error) {
	var keys [][]byte
	err := c.db.View(func(txn *store.Txn) error {
		return txn.Scan(ns, store.Range{Prefix: []byte(prefix), KeysOnly: true}, func(k, _ []byte) error {
			keys = append(keys, append([]byte(nil), k...))
			return nil
		})
	})
	if err != nil || len(keys) == 0 {
		return 0, err
	}
	err = c.db.Batch(func(b *store.Batch) error {
		for _, k := range keys {
			if err := b.Delete(ns, k); err != nil {
				return err
			}
		}
		return nil
	})
	return len(keys), err
}
