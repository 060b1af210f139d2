package memo

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

func TestGetSharesCallsAndExpires(t *testing.T) {
	synctest.Test(t, testGet)
}

func testGet(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var calls atomic.Int32
	release := make(chan struct{})
	c := New(2, time.Hour, func() time.Time { return now }, func(_ context.Context, k string) (string, error) {
		calls.Add(1)
		<-release
		if k == "bad" {
			return "", errors.New("refused")
		}
		return "name of " + k, nil
	})
	ctx := context.Background()

	// Twenty concurrent misses on one key make one call.
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if v, err := c.Get(ctx, "a"); err != nil || v != "name of a" {
				t.Errorf("got %q, %v", v, err)
			}
		})
	}
	synctest.Wait() // all twenty wait: one in fetch, the rest for it
	close(release)
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d calls for 20 concurrent misses, want 1", n)
	}

	// Failures are not kept.
	if _, err := c.Get(ctx, "bad"); err == nil {
		t.Fatal("no error")
	}
	if _, err := c.Get(ctx, "bad"); err == nil || calls.Load() != 3 {
		t.Fatalf("failure kept: %d calls", calls.Load())
	}

	// A live entry answers; an expired one asks again.
	c.Get(ctx, "a")
	if n := calls.Load(); n != 3 {
		t.Fatalf("live entry made a call (%d)", n)
	}
	now = now.Add(time.Hour)
	c.Get(ctx, "a")
	if n := calls.Load(); n != 4 {
		t.Fatalf("expired entry made %d calls in all, want 4", n)
	}

	// The cache is bounded: a third key evicts the least recently used.
	c.Get(ctx, "b")
	c.Get(ctx, "c")
	c.Get(ctx, "a")
	if n := calls.Load(); n != 7 {
		t.Fatalf("%d calls, want 7 (a evicted by b and c)", n)
	}
}
