package batch_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/marketsync/marketsync/actors/sync/batch"
	"github.com/marketsync/marketsync/sdk/model"
)

// fakeStore takes batches up to cap items (more is a 413, as WooCommerce
// answers) and fails the items it is told to, once or always.
type fakeStore struct {
	cap        int
	flaky      map[int]int // item → failures left (retryable)
	bad        map[int]bool
	calls      [][]int
	sizesTried []int
}

func (f *fakeStore) call(_ context.Context, items []int) ([]*model.Error, *model.Error) {
	f.sizesTried = append(f.sizesTried, len(items))
	if len(items) > f.cap {
		return nil, model.Invalid("woocommerce_rest_request_entity_too_large", "Unable to accept more than 100 items for this request.")
	}
	f.calls = append(f.calls, slices.Clone(items))
	errs := make([]*model.Error, len(items))
	for j, it := range items {
		switch {
		case f.bad[it]:
			errs[j] = model.Invalid("invalid_sku", fmt.Sprintf("item %d", it))
		case f.flaky[it] > 0:
			f.flaky[it]--
			errs[j] = model.Unavailable("timeout", "try again")
		}
	}
	return errs, nil
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func TestSendBatchesAtTheLimit(t *testing.T) {
	for _, tc := range []struct{ items, limit, calls int }{
		{1000, 50, 20}, {1001, 50, 21}, {49, 50, 1}, {0, 50, 0}, {300, 100, 3},
	} {
		t.Run(fmt.Sprintf("%d at %d", tc.items, tc.limit), func(t *testing.T) {
			f := &fakeStore{cap: 1000}
			out := batch.Send(context.Background(), batch.Sender{Sizes: batch.NewSizes(), Platform: "p", Op: model.Operation_OPERATION_UPSERT_PRODUCTS, Limit: tc.limit}, seq(tc.items), f.call)
			if out.Calls != tc.calls || len(f.calls) != tc.calls {
				t.Fatalf("%d calls (store saw %d), want %d = ⌈%d ÷ %d⌉", out.Calls, len(f.calls), tc.calls, tc.items, tc.limit)
			}
			for i, e := range out.Errs {
				if e != nil {
					t.Fatalf("item %d: %v", i, e)
				}
			}
		})
	}
}

func TestSendRetriesOnlyFailedItems(t *testing.T) {
	f := &fakeStore{cap: 100, flaky: map[int]int{3: 1, 7: 5}, bad: map[int]bool{5: true}}
	out := batch.Send(context.Background(), batch.Sender{Sizes: batch.NewSizes(), Platform: "p", Op: model.Operation_OPERATION_SET_PRICES, Limit: 10, Attempts: 3}, seq(10), f.call)
	// The first call carries all ten; the second only 3 and 7 (5 failed
	// for good); the third only 7, which then runs out of attempts.
	want := [][]int{seq(10), {3, 7}, {7}}
	if !slices.EqualFunc(f.calls, want, slices.Equal) {
		t.Fatalf("calls %v, want %v", f.calls, want)
	}
	for i, e := range out.Errs {
		wantErr := i == 5 || i == 7
		if (e != nil) != wantErr {
			t.Errorf("item %d: error %v, want error %v", i, e, wantErr)
		}
	}
}

func TestSendHalvesARefusedBatchAndRemembers(t *testing.T) {
	sizes := batch.NewSizes()
	s := batch.Sender{Sizes: sizes, Platform: "woo", Op: model.Operation_OPERATION_UPSERT_PRODUCTS, Limit: 100}
	f := &fakeStore{cap: 30}
	out := batch.Send(context.Background(), s, seq(100), f.call)
	// 100 refused, 50 refused, then 25 at a time.
	if want := []int{100, 50, 25, 25, 25, 25}; !slices.Equal(f.sizesTried, want) {
		t.Fatalf("sizes sent %v, want %v", f.sizesTried, want)
	}
	if out.Refused != 2 || out.Calls != 6 {
		t.Fatalf("outcome %+v", out)
	}
	if n := sizes.Size("woo", s.Op, 100); n != 25 {
		t.Fatalf("learnt size %d, want 25", n)
	}
	if n := sizes.Size("shop", s.Op, 100); n != 100 {
		t.Fatalf("another platform's size %d, want 100", n)
	}
	// The next run starts at the learnt size: no refusal.
	f2 := &fakeStore{cap: 30}
	out = batch.Send(context.Background(), s, seq(60), f2.call)
	if want := []int{25, 25, 10}; !slices.Equal(f2.sizesTried, want) || out.Refused != 0 {
		t.Fatalf("second run sent %v (refused %d), want %v", f2.sizesTried, out.Refused, want)
	}
}

func TestTooLarge(t *testing.T) {
	for code, want := range map[string]bool{
		model.CodeBatchTooLarge:                     true,
		"woocommerce_rest_request_entity_too_large": true,
		"413":         true,
		"THROTTLED":   false,
		"invalid_sku": false,
	} {
		if got := batch.TooLarge(model.Invalid(code, "x")); got != want {
			t.Errorf("TooLarge(%s) = %v", code, got)
		}
	}
}

func TestWindowFlushesWhenFullOrAfterMaxWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var flushed [][]string
		var at []time.Duration
		start := time.Now()
		w := &batch.Window[string]{Max: 3, MaxWait: 2 * time.Second, Flush: func(b []string) {
			mu.Lock()
			defer mu.Unlock()
			flushed = append(flushed, b)
			at = append(at, time.Since(start))
		}}
		w.Add("a", "b", "c", "d") // a full batch at once, d waits
		time.Sleep(time.Second)   // synctest's clock: returns when the bubble reaches 1 s
		w.Add("e")
		synctest.Wait()
		mu.Lock()
		if len(flushed) != 1 {
			t.Fatalf("flushed %v before the wait ran out", flushed)
		}
		mu.Unlock()
		time.Sleep(time.Second) // synctest's clock again: 2 s after d
		synctest.Wait()
		mu.Lock()
		defer mu.Unlock()
		want := [][]string{{"a", "b", "c"}, {"d", "e"}}
		if !slices.EqualFunc(flushed, want, slices.Equal) {
			t.Fatalf("flushed %v, want %v", flushed, want)
		}
		if at[1] != 2*time.Second {
			t.Fatalf("second batch flushed after %v, want 2s", at[1])
		}
	})
}

