package ratelimit

import (
	"math"
	"sync"
	"time"

	"github.com/marketsync/marketsync/actors/platform/window"
)

// Adaptive moves a bucket's rate with the platform's answers, so that a
// configured rate above what the platform really allows converges on the
// real limit instead of hammering it.
//
// It is the CUBIC rate control of the AWS SDKs' "adaptive" retry mode
// (botocore/retries/throttling.py CubicCalculator, driven by
// botocore/retries/adaptive.py ClientRateLimiter), itself TCP CUBIC
// (RFC 9438) applied to a send rate:
//
//   - Until the first rate-limited answer the bucket runs at the configured
//     rate: adaptation costs nothing on a platform that never complains.
//   - On a rate-limited answer, Wmax becomes the rate we were sending at
//     and the new rate is β·Wmax (multiplicative decrease, β = 0.7).
//   - On every other answer the rate follows C·(t − K)³ + Wmax, t the time
//     since the last rate-limited answer and K = ∛(Wmax·(1−β)/C) the time
//     at which it is back at Wmax (C = 0.4). It climbs fast at first,
//     flattens near Wmax — where the limit was last found — and only then
//     probes above it, so most of the time is spent just under the limit.
//   - The rate never rises above twice the measured send rate (no credit
//     for demand that is not there), never above the configured rate (the
//     operator's ceiling), never below Floor.
//
// Where this departs from botocore, whose clients rarely have many calls
// in flight:
//
//   - A rate-limited answer to a call whose token was reserved before the
//     last cut says nothing about the new rate and is ignored (TCP reacts
//     once per window for the same reason): the answers to calls already
//     in flight or already holding a reservation at the old rate cut the
//     rate once, not once each, which would collapse it.
//   - While callers queue for the bucket's tokens (demand above its rate),
//     the bucket's rate is the send rate: it is Wmax, and growth is not
//     held to twice the measured rate. The measured rate is used only when
//     demand is below the bucket's rate. botocore always takes the
//     measured rate, an average over half-second buckets that lags and
//     swings with bursts; taken as Wmax it cuts the rate far below the
//     real limit.
//
// The measured send rate counts the tokens of answered calls over the
// last second.
type Adaptive struct {
	mu      sync.Mutex
	bucket  *Bucket
	ceiling float64
	sent    *window.Counter

	enabled  bool
	wMax     float64
	k        float64
	lastFail time.Time
}

// Parameters of the cubic.
const (
	Beta         = 0.7
	Scale        = 0.4
	Floor        = 0.5
	maxAboveSent = 2.0
)

// NewAdaptive adapts b's rate, never above ceiling (the configured rate).
func NewAdaptive(b *Bucket, ceiling float64) *Adaptive {
	return &Adaptive{bucket: b, ceiling: ceiling, sent: window.New(time.Second, 10)}
}

// Observe feeds one answer to a call of the given cost whose token was
// reserved at reserved: throttled when the platform said the call was over
// its rate limit.
func (a *Adaptive) Observe(throttled bool, cost float64, reserved, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.sent.Add(now, cost)
	measured := a.sent.Rate(now)
	current := a.bucket.Rate()
	saturated := a.bucket.Tokens() < 1
	var rate float64
	switch {
	case throttled && a.enabled && reserved.Before(a.lastFail):
		return
	case throttled:
		achieved := current
		if !saturated && measured > 0 && measured < current {
			achieved = measured
		}
		a.enabled = true
		a.wMax = achieved
		a.k = math.Cbrt(a.wMax * (1 - Beta) / Scale)
		a.lastFail = now
		rate = achieved * Beta
	case !a.enabled:
		return
	default:
		t := now.Sub(a.lastFail).Seconds()
		rate = Scale*math.Pow(t-a.k, 3) + a.wMax
		if rate > current && !saturated {
			rate = min(rate, max(current, maxAboveSent*measured))
		}
	}
	a.bucket.SetRate(max(min(rate, a.ceiling), Floor))
}

// Enabled reports whether a rate-limited answer has engaged adaptation.
func (a *Adaptive) Enabled() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.enabled
}
