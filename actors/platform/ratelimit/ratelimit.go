package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
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
	burst  float64 // capacity now: the configured one, or less once learned
	limit  float64 // the configured capacity: no cost above it is served
	tokens float64 // may go negative: tokens reserved by waiting callers
	last   time.Time
	// pausedUntil holds every call back until a platform's ban ends, even
	// calls whose reservation fell due before the ban was known.
	pausedUntil time.Time
	// queue holds the callers waiting for their tokens, in the order they
	// asked; each knows when it is due, and schedule moves them all when
	// a pause, a rate or a correction changes the bucket.
	queue []*reservation
	// changed is closed, and replaced, whenever schedule moved the queue.
	changed chan struct{}
}

// reservation is one waiting caller.
type reservation struct {
	cost float64
	due  time.Time
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
	return &Bucket{rate: rate, burst: float64(burst), limit: float64(burst), tokens: float64(burst), last: time.Now(), changed: make(chan struct{})}
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

// queued is the cost of the reservations still waiting; callers hold mu.
func (b *Bucket) queued() (sum float64) {
	for _, r := range b.queue {
		sum += r.cost
	}
	return sum
}

// capFree lowers the tokens that are free — not reserved by a waiting
// caller — to at most n; callers hold mu and have advanced the bucket.
func (b *Bucket) capFree(n float64) {
	q := b.queued()
	b.tokens = min(b.tokens+q, n) - q
}

// schedule works out again when each waiting caller is due, from the
// bucket as it is now: the pause, the rate, the tokens. The queue is
// served in order, the first as soon as the pause ends and its tokens are
// there, each next one when the rate has earned its cost. Callers hold mu
// and have advanced the bucket to now.
func (b *Bucket) schedule(now time.Time) {
	if len(b.queue) == 0 {
		return
	}
	start := now
	if b.pausedUntil.After(start) {
		start = b.pausedUntil
	}
	level := b.tokens + b.queued()
	for _, r := range b.queue {
		level -= r.cost
		r.due = start.Add(b.debt(level))
	}
	close(b.changed)
	b.changed = make(chan struct{})
}

// debt is how long the rate takes to bring level back to zero.
func (b *Bucket) debt(level float64) time.Duration {
	if level >= 0 {
		return 0
	}
	return time.Duration(math.Ceil(-level / b.rate * float64(time.Second)))
}

// remove takes r out of the queue; callers hold mu.
func (b *Bucket) remove(r *reservation) {
	if i := slices.Index(b.queue, r); i >= 0 {
		b.queue = slices.Delete(b.queue, i, i+1)
	}
}

// Allow takes cost tokens if they are there now, without waiting.
func (b *Bucket) Allow(cost float64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if math.IsInf(b.rate, 1) {
		return true
	}
	now := time.Now()
	b.advance(now)
	if b.tokens < cost || now.Before(b.pausedUntil) {
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
// is closed (nil: never); a zero deadline is none. While it sleeps, a
// pause or a change of rate moves its turn (schedule), so it wakes when
// the bucket as it is then says, not when it was first told.
func (b *Bucket) wait(deadline time.Time, done <-chan struct{}, cost float64) (time.Duration, error) {
	if cost <= 0 {
		cost = 1
	}
	b.mu.Lock()
	if math.IsInf(b.rate, 1) {
		b.mu.Unlock()
		return 0, closed(done)
	}
	if cost > b.limit {
		b.mu.Unlock()
		return 0, fmt.Errorf("cost %g exceeds the bucket's burst %g", cost, b.limit)
	}
	now := time.Now()
	b.advance(now)
	b.tokens -= cost
	r := &reservation{cost: cost, due: now.Add(b.debt(b.tokens))}
	if b.pausedUntil.After(now) {
		r.due = b.pausedUntil.Add(b.debt(b.tokens))
	}
	if !deadline.IsZero() && r.due.After(deadline) {
		b.tokens += cost
		b.mu.Unlock()
		return 0, ErrWouldExceedDeadline
	}
	if !r.due.After(now) {
		b.mu.Unlock()
		return 0, closed(done)
	}
	b.queue = append(b.queue, r)
	start := now
	for {
		changed := b.changed
		wait := r.due.Sub(now)
		b.mu.Unlock()
		t := time.NewTimer(wait)
		var err error
		select {
		case <-t.C:
		case <-changed:
		case <-done:
			err = errDone
		}
		t.Stop()
		b.mu.Lock()
		now = time.Now()
		if err == nil && !deadline.IsZero() && r.due.After(deadline) {
			err = ErrWouldExceedDeadline
		}
		if err != nil {
			b.advance(now)
			b.remove(r)
			b.tokens += cost
			b.schedule(now)
			b.mu.Unlock()
			return now.Sub(start), err
		}
		if !r.due.After(now) {
			b.remove(r)
			b.mu.Unlock()
			return now.Sub(start), closed(done)
		}
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
// its quota refills then. One token is there at t, and none accrues
// during the pause, so that after t one call goes at once and the rest —
// callers that were already waiting included — follow at the sustained
// rate rather than in a burst. The pause is a time, not a debt of tokens,
// so it lasts as long whatever the rate becomes meanwhile.
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
	q := b.queued()
	b.tokens = 1 - q
	b.schedule(now)
}

// Observe corrects the bucket with what the platform said is left of its
// quota. It only ever lowers the local count of free tokens (those no
// waiting caller holds): the platform may be counting calls this agent
// did not make (another client on the same app key), and trusting a
// higher count than ours would let bursts through. With nothing left and
// a reset time ahead, calls pause until the reset. It returns how far it
// lowered the free tokens (zero or less; zero for a pause).
func (b *Bucket) Observe(remaining float64, reset time.Time) float64 {
	if remaining <= 0 && !reset.IsZero() {
		b.PauseUntil(reset)
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if math.IsInf(b.rate, 1) {
		return 0
	}
	now := time.Now()
	b.advance(now)
	free := b.tokens + b.queued()
	if remaining >= free {
		return 0
	}
	b.capFree(max(remaining, 0))
	b.schedule(now)
	return b.tokens + b.queued() - free
}

// PausedUntil returns the end of the last pause; it may be past.
func (b *Bucket) PausedUntil() time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.pausedUntil
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

// SetRate changes the refill rate from now on; tokens already earned stay,
// and the callers waiting are served at the new rate.
func (b *Bucket) SetRate(rate float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	b.advance(now)
	if rate <= 0 {
		rate = math.Inf(1)
	}
	b.rate = rate
	b.schedule(now)
}

// SetBurst changes the capacity, never above the configured one nor below
// one token; free tokens above the new capacity are dropped.
func (b *Bucket) SetBurst(burst float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.advance(time.Now())
	b.burst = min(max(burst, 1), b.limit)
	b.capFree(b.burst)
}

// Give hands n tokens back to the bucket, up to its capacity, or takes
// -n more when n is negative. A platform that limits by cost (Shopify's
// query points) holds a call's requested cost while it runs and gives
// back what the call did not use; the bucket does the same with the
// difference between the tokens a call reserved and what the platform
// says it cost. The callers waiting are moved to the new level.
func (b *Bucket) Give(n float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if math.IsInf(b.rate, 1) || n == 0 {
		return
	}
	now := time.Now()
	b.advance(now)
	q := b.queued()
	b.tokens = min(b.tokens+q+n, b.burst) - q
	b.schedule(now)
}

// Track moves the free tokens toward the level a cost-based platform
// reported, available, when an answer came, and returns how far it moved
// them (negative: down). uncounted bounds what the bucket has taken and
// the report may not count yet: the tokens of the calls not answered
// (those still waiting in the bucket included, which the bucket leaves
// out itself) and what calls answered meanwhile cost. So the free tokens
// must lie between available less that and available; within that range
// the bucket keeps its own count (it knows what the platform cannot have
// seen yet), outside it the nearer bound is taken. Unlike Observe it
// raises the count too, so a platform that refills faster than the
// bucket's rate, or rounds in the caller's favour, is followed rather than
// under-used.
func (b *Bucket) Track(available, uncounted float64) float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	if math.IsInf(b.rate, 1) {
		return 0
	}
	now := time.Now()
	b.advance(now)
	q := b.queued()
	free := b.tokens + q
	hi := min(available, b.burst)
	lo := min(available-max(uncounted-q, 0), hi)
	target := min(max(free, lo), hi)
	if target == free {
		return 0
	}
	b.tokens = target - q
	b.schedule(now)
	return target - free
}
