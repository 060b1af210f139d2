package ratelimit

import (
	"sync"
	"time"

	"github.com/marketsync/marketsync/actors/platform/window"
)

// Adaptive moves a bucket's rate and burst with the platform's answers,
// so that a configured rate or burst above what the platform really
// allows converges on the real limit instead of hammering it.
//
// The platforms it serves answer a call over their limit with a ban of
// whole seconds ("this ban will last 1 seconds", a Retry-After of 1) even
// when their bucket refills in a fraction of that, or with no hint at all.
// Every rate-limited answer therefore costs a pause of about a second on
// top of the refused call, and a rate control that finds the limit by
// hitting it over and over — as TCP's and the AWS SDKs' CUBIC does, every
// few seconds at a few calls a second — loses a large share of the quota.
// This one finds the limit with few refusals and then stays under it:
//
//   - Until the first rate-limited answer the bucket runs at the
//     configured rate and burst: adaptation costs nothing on a platform
//     that never complains. The configured rate, held as any other (see
//     below), becomes good: a lone refusal after a long quiet run at it —
//     a call that reached the platform a hair early — costs a step of
//     twice Tolerance, not a cut by β.
//   - Burst. A refused call that went without waiting for tokens was sent
//     out of the bucket's stored burst (after an idle spell, at start):
//     the platform holds fewer calls at once than the bucket. Each such
//     refusal lowers the burst by the call's cost, down to one token, and
//     leaves the rate alone. After a pause the bucket holds a single
//     token whatever its burst (Bucket.PauseUntil), so the calls that
//     resume after a ban never burst.
//   - Rate, from above. A refused call that had to wait for its tokens
//     was paced by the rate, which is too high: the rate it went at
//     becomes the lowest known bad rate (hi), and the rate falls to the
//     highest known good one (lo), or to β·hi (β = 0.7) while none is
//     known. A refusal of a call sent before the last cut says nothing
//     about the new rate and is ignored (TCP reacts once per window for
//     the same reason): the calls in flight at the old rate cut the rate
//     once, not once each. Calls still waiting for tokens at a cut are
//     sent at the new rate (Bucket.SetRate moves them), so their
//     refusals count.
//   - Rate, from below. A rate held while callers queued for tokens
//     (demand above it) for long enough without a refusal is good: lo.
//     Long enough is HoldDrains times the time a platform bucket of the
//     bucket's burst would take to run dry at the difference between this
//     rate and lo (at least MinHold, at most MaxHold): a rate over the
//     real limit by a quarter of that difference or more is refused within
//     it. A rate over it by less may pass for good; it costs one refusal
//     when the platform's burst runs out (see below). A hold during which
//     the calls answered fell short of the rate (the platform's quota
//     feedback paused the bucket: Bucket.Observe) tried nothing and starts
//     again. The next rate tried is halfway between lo and hi — a
//     bisection, so the limit is found within 2 % in a handful of steps,
//     of which only those above the limit cost a refusal.
//   - Once hi is within Tolerance of lo the bucket stays at lo: nothing is
//     refused any more. After ProbeAfter at lo without a refusal hi is
//     raised by Tolerance·4 and the bisection resumes, so a limit the
//     platform raised is found again, at the cost of at most one refusal
//     a ProbeAfter when it did not.
//   - A good rate that is refused later was just over the limit (the
//     platform's burst hid it for the hold) or the platform lowered its
//     limit (another client on the same app key takes part of it): lo
//     drops by twice Tolerance; refused again before a hold proves the new
//     lo, it is forgotten and the rate falls by β.
//   - The rate never rises above the configured rate (the operator's
//     ceiling) and never falls below Floor; while demand is below the
//     bucket's rate the rate a refusal blames is the measured send rate
//     (tokens of answered calls over the last second), not the bucket's.
type Adaptive struct {
	mu      sync.Mutex
	bucket  *Bucket
	ceiling float64
	sent    *window.Counter

	enabled bool
	lo, hi  float64 // highest known good rate, lowest known bad one; 0 unknown
	// relapsed: the good rate was refused since it was last held.
	relapsed bool
	lastCut  time.Time // when the rate was last lowered
	since    time.Time // since when the current rate has been held with demand above it
	held     float64   // tokens of the calls answered since heldFrom
	heldFrom time.Time // since, or the end of the pause it began in
}

