// Package ratelimit is the platform actor's token bucket and the rate
// control that adapts it (Adaptive, in adaptive.go). The bucket holds its
// state openly (rate, burst, tokens, a pause) because the actor corrects
// it from what platforms report — quota headers, bans with a retry-after —
// and adapts its rate to rate-limited answers; golang.org/x/time/rate
// hides its tokens and cannot be corrected.
//
// Wait reserves tokens first and then sleeps, as x/time/rate's WaitN does:
// callers are served in the order they asked, fractional and multi-token
// costs work, and a wait that could not end before the caller's deadline
// is refused at once instead of sleeping in vain. Time is read from the
// time package, so tests run it under testing/synctest.
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"
)

// ErrWouldExceedDeadline is returned by Wait when the tokens would not be
// available before the context's deadline.
var ErrWouldExceedDeadline = errors.New("rate limit wait would exceed the deadline")

// Bucket is a token bucket; its zero value is not usable, call New.
type Bucket struct {
	mu     sync.Mutex
	rate   float64 // tokens per second; +Inf disables limiting
	burst  float64
	tokens float64 // may go negative: tokens reserved by waiting callers
	last   time.Time
	// pausedUntil holds every call back until a platform's ban ends, even
	// calls whose reservation fell due before the ban was known.
	pausedUntil time.Time
}

// New returns a full bucket refilling at rate tokens per second up to
// burst. A rate of zero or less, or +Inf, means no limit.
func New(rate float64, burst int) *Bucket {
	if rate <= 0 {
		rate = math.Inf(1)
	}
	if burst < 1 {
		burst = 1
	}
	return &Bucket{rate: rate, burst: float64(burst), tokens: float64(burst), last: time.Now()}
}

// advance refills the bucket up to now; callers hold mu. Nothing accrues
// during a pause, so a ban's end is not followed by a burst.
func (b *Bucket) advance(now time.Time) {
	from := b.last
	if b.pausedUntil.After(from) {
		from = b.pausedUntil
	}
	if el := now.Sub(from).Seconds(); el > 0 {
		b.tokens = min(b.burst, b.tokens+el*b.rate)
	}
	if now.After(b.last) {
		b.last = now
	}
}

// Allow takes cost tokens if they are there now, without waiting.
func (b *Bucket) Allow(cost float64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if math.IsInf(b.rate, 1) {
		return true
	}
	b.advance(time.Now())
	if b.tokens < cost {
		return false
	}
	b.tokens -= cost
	return true
}

// Wait blocks until cost tokens are available or ctx ends, and returns how
// long it waited. It fails fast with ErrWouldExceedDeadline when the wait
// could not end before ctx's deadline; a cancelled wait gives its tokens
// back.
func (b *Bucket) Wait(ctx context.Context, cost float64) (time.Duration, error) {
	dl, _ := ctx.Deadline()
	waited, err := b.wait(dl, ctx.Done(), cost)
	if err == errDone {
		err = ctx.Err()
	}
	return waited, err
}

// WaitUntil is Wait with a deadline and nothing else to end it: the
// platform actor's attempts have only the caller's deadline, and need no
// context (nor its timer) to wait for tokens.
func (b *Bucket) WaitUntil(deadline time.Time, cost float64) (time.Duration, error) {
	return b.wait(deadline, nil, cost)
}

// errDone is wait's answer when done was closed.
var errDone = errors.New("wait abandoned")

// wait reserves cost tokens and sleeps until they are due, or until done
// is closed (nil: never); a zero deadline is none.
func (b *Bucket) wait(deadline time.Time, done <-chan struct{}, cost float64) (time.Duration, error) {
	if cost <= 0 {
		cost = 1
	}
	b.mu.Lock()
	if math.IsInf(b.rate, 1) {
		b.mu.Unlock()
		return 0, closed(done)
	}
	if cost > b.burst {
		b.mu.Unlock()
		return 0, fmt.Errorf("cost %g exceeds the bucket's burst %g", cost, b.burst)
	}
	now := time.Now()
	b.advance(now)
	b.tokens -= cost
	var wait time.Duration
	if b.tokens < 0 {
		wait = time.Duration(math.Ceil(-b.tokens / b.rate * float64(time.Second)))
	}
	if p := b.pausedUntil.Sub(now); p > 0 {
		wait += p
	}
	if !deadline.IsZero() && now.Add(wait).After(deadline) {
		b.tokens += cost
		b.mu.Unlock()
		return 0, ErrWouldExceedDeadline
	}
	b.mu.Unlock()
	for {
		if wait <= 0 {
			return time.Since(now), closed(done)
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-done:
			t.Stop()
			b.mu.Lock()
			b.tokens += cost
			b.mu.Unlock()
			return time.Since(now), errDone
		}
		// A ban may have started while this caller slept.
		b.mu.Lock()
		wait = time.Until(b.pausedUntil)
		b.mu.Unlock()
	}
}

// closed returns errDone if done is closed, else nil.
func closed(done <-chan struct{}) error {
	select {
	case <-done:
		return errDone
	default:
		return nil
	}
}

// PauseUntil holds every call until t: the platform banned us, or told us
// its quota refills then. At most one token is left, and none accrues
// during the pause, so that after t one call goes at once and the rest
// follow at the sustained rate rather than in a burst. The pause is a
// time, not a debt of tokens, so it lasts as long whatever the rate
// becomes meanwhile.
func (b *Bucket) PauseUntil(t time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	if !t.After(now) || math.IsInf(b.rate, 1) {
		return
	}
	b.advance(now)
	if t.After(b.pausedUntil) {
		b.pausedUntil = t
	}
	b.tokens = min(b.tokens, 1)
}

// Observe corrects the bucket with what the platform said is left of its
// quota. It only ever lowers the local count: the platform may be
// counting calls this agent did not make (another client on the same
// app key), and trusting a higher count than ours would let bursts
// through. With nothing left and a reset time ahead, calls pause until
// the reset.
func (b *Bucket) Observe(remaining float64, reset time.Time) {
	if remaining <= 0 && !reset.IsZero() {
		b.PauseUntil(reset)
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.advance(time.Now())
	if remaining < b.tokens {
		b.tokens = remaining
	}
}

// Rate returns the refill rate in tokens per second (+Inf: unlimited).
func (b *Bucket) Rate() float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.rate
}

// Burst returns the bucket's capacity.
func (b *Bucket) Burst() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return int(b.burst)
}

// Tokens returns the tokens available now; negative while callers wait.
func (b *Bucket) Tokens() float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.advance(time.Now())
	return b.tokens
}

// SetRate changes the refill rate from now on; tokens already earned stay.
func (b *Bucket) SetRate(rate float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.advance(time.Now())
	if rate <= 0 {
		rate = math.Inf(1)
	}
	b.rate = rate
}
