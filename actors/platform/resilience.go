package platform

// What the actor learns from answers and how it reacts: the limiter's
// corrections, the circuit breaker, retries within the budget.

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/marketsync/marketsync/actors/platform/ratelimit"
	"github.com/marketsync/marketsync/sdk/model"
	"github.com/sony/gobreaker/v2"
)

// learn corrects the limiter from an answer the platform gave: its quota
// feedback, its bans, and — for the adaptive rate — whether it said the
// call was over its limit. It also counts calls in a row that timed out.
func (a *platformActor) learn(p *pending, m *attemptDone, e *model.Error) {
	now := time.Now()
	if e != nil && e.Code == codeTimeout {
		a.timeouts++
	} else {
		a.timeouts = 0
	}
	throttled := e != nil && e.Kind == model.KindRateLimited
	q := m.result.quota()
	if q.GetCost() > 0 && !a.costBased {
		a.limitByCost()
	}
	if a.costBased {
		a.learnCost(p, m, q, e, throttled)
		return
	}
	switch {
	case throttled && e.Wait() > 0:
		a.bucket.PauseUntil(now.Add(e.Wait()))
	case throttled:
		// No hint of when: the platform has nothing left now, so nothing
		// goes out of the stored burst; the waiting callers, and this
		// call's retry, follow at the rate.
		a.bucket.Observe(0, time.Time{})
	}
	if q != nil && q.GetLimit() > 0 {
		var reset time.Time
		if q.GetReset_() != nil {
			reset = q.GetReset_().AsTime()
		}
		a.bucket.Observe(float64(q.GetRemaining()), reset)
	}
	if a.adaptive != nil && p.cost > 0 {
		a.adaptive.Observe(ratelimit.Answer{Throttled: throttled, Cost: p.cost, Reserved: m.reserved, Waited: m.waited, At: now})
	}
}

// limitByCost switches the limiter to a platform that limits by cost:
// its answers say what each call cost and what its bucket holds, so the
// bucket follows them (learnCost) instead of adapting its rate to
// refusals. The rate and burst go back to what the config or plugin set,
// should a refusal before the first such answer have moved them.
func (a *platformActor) limitByCost() {
	a.costBased, a.synced = true, time.Now()
	if a.adaptive != nil {
		a.adaptive = nil
		a.bucket.SetRate(a.ceiling)
		a.bucket.SetBurst(math.Inf(1))
	}
	a.log.Info("platform limits by cost: the limiter follows the costs and the bucket it reports")
}

// learnCost corrects the bucket of a platform that limits by cost, as
// Shopify's leaky bucket of query points does. A call took its declared
// cost (what must be in the platform's bucket for it to run, the
// requested cost of its largest request) before it went; the platform
// then charged what it really cost and reported its bucket. So:
//
//   - the difference between the tokens taken and the cost reported goes
//     back to the bucket (more is taken when the call cost more, as a
//     call of several requests can);
//   - the free tokens are brought within what the platform reported
//     (Bucket.Track), which corrects any drift in either direction;
//   - a refused call (THROTTLED) ran nothing, so all its tokens go back,
//     and the platform's wait, computed from the cost it asked and the
//     restore rate, says how far the bucket is from holding it: the free
//     tokens are at most cost - wait·rate, so the retry, waiting for its
//     tokens in the same queue, goes when the platform will take it.
//
// The rate is not bisected as it is for platforms that count calls: the
// platform says what it holds, so the count follows that, and the rate
// moves by what the evidence says — a report outside the range, or a
// refusal — between ratelimit.Floor and the configured rate.
func (a *platformActor) learnCost(p *pending, m *attemptDone, q *model.Quota, e *model.Error, throttled bool) {
	now := time.Now()
	since := now.Sub(a.synced).Seconds()
	var moved float64
	switch {
	case throttled:
		a.bucket.Give(p.cost)
		w := e.Wait().Seconds()
		if w <= 0 {
			break
		}
		if since >= w {
			// The bucket held the call's cost and the platform lacked w
			// seconds of its restore rate: since the two last agreed,
			// the bucket gained rate·since and the platform r·since =
			// rate·since − r·w, so r = rate·since / (since + w). A
			// refusal soon after the last agreement says more of the
			// count then than of the rate (the platform's wait does not
			// know of other clients), and only sets the count.
			a.rateTo(a.bucket.Rate() * since / (since + w))
		}
		moved = a.bucket.Observe(max(p.cost-w*a.bucket.Rate(), 0), time.Time{})
	case q != nil && q.GetCost() > 0:
		a.bucket.Give(p.cost - q.GetCost())
		a.spent.Store(math.Float64bits(math.Float64frombits(a.spent.Load()) + q.GetCost()))
	}
	if q != nil && q.GetLimit() > 0 {
		// The calls answered while this one was out may have been
		// charged after it, so its report may not count them yet, while
		// the bucket does: they widen the range as the calls still out
		// do.
		answered := math.Float64frombits(a.spent.Load()) - q.GetCost() - m.spent
		d := a.bucket.Track(float64(q.GetRemaining()), a.outstanding+answered)
		if (d <= -1 || d >= 1) && since > 0 {
			// The platform had d more or less than the bucket since the
			// two last agreed: it refills faster or slower.
			a.rateTo(a.bucket.Rate() + d/since)
		}
		moved += d
	}
	if moved != 0 {
		a.synced = now
	}
}