// Parameters of the control.
const (
	// Beta is the cut while no good rate is known.
	Beta = 0.7
	// Tolerance is how close the bounds get before the search stops.
	Tolerance = 0.02
	// MinHold is the least time a rate is held before it counts as good.
	MinHold = 2 * time.Second
	// HoldDrains is how many times a platform bucket of the bucket's
	// burst would run dry, at the step above lo, during a hold.
	HoldDrains = 4
	// MaxHold caps the hold however small the step.
	MaxHold = 30 * time.Second
	// ProbeAfter is how long the bucket stays at a found limit before it
	// looks above it again.
	ProbeAfter = 60 * time.Second
	// heldSlack is how far below the rate the calls answered during a
	// hold may fall (besides one call) for the rate to count as tried.
	heldSlack = 0.1
	// Floor is the lowest rate adaptation sets.
	Floor = 0.5
)

// NewAdaptive adapts b's rate and burst, never above ceiling (the
// configured rate) and b's configured burst.
func NewAdaptive(b *Bucket, ceiling float64) *Adaptive {
	a := &Adaptive{bucket: b, ceiling: ceiling, sent: window.New(time.Second, 10)}
	a.restartHold(time.Now())
	return a
}

// Answer is what the platform actor knows of one answered call.
type Answer struct {
	// Throttled: the platform said the call was over its rate limit.
	Throttled bool
	// Cost is the call's tokens.
	Cost float64
	// Reserved is when the call asked for its tokens, and Waited how long
	// it waited for them: zero when it went out of the stored burst.
	Reserved time.Time
	Waited   time.Duration
	// At is when the answer came.
	At time.Time
}

// Observe feeds one answer to the control.
func (a *Adaptive) Observe(ans Answer) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := ans.At
	a.sent.Add(now, ans.Cost)
	a.held += ans.Cost
	current := a.bucket.Rate()
	saturated := a.bucket.Tokens() < 1
	switch {
	case ans.Throttled && ans.Waited <= 0 && a.bucket.Burst() > 1:
		a.enabled = true
		a.bucket.SetBurst(float64(a.bucket.Burst()) - max(ans.Cost, 1))
	case ans.Throttled && a.enabled && ans.Reserved.Add(ans.Waited).Before(a.lastCut):
	case ans.Throttled:
		a.enabled = true
		at := current
		if m := a.sent.Rate(now); !saturated && m > 0 && m < current {
			at = m
		}
		a.hi = at
		if a.lo >= at*(1-Tolerance/2) {
			// The good rate was refused: just over the limit, which the
			// platform's burst hid for a while, or the limit fell.
			a.lo *= 1 - 2*Tolerance
			if a.relapsed {
				a.lo = 0
			}
			a.relapsed = true
		}
		next := at * Beta
		if a.lo > 0 {
			next = a.lo
		}
		a.lastCut = now
		a.restartHold(now)
		a.set(next)
	case !saturated:
		a.restartHold(now)
	case now.Sub(a.since) >= a.hold(current):
		if a.held < current*now.Sub(a.heldFrom).Seconds()*(1-heldSlack)-1 {
			// Something else held the calls back — the platform's
			// quota feedback pauses the bucket — so the rate itself was
			// not tried.
			a.restartHold(now)
			return
		}
		a.lo, a.relapsed = max(a.lo, current), false
		if !a.enabled {
			a.restartHold(now)
			return
		}
		if a.hi-a.lo <= Tolerance*a.lo {
			if now.Sub(a.lastCut) < ProbeAfter || a.lo >= a.ceiling {
				a.set(a.lo)
				return
			}
			a.hi = a.lo * (1 + 4*Tolerance)
		}
		a.restartHold(now)
		a.set((a.lo + a.hi) / 2)
	}
}

// restartHold starts holding the current rate afresh at now; the calls
// are counted from the end of the bucket's pause, if it is paused.
func (a *Adaptive) restartHold(now time.Time) {
	a.since, a.heldFrom, a.held = now, now, 0
	if p := a.bucket.PausedUntil(); p.After(now) {
		a.heldFrom = p
	}
}

// hold is how long rate must go unrefused to count as good.
func (a *Adaptive) hold(rate float64) time.Duration {
	if rate <= a.lo {
		return MinHold
	}
	step := rate - a.lo
	if a.lo == 0 {
		step = rate * (1 - Beta)
	}
	d := time.Duration(HoldDrains * float64(a.bucket.Burst()) / step * float64(time.Second))
	return min(max(d, MinHold), MaxHold)
}

func (a *Adaptive) set(rate float64) {
	if rate = max(min(rate, a.ceiling), Floor); rate != a.bucket.Rate() {
		a.bucket.SetRate(rate)
	}
}

// Enabled reports whether a rate-limited answer has engaged adaptation.
func (a *Adaptive) Enabled() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.enabled
}

// Bounds returns the highest rate found good and the lowest found too
// high; zero where none is known yet.
func (a *Adaptive) Bounds() (lo, hi float64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.lo, a.hi
}
