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

// TestACallerGivingUpLeavesTheOthersTheirAnswer: the fetch runs for every
// caller waiting on the key, not only for the one that started it.
func TestACallerGivingUpLeavesTheOthersTheirAnswer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var calls atomic.Int32
		c := New(4, time.Hour, time.Now, func(ctx context.Context, k string) (string, error) {
			calls.Add(1)
			select {
			case <-release:
				return "name of " + k, nil
			case <-ctx.Done():
				return "", ctx.Err()
			}
		})
		first, cancel := context.WithCancel(context.Background())
		gaveUp := make(chan error)
		go func() {
			_, err := c.Get(first, "a")
			gaveUp <- err
		}()
		synctest.Wait() // the first caller is in fetch
		got := make(chan string)
		go func() {
			v, err := c.Get(context.Background(), "a")
			if err != nil {
				t.Errorf("second caller: %v", err)
			}
			got <- v
		}()
		synctest.Wait()
		cancel()
		if err := <-gaveUp; !errors.Is(err, context.Canceled) {
			t.Errorf("first caller: %v, want context.Canceled", err)
		}
		close(release)
		if v := <-got; v != "name of a" {
			t.Errorf("second caller got %q", v)
		}
		if v, err := c.Get(context.Background(), "a"); err != nil || v != "name of a" || calls.Load() != 1 {
			t.Errorf("afterwards: %q, %v, %d calls; want the kept answer from one call", v, err, calls.Load())
		}
	})
}