// rateTo sets the rate of a cost-based platform's bucket to what the
// platform was seen to restore, never above the configured rate (the
// operator's, or the plugin's) nor below ratelimit.Floor. Lowered, it
// follows an operator's rate above the plan's; raised, it comes back
// after refusals that were not the rate's doing (another app spending
// the same bucket, a call that cost more than declared). A rate a little
// under the platform's loses nothing: the reports raise the bucket's
// count (Track).
func (a *platformActor) rateTo(rate float64) {
	if rate = min(max(rate, ratelimit.Floor), a.ceiling); rate != a.bucket.Rate() {
		a.bucket.SetRate(rate)
	}
}

// breakerVerdict is what the circuit breaker hears of an attempt: only
// UNAVAILABLE (timeouts included) counts against the platform's health.
// Rate limiting is the limiter's business, and the caller's own deadline
// says nothing about the platform.
func breakerVerdict(e *model.Error) error {
	switch {
	case e == nil:
		return nil
	case e.Code == codeDeadline:
		return errExcluded
	case e.Kind == model.KindRateLimited:
		return errExcluded
	case e.Kind == model.KindUnavailable:
		return e
	}
	return nil // the platform answered; the request was wrong
}

var errExcluded = errors.New("not a verdict on the platform's health")

func (a *platformActor) newBreaker() *gobreaker.TwoStepCircuitBreaker[struct{}] {
	o := a.opts.Breaker
	return gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
		Name:         a.opts.Name,
		MaxRequests:  uint32(o.Probes),
		Interval:     o.Window,
		BucketPeriod: max(o.Window/30, time.Second),
		Timeout:      o.Cooldown,
		ReadyToTrip: func(c gobreaker.Counts) bool {
			return c.Requests >= uint32(o.MinCalls) && float64(c.TotalFailures) >= o.FailureRatio*float64(c.Requests)
		},
		IsExcluded: func(err error) bool { return errors.Is(err, errExcluded) },
		OnStateChange: func(_ string, from, to gobreaker.State) {
			if to == gobreaker.StateOpen {
				a.openUntil = time.Now().Add(o.Cooldown)
			}
			a.log.Warn("circuit breaker", "from", from.String(), "to", to.String())
			a.opts.Observer.BreakerChanged(a.opts.Name, to.String())
		},
	})
}

// circuitOpen is the error of a call refused by an open breaker: retry
// after the cooldown, when probes go through again.
func (a *platformActor) circuitOpen() *model.Error {
	wait := max(time.Until(a.openUntil), time.Second)
	return model.RateLimited(wait, CodeCircuitOpen,
		fmt.Sprintf("platform %s is failing; calls are refused until %s (last error: %s)", a.opts.Name, a.openUntil.Format(time.TimeOnly), a.lastErr))
}

// retryOrFail schedules another attempt when the error is retryable,
// attempts remain, the retry budget allows and the wait fits before the
// caller's deadline; otherwise it answers the caller with the error. The
// attempt's record goes to the observer first, so that whoever gets the
// answer also sees it counted.
func (a *platformActor) retryOrFail(ctx actor.Context, p *pending, e *model.Error, rec CallRecord) {
	delay := a.opts.Retry.Backoff.Delay(p.attempts, e.Wait(), a.opts.Rand)
	retry := e.Kind.Retryable() && p.attempts < a.opts.Retry.MaxAttempts && a.state != State_STATE_STOPPING &&
		e.Code != codeDeadline && time.Now().Add(delay).Before(p.deadline)
	// A rate-limited retry waits for the time the platform named and is
	// paced by the limiter: it cannot storm, so it does not spend the
	// budget, which is kept for failures the platform did not pace.
	if retry && e.Kind != model.KindRateLimited && !a.budget.TryWithdraw() {
		retry, rec.BudgetExhausted = false, true
	}
	a.opts.Observer.CallFinished(rec)
	if !retry {
		a.reply(ctx, p, &CallResult{Attempts: int32(p.attempts), Error: e, BudgetExhausted: rec.BudgetExhausted})
		return
	}
	a.retrying[p] = struct{}{}
	p.retry = time.AfterFunc(delay, func() { a.send(&retryDue{p: p}) })
}
