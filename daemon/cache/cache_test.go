package cache

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/marketsync/marketsync/daemon/store"
	"github.com/marketsync/marketsync/daemon/store/storetest"
	"github.com/marketsync/marketsync/sdk/model"
	"github.com/marketsync/marketsync/sdk/simkit"
	"google.golang.org/protobuf/proto"
)

// newClock returns a fake clock that tests move by hand, standing at the
// wall clock's time so that Badger's own expiry stays out of the way.
func newClock() *simkit.FakeClock { return simkit.NewFakeClock(time.Now()) }

// platform is a fake platform call that counts its calls.
type platform struct {
	calls atomic.Int64
	err   error
}

func (p *platform) product(id string) func(context.Context) (*model.Product, error) {
	return func(context.Context) (*model.Product, error) {
		p.calls.Add(1)
		if p.err != nil {
			return nil, p.err
		}
		return &model.Product{Id: id, Title: map[string]string{"en": "product " + id}}, nil
	}
}

func newCache(t testing.TB, o Options) *Cache {
	t.Helper()
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func products(t testing.TB, c *Cache) *Typed[*model.Product] {
	t.Helper()
	p, err := Proto[*model.Product](c, ProductInfo)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func get(t testing.TB, p *Typed[*model.Product], fake *platform, id string) *model.Product {
	t.Helper()
	v, err := p.Get(t.Context(), id, fake.product(id))
	if err != nil {
		t.Fatalf("Get %s: %v", id, err)
	}
	if v.GetId() != id {
		t.Fatalf("Get %s returned product %q", id, v.GetId())
	}
	return v
}

func row(c *Cache, name string) TypeStats {
	for _, r := range c.Stats().Types {
		if r.Type == name {
			return r
		}
	}
	return TypeStats{}
}

func TestReadThroughBothLevels(t *testing.T) {
	for mode, opts := range storetest.Modes(t) {
		t.Run(mode, func(t *testing.T) {
			db := storetest.Open(t, opts)
			fake := &platform{}
			c := newCache(t, Options{DB: db})
			p := products(t, c)

			first := get(t, p, fake, "100")
			c.l1.Wait()
			second := get(t, p, fake, "100")
			if !proto.Equal(first, second) || fake.calls.Load() != 1 {
				t.Fatalf("second read: equal %v, platform calls %d, want equal and 1", proto.Equal(first, second), fake.calls.Load())
			}

			// A new cache on the same store has an empty L1: L2 answers.
			c2 := newCache(t, Options{DB: db})
			third := get(t, products(t, c2), fake, "100")
			if !proto.Equal(first, third) || fake.calls.Load() != 1 {
				t.Fatalf("read from L2: equal %v, platform calls %d", proto.Equal(first, third), fake.calls.Load())
			}
			got, want := row(c, "product_info"), TypeStats{Type: "product_info", TTL: 10 * time.Minute, Requests: 2, HitsL1: 1, Misses: 1, Loads: 1, CallsSaved: 1, HitRate: 0.5}
			if got != want {
				t.Errorf("stats\n got %+v\nwant %+v", got, want)
			}
			if r := row(c2, "product_info"); r.HitsL2 != 1 || r.Loads != 0 {
				t.Errorf("second cache: %+v, want one L2 hit and no load", r)
			}
		})
	}
}

func TestTTLPerType(t *testing.T) {
	db := storetest.Open(t, store.Options{InMemory: true})
	clk := newClock()
	c := newCache(t, Options{DB: db, Now: clk.Now, TTL: map[string]time.Duration{"product_info": time.Minute}})
	p := products(t, c)
	stock, err := Bytes(c, Stock)
	if err != nil {
		t.Fatal(err)
	}
	if p.TTL() != time.Minute || stock.TTL() != 30*time.Second {
		t.Fatalf("TTLs %s and %s, want 1m (configured) and 30s (default)", p.TTL(), stock.TTL())
	}
	stockCalls := 0
	loadStock := func(context.Context) ([]byte, error) { stockCalls++; return []byte("7"), nil }
	fake := &platform{}

	get(t, p, fake, "1")
	if _, err := stock.Get(t.Context(), "1", loadStock); err != nil {
		t.Fatal(err)
	}
	c.l1.Wait()
	clk.Advance(30*time.Second - time.Nanosecond)
	get(t, p, fake, "1")
	stock.Get(t.Context(), "1", loadStock)
	if fake.calls.Load() != 1 || stockCalls != 1 {
		t.Fatalf("before either TTL: %d product and %d stock calls, want 1 and 1", fake.calls.Load(), stockCalls)
	}
	clk.Advance(time.Nanosecond) // stock expires in both levels
	stock.Get(t.Context(), "1", loadStock)
	get(t, p, fake, "1")
	if fake.calls.Load() != 1 || stockCalls != 2 {
		t.Fatalf("at the stock TTL: %d product and %d stock calls, want 1 and 2", fake.calls.Load(), stockCalls)
	}
	clk.Advance(30 * time.Second)
	// A fresh L1 shows that L2 expired the product too.
	c2 := newCache(t, Options{DB: db, Now: clk.Now})
	get(t, products(t, c2), fake, "1")
	if fake.calls.Load() != 2 {
		t.Fatalf("at the product TTL: %d product calls, want 2", fake.calls.Load())
	}
}

func TestConcurrentMissesShareOneLoad(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, err := New(Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		p := products(t, c)
		release := make(chan struct{})
		var calls atomic.Int64
		load := func(context.Context) (*model.Product, error) {
			calls.Add(1)
			<-release
			return &model.Product{Id: "9"}, nil
		}
		const n = 8
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				if v, err := p.Get(context.Background(), "9", load); err != nil || v.GetId() != "9" {
					t.Errorf("Get: %v, %v", v, err)
				}
			})
		}
		synctest.Wait() // one caller in the loader, the others waiting for it
		close(release)
		wg.Wait()
		if calls.Load() != 1 {
			t.Fatalf("%d loader calls for %d concurrent misses, want 1", calls.Load(), n)
		}
		r := row(c, "product_info")
		if r.Misses != n || r.Shared != n-1 || r.Loads != 1 || r.CallsSaved != n-1 {
			t.Fatalf("stats %+v, want %d misses, %d shared, 1 load", r, n, n-1)
		}
	})
}

