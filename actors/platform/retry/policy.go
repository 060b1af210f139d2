// Package backoff computes retry delays: capped exponential backoff with
// full jitter, as in AWS's "Exponential Backoff and Jitter"
// (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/),
// where full jitter spreads a crowd of retrying callers over the whole
// window and so keeps them from hammering a recovering platform in step.
package retry

import "time"

// Policy is a capped exponential backoff.
type Policy struct {
	// Base is the window of the first retry; it doubles per attempt.
	Base time.Duration
	// Max caps the window.
	Max time.Duration
}

// Window returns the upper bound of the delay before retry number attempt
// (1 for the first retry): min(Max, Base·2^(attempt-1)).
func (p Policy) Window(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	w := p.Base
	for i := 1; i < attempt && w < p.Max; i++ {
		w *= 2
	}
	return min(w, p.Max)
}

// FullJitter returns a delay drawn uniformly from [0, Window(attempt)),
// with rnd returning a float in [0, 1).
func (p Policy) FullJitter(attempt int, rnd func() float64) time.Duration {
	return time.Duration(rnd() * float64(p.Window(attempt)))
}

// Delay is the wait before retry number attempt after a failure that asked
// for retryAfter (zero when the platform did not say): the jittered
// backoff, but never less than what the platform asked for, because
// retrying before a ban ends only extends it.
func (p Policy) Delay(attempt int, retryAfter time.Duration, rnd func() float64) time.Duration {
	return max(p.FullJitter(attempt, rnd), retryAfter)
}
