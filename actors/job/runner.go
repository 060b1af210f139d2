package job

import (
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/marketsync/marketsync/actors/platform"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/model"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func ts(t time.Time) *timestamppb.Timestamp { return timestamppb.New(t) }

// runner is the actor of one job. It keeps the job's unfinished items in a
// queue, sends them to the platform actor in batches no larger than the
// plugin takes, and checkpoints every answered batch through the store
// before counting it.
type runner struct {
	opts     *Options
	job      *Job
	platform Platform
	queue    []*Item
	inFlight int
	draining bool
	drainTo  *actor.PID
	// cancelTo is set once the job is being cancelled: who to tell when
	// the batches in flight are in.
	cancelTo *actor.PID
	cancel   bool
	// pausedUntil holds new batches back while the platform refuses calls.
	pausedUntil time.Time
	// failedCalls counts batches in a row that failed as a whole; each
	// makes the job wait longer before the next, so a platform that the
	// actor gave up on gets time (and the retry budget refills) before
	// items spend their last attempts.
	failedCalls int
}

// resume wakes a paused job.
type resume struct{}

func (r *runner) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		r.start(ctx)
	case *Wake:
		if m.Platform != r.job.GetPlatform() || r.pausedUntil.IsZero() {
			return
		}
		r.pausedUntil = time.Time{}
		ctx.Send(ctx.Self(), &resume{})
	case *resume:
		if time.Now().Before(r.pausedUntil) {
			return // a later pause superseded this wake-up
		}
		r.job.PausedUntil, r.job.PausedReason = nil, ""
		r.dispatch(ctx)
		r.maybeFinish(ctx)
		r.maybeStop(ctx)
	case *Drain:
		r.draining = true
		r.drainTo = ctx.Sender()
		r.maybeStop(ctx)
	case *Cancel:
		r.draining, r.cancel, r.cancelTo = true, true, ctx.Sender()
		r.maybeStop(ctx)
	}
}

func (r *runner) setState(s State) {
	from := r.job.GetState()
	r.job.State = s
	r.job.UpdatedAt = ts(time.Now())
	if from != s {
		r.opts.Observer.JobChanged(from, s, false)
	}
}

func (r *runner) start(ctx actor.Context) {
	log := r.opts.Logger.With("job", r.job.GetId())
	p, ok := r.opts.Platforms(r.job.GetPlatform())
	if !ok {
		r.fail(ctx, fmt.Sprintf("platform %q is no longer configured", r.job.GetPlatform()))
		return
	}
	r.platform = p
	items, err := r.opts.Store.Pending(r.job.GetId())
	if err != nil {
		log.Error("cannot load pending items", "error", err)
		r.fail(ctx, fmt.Sprintf("cannot load pending items: %v", err))
		return
	}
	r.queue = items
	if r.job.GetState() == State_STATE_QUEUED {
		r.job.StartedAt = ts(time.Now())
		r.setState(State_STATE_RUNNING)
		if err := r.opts.Store.Save(r.job); err != nil {
			log.Error("cannot save job", "error", err)
		}
	}
	r.dispatch(ctx)
	r.maybeFinish(ctx)
}

func (r *runner) window() int { return max(1, 2*r.platform.Concurrency) }

func (r *runner) dispatch(ctx actor.Context) {
	size := r.platform.Limits.MaxBatch(sdk.OpFetchProducts, 50)
	if time.Now().Before(r.pausedUntil) {
		return
	}
	for !r.draining && r.inFlight < r.window() && len(r.queue) > 0 {
		n := min(size, len(r.queue))
		batch := r.queue[:n:n]
		r.queue = r.queue[n:]
		ids := make([]string, n)
		for i, it := range batch {
			ids[i] = it.GetId()
		}
		call := platform.NewCall(&model.FetchProductsRequest{Ids: ids})
		call.Priority = platform.Priority_PRIORITY_BULK
		call.Deadline = ts(time.Now().Add(r.opts.CallTimeout))
		r.inFlight++
		f := ctx.RequestFuture(r.platform.PID, call, r.opts.CallTimeout+time.Minute)
		ctx.ReenterAfter(f, func(res any, err error) { r.batchDone(ctx, batch, res, err) })
	}
}