func TestErrorsAreNotCached(t *testing.T) {
	fake := &platform{err: errors.New("platform unavailable")}
	c := newCache(t, Options{})
	p := products(t, c)
	for range 2 {
		if _, err := p.Get(t.Context(), "1", fake.product("1")); !errors.Is(err, fake.err) {
			t.Fatalf("Get: %v, want the platform's error", err)
		}
	}
	if fake.calls.Load() != 2 {
		t.Fatalf("%d platform calls, want 2: a failure is not cached", fake.calls.Load())
	}
	if r := row(c, "product_info"); r.LoadErrors != 2 || r.HitRate != 0 {
		t.Fatalf("stats %+v", r)
	}
}

func TestNegativeCaching(t *testing.T) {
	clk := newClock()
	gone := errors.New("not found")
	fake := &platform{err: gone}
	c := newCache(t, Options{NegativeTTL: 5 * time.Second, Now: clk.Now})
	p := products(t, c)
	p.Get(t.Context(), "1", fake.product("1"))
	c.l1.Wait()
	if _, err := p.Get(t.Context(), "1", fake.product("1")); !errors.Is(err, gone) || fake.calls.Load() != 1 {
		t.Fatalf("within NegativeTTL: %v and %d calls, want the cached error and 1 call", err, fake.calls.Load())
	}
	clk.Advance(5 * time.Second)
	p.Get(t.Context(), "1", fake.product("1"))
	if fake.calls.Load() != 2 {
		t.Fatalf("after NegativeTTL: %d calls, want 2", fake.calls.Load())
	}
	if r := row(c, "product_info"); r.NegativeHits != 1 || r.HitsL1 != 1 {
		t.Fatalf("stats %+v, want one negative L1 hit", r)
	}

	// A cancelled context says nothing about the platform: never cached.
	canceled := func(context.Context) (*model.Product, error) { return nil, context.Canceled }
	p.Get(t.Context(), "2", canceled)
	c.l1.Wait()
	if _, err := p.Get(t.Context(), "2", fake.product("2")); errors.Is(err, context.Canceled) {
		t.Fatal("a cancellation was cached")
	}
}

