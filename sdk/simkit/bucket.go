package simkit

import (
	"sync"
	"time"
)

// Bucket is a platform's call-rate limit as a token bucket: Burst calls
// at once, refilled at Rate calls a second. It is kept as a generic cell
// rate algorithm, one timestamp (the theoretical arrival time of the next
// call) in integer durations, so waits are exact under a FakeClock: a test
// that advances the clock by the wait it was told gets its call through.
//
// A rate of 0 or less never refuses. A burst of 0 with a positive rate
// refuses every call, each told to wait 1/rate. Its methods are safe for
// concurrent use; a nil *Bucket never refuses.
type Bucket struct {
	mu        sync.Mutex
	rate      float64
	burst     int
	interval  time.Duration // 1/rate
	tolerance time.Duration // how early a call may come: (burst-1) intervals
	tat       time.Time
	counts    Counts
}

// Counts is what a bucket did with the calls that reached it: Taken went
// through, Refused were over the limit. They are the platform's side of a
// quota: a benchmark of a client's limiter reads its utilisation and its
// refusals here, not from the client.
type Counts struct {
	Taken, Refused int64
}

// NewBucket returns a full bucket of burst tokens refilled at rate a
// second.
func NewBucket(rate float64, burst int) *Bucket {
	b := &Bucket{}
	b.set(rate, burst)
	return b
}

func (b *Bucket) set(rate float64, burst int) {
	b.rate, b.burst, b.tat = rate, max(burst, 0), time.Time{}
	b.interval, b.tolerance = 0, 0
	if rate > 0 {
		b.interval = time.Duration(float64(time.Second) / rate)
		b.tolerance = time.Duration(b.burst-1) * b.interval
	}
}

// Set changes the limit and refills the bucket, as a platform does when an
// app's quota is changed.
func (b *Bucket) Set(rate float64, burst int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.set(rate, burst)
}

// Limited reports whether the bucket refuses calls at all (rate > 0).
func (b *Bucket) Limited() bool {
	if b == nil {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.rate > 0
}

// Rate is the refill rate in calls a second; 0 for no limit.
func (b *Bucket) Rate() float64 {
	if b == nil {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return max(b.rate, 0)
}

// Take spends a token at now, or refuses the call and says how long until
// a token is there.
func (b *Bucket) Take(now time.Time) (wait time.Duration, ok bool) {
	if b == nil {
		return 0, true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.rate <= 0 {
		return 0, true
	}
	tat := b.tat
	if tat.Before(now) {
		tat = now
	}
	if early := tat.Sub(now); early > b.tolerance {
		b.counts.Refused++
		return early - b.tolerance, false
	}
	b.tat = tat.Add(b.interval)
	b.counts.Taken++
	return 0, true
}

// Counts returns the calls taken and refused since the bucket was made;
// calls made while it had no limit are not counted. Set keeps the counts.
func (b *Bucket) Counts() Counts {
	if b == nil {
		return Counts{}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.counts
}

// Quota is the bucket as a platform's quota headers report it: calls
// Remaining of Limit, and Reset, when Remaining is 0, the time the next
// call will be accepted (zero otherwise).
type Quota struct {
	Remaining, Limit int64
	Reset            time.Time
}

// Quota reports the bucket at now. A bucket that never refuses reports
// the zero Quota.
func (b *Bucket) Quota(now time.Time) Quota {
	if b == nil {
		return Quota{}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.rate <= 0 {
		return Quota{}
	}
	q := Quota{Remaining: int64(b.burst), Limit: int64(b.burst)}
	if ahead := b.tat.Sub(now); ahead > 0 {
		used := int64((ahead + b.interval - 1) / b.interval)
		q.Remaining = max(int64(b.burst)-used, 0)
	}
	if q.Remaining < 1 {
		q.Reset = now
		if ahead := b.tat.Sub(now) - b.tolerance; ahead > 0 {
			q.Reset = now.Add(ahead)
		}
	}
	return q
}