// batchDone settles every item of an answered batch: done with its
// product, failed for good, or back in the queue when the failure was
// transient and the item has attempts left.
func (r *runner) batchDone(ctx actor.Context, batch []*Item, res any, ferr error) {
	r.inFlight--
	var callErr *model.Error
	var results []*model.ProductResult
	budgetSpent := false
	switch m := res.(type) {
	case *platform.CallResult:
		r.job.Calls += m.GetAttempts()
		budgetSpent = m.GetBudgetExhausted()
		if e := m.Err(); e != nil {
			callErr = e
		} else {
			results = m.GetFetchProducts().GetResults()
		}
	default:
		callErr = model.Unavailable(model.CodePlatformTimeout, fmt.Sprintf("no answer from platform %s: %v", r.job.GetPlatform(), ferr))
	}
	if callErr == nil && len(results) != len(batch) {
		callErr = model.Unavailable(model.CodeResultCount, fmt.Sprintf("%d results for %d ids", len(results), len(batch)))
	}
	if callErr != nil && (refusesForNow(callErr) || budgetSpent) {
		// Not the items' fault: the platform refuses calls for now, or
		// it is being retried too much already. Wait, then send them
		// again with their attempts untouched.
		r.failedCalls++
		wait := max(callErr.Wait(), backoffAfter(r.failedCalls))
		r.queue = append(batch, r.queue...)
		r.hold(ctx, wait, callErr)
		r.maybeStop(ctx)
		return
	}
	if callErr != nil && callErr.Kind.Retryable() {
		r.failedCalls++
		r.hold(ctx, backoffAfter(r.failedCalls), callErr)
	} else if callErr == nil {
		r.failedCalls = 0
	}
	now := ts(time.Now())
	var products []*model.Product
	var succeeded, failed int32
	for i, it := range batch {
		it.Attempts++
		it.UpdatedAt = now
		e := callErr
		if e == nil {
			if p := results[i].GetProduct(); p != nil {
				it.State, it.Error = ItemState_ITEM_SUCCEEDED, nil
				products = append(products, p)
				succeeded++
				continue
			}
			e = results[i].GetError()
		}
		it.Error = e
		if e.Kind.Retryable() && int(it.GetAttempts()) < r.opts.MaxItemAttempts {
			r.queue = append(r.queue, it)
			continue
		}
		it.State = ItemState_ITEM_FAILED
		failed++
	}
	r.job.Succeeded += succeeded
	r.job.Failed += failed
	r.job.UpdatedAt = now
	if err := r.opts.Store.Commit(r.job, batch, products); err != nil {
		// The checkpoint did not happen: the items are still pending in
		// the store and will be fetched again when the job resumes.
		r.job.Succeeded -= succeeded
		r.job.Failed -= failed
		r.opts.Logger.Error("cannot checkpoint batch; stopping the job until the agent restarts", "job", r.job.GetId(), "error", err)
		r.draining = true
	}
	r.dispatch(ctx)
	r.maybeFinish(ctx)
	r.maybeStop(ctx)
}

// backoffAfter is how long a job waits after n batches in a row failed as
// a whole: half a second, doubling, at most half a minute.
func backoffAfter(n int) time.Duration {
	return min(500*time.Millisecond<<min(n-1, 6), 30*time.Second)
}

// refusesForNow says whether a failed call means "not now" rather than
// "this failed": the platform actor's breaker is open, the platform
// rate-limited the call past all its retries, rejected the credentials
// (AUTH), or is failed. Items are not to blame.
func refusesForNow(e *model.Error) bool {
	return e.Code == platform.CodeCircuitOpen || e.Kind == model.KindRateLimited ||
		e.Kind == model.KindAuth || e.Code == platform.CodePlatformFailed
}