func TestInvalidate(t *testing.T) {
	db := storetest.Open(t, store.Options{InMemory: true})
	fake := &platform{}
	c := newCache(t, Options{DB: db})
	p := products(t, c)
	for _, id := range []string{"shop1:1", "shop1:2", "shop2:1"} {
		get(t, p, fake, id)
	}
	c.l1.Wait()

	if err := c.Invalidate("product_info", "shop2:1"); err != nil {
		t.Fatal(err)
	}
	get(t, p, fake, "shop2:1")
	if fake.calls.Load() != 4 {
		t.Fatalf("after Invalidate: %d calls, want 4", fake.calls.Load())
	}
	c.l1.Wait()

	n, err := c.InvalidatePrefix("product_info", "shop1:")
	if err != nil || n != 2 {
		t.Fatalf("InvalidatePrefix: %d, %v; want 2 entries", n, err)
	}
	before := row(c, "product_info")
	get(t, p, fake, "shop2:1") // L1 retired the type; L2 still has it
	get(t, p, fake, "shop1:1")
	after := row(c, "product_info")
	if fake.calls.Load() != 5 || after.HitsL2-before.HitsL2 != 1 {
		t.Fatalf("after InvalidatePrefix: %d calls and %d L2 hits, want 5 and 1", fake.calls.Load(), after.HitsL2-before.HitsL2)
	}

	if _, err := c.InvalidatePrefix("nope", ""); !errors.Is(err, ErrUnknownType) {
		t.Fatalf("unknown type: %v", err)
	}
	if n, err := c.Purge(""); err != nil || n != 2 {
		t.Fatalf("Purge: %d, %v; want the 2 entries left", n, err)
	}
	if got := l2Keys(t, db); len(got) != 0 {
		t.Fatalf("L2 after Purge: %q", got)
	}
}

func TestLoadRacingAnInvalidationIsNotStored(t *testing.T) {
	db := storetest.Open(t, store.Options{InMemory: true})
	c := newCache(t, Options{DB: db})
	p := products(t, c)
	calls := 0
	load := func(context.Context) (*model.Product, error) {
		calls++
		if calls == 1 {
			// A webhook says the product changed while it was being read.
			if err := c.Invalidate("product_info", "1"); err != nil {
				t.Error(err)
			}
		}
		return &model.Product{Id: "1"}, nil
	}
	p.Get(t.Context(), "1", load)
	c.l1.Wait()
	p.Get(t.Context(), "1", load)
	if calls != 2 {
		t.Fatalf("%d loads, want 2: the first result predates the invalidation", calls)
	}
}

func TestSetWritesThrough(t *testing.T) {
	db := storetest.Open(t, store.Options{InMemory: true})
	fake := &platform{}
	c := newCache(t, Options{DB: db})
	p := products(t, c)
	if err := p.Set("1", &model.Product{Id: "1", Title: map[string]string{"en": "new"}}); err != nil {
		t.Fatal(err)
	}
	v := get(t, products(t, newCache(t, Options{DB: db})), fake, "1")
	if v.GetTitle()["en"] != "new" || fake.calls.Load() != 0 {
		t.Fatalf("read after Set: %v with %d calls", v, fake.calls.Load())
	}
}

func TestCleanupDeletesExpiredL2Entries(t *testing.T) {
	db := storetest.Open(t, store.Options{Dir: t.TempDir(), GCInterval: -1})
	clk := newClock()
	c := newCache(t, Options{DB: db, Now: clk.Now})
	fake := &platform{}
	p := products(t, c)
	stock, _ := Bytes(c, Stock)
	get(t, p, fake, "1")
	stock.Get(t.Context(), "1", func(context.Context) ([]byte, error) { return []byte("3"), nil })
	c.l1.Wait()

	clk.Advance(time.Minute) // past stock's 30s, within product_info's 10m
	n, err := c.Cleanup()
	if err != nil || n != 1 {
		t.Fatalf("Cleanup: %d, %v; want the stock entry", n, err)
	}
	if got := l2Keys(t, db); len(got) != 1 || got[0] != "product_info/1" {
		t.Fatalf("L2 keys after cleanup: %q", got)
	}
	get(t, p, fake, "1")
	if r := row(c, "product_info"); r.HitsL2 != 1 || fake.calls.Load() != 1 {
		t.Fatalf("read after cleanup: %+v, %d calls; want an L2 hit (L1 was emptied)", r, fake.calls.Load())
	}
	if n, err := c.Cleanup(); err != nil || n != 0 {
		t.Fatalf("second Cleanup: %d, %v", n, err)
	}
}