// throttledStore refuses items for its rate inside calls that succeed, as
// Shopify marks documents THROTTLED in a 200: some a few times, one for
// ever. It records when each call came.
type throttledStore struct {
	left  map[int]int // item → refusals left; -1 for ever
	after time.Duration
	at    []time.Duration
	start time.Time
}

func (f *throttledStore) call(_ context.Context, items []int) ([]*model.Error, *model.Error) {
	f.at = append(f.at, time.Since(f.start))
	errs := make([]*model.Error, len(items))
	for j, it := range items {
		if n := f.left[it]; n != 0 {
			f.left[it] = n - 1
			errs[j] = model.RateLimited(f.after, "THROTTLED", "the bucket is empty")
		}
	}
	return errs, nil
}

// Items refused for the platform's rate wait for its retry-after and
// spend no attempt: one refused six times with three attempts still
// succeeds; one refused for ever fails with the refusal after
// MaxThrottled resends, so the run ends.
func TestSendWaitsOutThrottledItemsWithoutSpendingAttempts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &throttledStore{left: map[int]int{2: 6, 4: -1}, after: 2 * time.Second, start: time.Now()}
		out := batch.Send(context.Background(), batch.Sender{Sizes: batch.NewSizes(), Platform: "p", Op: model.Operation_OPERATION_UPSERT_PRODUCTS, Limit: 10, Attempts: 3}, seq(10), f.call)
		for i, e := range out.Errs {
			if wantErr := i == 4; (e != nil) != wantErr || (wantErr && e.GetKind() != model.KindRateLimited) {
				t.Errorf("item %d: %v", i, e)
			}
		}
		if want := batch.MaxThrottled + 1; out.Calls != want {
			t.Fatalf("%d calls, want %d: the first and one per resend", out.Calls, want)
		}
		for k := 1; k < len(f.at); k++ {
			if gap := f.at[k] - f.at[k-1]; gap < f.after {
				t.Fatalf("call %d came %v after the one before, sooner than the retry-after %v", k, gap, f.after)
			}
		}
	})
}