// pauseReason is what a paused job shows: the platform actor's own
// refusals are written for people and go as they are.
func pauseReason(e *model.Error) string {
	if e.Kind == model.KindAuth || e.Code == platform.CodePlatformFailed {
		return e.GetMessage()
	}
	return e.Error()
}

// hold keeps new batches back for wait, for the reason e; the job resumes
// on its own. A refused batch goes back to the front of the queue first,
// its items' attempts untouched.
func (r *runner) hold(ctx actor.Context, wait time.Duration, e *model.Error) {
	until := time.Now().Add(wait)
	if until.After(r.pausedUntil) {
		r.pausedUntil = until
		r.job.PausedUntil, r.job.PausedReason = ts(until), pauseReason(e)
		r.job.UpdatedAt = ts(time.Now())
		if err := r.opts.Store.Save(r.job); err != nil {
			r.opts.Logger.Error("cannot save paused job", "job", r.job.GetId(), "error", err)
		}
		r.opts.Logger.Warn("job paused: the platform refuses calls for now", "job", r.job.GetId(), "until", until, "reason", r.job.PausedReason)
		root, self := ctx.ActorSystem().Root, ctx.Self()
		time.AfterFunc(wait, func() { root.Send(self, &resume{}) })
	}
}

func (r *runner) maybeFinish(ctx actor.Context) {
	if r.draining || r.inFlight > 0 || len(r.queue) > 0 {
		return
	}
	switch {
	case r.job.GetFailed() == 0:
		r.setState(State_STATE_SUCCEEDED)
	case r.job.GetSucceeded() > 0:
		r.setState(State_STATE_PARTIAL)
	default:
		r.setState(State_STATE_FAILED)
	}
	r.job.FinishedAt = r.job.UpdatedAt
	if err := r.opts.Store.Save(r.job); err != nil {
		r.opts.Logger.Error("cannot save finished job", "job", r.job.GetId(), "error", err)
	}
	r.opts.Logger.Info("job finished", "job", r.job.GetId(), "state", r.job.GetState(),
		"succeeded", r.job.GetSucceeded(), "failed", r.job.GetFailed(), "calls", r.job.GetCalls())
	ctx.Stop(ctx.Self())
}

// fail ends a job that cannot run at all.
func (r *runner) fail(ctx actor.Context, reason string) {
	r.job.Error = reason
	r.job.FinishedAt = ts(time.Now())
	r.setState(State_STATE_FAILED)
	if err := r.opts.Store.Save(r.job); err != nil {
		r.opts.Logger.Error("cannot save failed job", "job", r.job.GetId(), "error", err)
	}
	ctx.Stop(ctx.Self())
}

// maybeStop answers a drain once no batch is in flight; the job stays
// running in the store and resumes at the next start.
func (r *runner) maybeStop(ctx actor.Context) {
	if !r.draining || r.inFlight > 0 {
		return
	}
	if r.cancel {
		r.job.FinishedAt = ts(time.Now())
		r.job.PausedUntil, r.job.PausedReason = nil, ""
		r.setState(State_STATE_CANCELLED)
		if err := r.opts.Store.Save(r.job); err != nil {
			r.opts.Logger.Error("cannot save cancelled job", "job", r.job.GetId(), "error", err)
		}
		r.opts.Logger.Info("job cancelled", "job", r.job.GetId(), "succeeded", r.job.GetSucceeded(), "failed", r.job.GetFailed())
		if r.cancelTo != nil {
			ctx.Send(r.cancelTo, &Cancelled{Job: proto.Clone(r.job).(*Job)})
		}
	}
	if r.drainTo != nil {
		ctx.Send(r.drainTo, &Drained{})
		r.drainTo = nil
	}
	ctx.Stop(ctx.Self())
}