func l2Keys(t *testing.T, db *store.DB) []string {
	t.Helper()
	var keys []string
	err := db.View(func(txn *store.Txn) error {
		return txn.Scan(ns, store.Range{KeysOnly: true}, func(k, _ []byte) error {
			keys = append(keys, string(k))
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

func TestEvictionsAreCounted(t *testing.T) {
	c := newCache(t, Options{MaxCost: 16 << 10})
	b, _ := Bytes(c, Price)
	value := make([]byte, 1024)
	for i := range 200 {
		key := fmt.Sprint(i)
		for range 3 { // read often enough to be admitted over older keys
			b.Get(t.Context(), key, func(context.Context) ([]byte, error) { return value, nil })
			c.l1.Wait()
		}
	}
	if r := row(c, "price"); r.Evictions == 0 {
		t.Fatalf("no evictions counted: %+v", r)
	}
	c.Cleanup()
	before := row(c, "price").Evictions
	c.Cleanup()
	if after := row(c, "price").Evictions; after != before {
		t.Fatalf("emptying L1 counted %d evictions", after-before)
	}
}

type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) add(s string) { r.mu.Lock(); r.events = append(r.events, s); r.mu.Unlock() }
func (r *recorder) CacheRequest(typ, result string) {
	r.add("request " + typ + " " + result)
}
func (r *recorder) CacheLoad(typ string, failed bool) { r.add(fmt.Sprintf("load %s %v", typ, failed)) }
func (r *recorder) CacheEvicted(typ string)           { r.add("evicted " + typ) }

func TestStatsObserverAndReset(t *testing.T) {
	clk := newClock()
	obs := &recorder{}
	c := newCache(t, Options{Now: clk.Now, Observer: obs})
	fake := &platform{}
	p := products(t, c)
	get(t, p, fake, "1")
	c.l1.Wait()
	get(t, p, fake, "1")
	get(t, p, fake, "1")
	want := []string{"load product_info false", "request product_info loaded", "request product_info hit_l1", "request product_info hit_l1"}
	if fmt.Sprint(obs.events) != fmt.Sprint(want) {
		t.Fatalf("observer got %q, want %q", obs.events, want)
	}
	s := c.Stats()
	if s.Total.Requests != 3 || s.Total.CallsSaved != 2 || s.Total.HitRate != 2.0/3 || c.HitRate("product_info") != 2.0/3 {
		t.Fatalf("total %+v", s.Total)
	}
	clk.Advance(time.Hour)
	c.ResetStats()
	s = c.Stats()
	if s.Total != (TypeStats{}) || !s.Since.Equal(clk.Now()) {
		t.Fatalf("after reset: since %s, total %+v", s.Since, s.Total)
	}
}

func TestOptions(t *testing.T) {
	for name, o := range map[string]Options{
		"unknown type": {TTL: map[string]time.Duration{"colour": time.Minute}},
		"zero ttl":     {TTL: map[string]time.Duration{"price": 0}},
		"negative ttl": {NegativeTTL: -time.Second},
		"negative max": {MaxCost: -1},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	for _, typ := range Types {
		if !typeName.MatchString(typ.Name) || typ.TTL <= 0 {
			t.Errorf("type %+v: a name must be a lower-case key segment and the TTL positive", typ)
		}
	}
	if _, err := Proto[*model.Product](newCache(t, Options{}), Type{Name: "colour"}); !errors.Is(err, ErrUnknownType) {
		t.Errorf("binding an unregistered type: %v", err)
	}
}
