package batch

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/marketsync/marketsync/actors/platform/retry"
	"github.com/marketsync/marketsync/sdk/model"
)

// Sizes remembers, per platform and operation, the largest batch the
// platform took after it refused a larger one. It is safe for concurrent
// use and lives as long as the agent: one refusal teaches every later run.
type Sizes struct {
	mu     sync.Mutex
	learnt map[string]int
}

// NewSizes returns an empty memory of learnt sizes.
func NewSizes() *Sizes { return &Sizes{learnt: map[string]int{}} }

func key(platform string, op model.Operation) string { return platform + "/" + op.String() }

// Size is the batch size to send for op on platform: limit (the plugin's
// declared cap or a smaller configured size), or less if the platform
// refused that much before.
func (s *Sizes) Size(platform string, op model.Operation, limit int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n, ok := s.learnt[key(platform, op)]; ok && n < limit {
		return n
	}
	return max(limit, 1)
}

// Refused records that a batch of size items was refused as too large
// and returns the size to try next: half of it, at least 1.
func (s *Sizes) Refused(platform string, op model.Operation, size int) int {
	n := max(size/2, 1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.learnt[key(platform, op)]; !ok || n < old {
		s.learnt[key(platform, op)] = n
	}
	return n
}

// Learnt returns the sizes learnt so far, by "platform/OPERATION".
func (s *Sizes) Learnt() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.learnt))
	for k, v := range s.learnt {
		out[k] = v
	}
	return out
}

// TooLarge reports whether e refuses a call for the number of items it
// carries: the platform actor's own check against the declared cap
// (model.CodeBatchTooLarge), or a platform's HTTP 413 as a plugin reports
// it (WooCommerce's woocommerce_rest_request_entity_too_large; a code
// naming 413 or "too_large").
func TooLarge(e *model.Error) bool {
	if e == nil {
		return false
	}
	c := strings.ToLower(e.GetCode())
	return c == model.CodeBatchTooLarge || strings.Contains(c, "too_large") || c == "413" ||
		strings.Contains(c, "entity_too_large")
}

// Call sends one batch: it returns one error per item (nil for an item
// that succeeded), or the error of the whole call.
type Call[T any] func(ctx context.Context, items []T) ([]*model.Error, *model.Error)

// Sender sends items to one operation of one platform.
type Sender struct {
	Sizes    *Sizes
	Platform string
	Op       model.Operation
	// Limit is the largest batch to send: the plugin's declared cap or a
	// smaller configured size.
	Limit int
	// Attempts bounds how many calls one item may be part of (default 3).
	Attempts int
}

// Outcome is what Send did.
type Outcome struct {
	// Errs has one entry per item: nil when it was written.
	Errs []*model.Error
	// Calls counts the calls made, refused ones included; Refused those
	// refused as too large.
	Calls, Refused int
}

// Send sends items in batches and returns each item's final outcome.
// Only failed items are sent again, and only for a retryable error; a
// batch refused as too large is sent again in halves, and the smaller
// size is remembered. A whole call that fails otherwise fails its items
// (retryable: they are sent again while they have attempts left). An
// item refused for the platform's rate is sent again after the
// platform's retry-after without spending an attempt, at most
// MaxThrottled times.
func Send[T any](ctx context.Context, s Sender, items []T, call Call[T]) Outcome {
	attempts := s.Attempts
	if attempts <= 0 {
		attempts = 3
	}
	out := Outcome{Errs: make([]*model.Error, len(items))}
	tries := make([]int, len(items))
	throttled := make([]int, len(items))
	pending := make([]int, len(items))
	for i := range pending {
		pending[i] = i
	}
	for len(pending) > 0 {
		if err := ctx.Err(); err != nil {
			for _, i := range pending {
				out.Errs[i] = model.Unavailable(model.CodeStopping, "the sync stopped before this item was sent: "+err.Error())
			}
			return out
		}
		size := s.Sizes.Size(s.Platform, s.Op, s.Limit)
		n := min(size, len(pending))
		idx := pending[:n]
		batch := make([]T, n)
		for j, i := range idx {
			batch[j] = items[i]
		}
		errs, whole := call(ctx, batch)
		out.Calls++
		if TooLarge(whole) && n > 1 {
			out.Refused++
			s.Sizes.Refused(s.Platform, s.Op, n)
			continue // the same items, in smaller batches
		}
		var again []int
		var pause time.Duration
		for j, i := range idx {
			e := whole
			if e == nil && j < len(errs) {
				e = errs[j]
			}
			out.Errs[i] = e
			switch {
			case e == nil || !e.GetKind().Retryable():
			case e.GetKind() == model.KindRateLimited:
				// Refused for the platform's rate, not for anything wrong
				// with the item (a document THROTTLED inside a call that
				// answered 200): it waits for the platform and spends no
				// attempt, as rate-limited retries do everywhere.
				if throttled[i]++; throttled[i] <= MaxThrottled {
					pause = max(pause, throttledWait(e, throttled[i]))
					again = append(again, i)
				}
			default:
				if tries[i]++; tries[i] < attempts {
					again = append(again, i)
				}
			}
		}
		pending = append(again, pending[n:]...)
		if pause > 0 && len(again) > 0 {
			t := time.NewTimer(pause)
			select {
			case <-ctx.Done():
				t.Stop() // the loop's check ends the items
			case <-t.C:
			}
		}
	}
	return out
}

// MaxThrottled bounds how often one item may be sent again after coming
// back rate-limited; the next refusal fails it with that error. Enough
// for a platform to restore a spent bucket many times over, and a bound,
// so that a platform that refuses for ever ends the item rather than the
// run waiting for ever.
const MaxThrottled = 20

// throttledBackoff paces an item refused for the rate when the platform
// gave no retry-after: a doubling from 250 ms, at most 10 s.
var throttledBackoff = retry.Policy{Base: 250 * time.Millisecond, Max: 10 * time.Second}

// throttledWait is how long to wait before sending again an item refused
// for the rate the n-th time: the platform's retry-after when it gave
// one, else throttledBackoff's window.
func throttledWait(e *model.Error, n int) time.Duration {
	if d := e.Wait(); d > 0 {
		return d
	}
	return throttledBackoff.Window(n)
}
