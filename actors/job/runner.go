package job

import (
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/marketsync/marketsync/actors/platform"
	"github.com/marketsync/marketsync/actors/platform/retry"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/model"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func ts(t time.Time) *timestamppb.Timestamp { return timestamppb.New(t) }

// runner is the actor of one job. A collect job has up to two steps, each
// checkpointed through the store as it goes, so a restart resumes the step
// where it was:
//
//   - listing, for a job given a scope: the listing's pages are asked for
//     one after the other (ListProducts, each page needing the cursor of
//     the one before), each page's ids added as items with the next cursor
//     in one checkpoint.
//   - resolving: the items given as product page URLs are sent to the
//     plugin in batches (ResolveURLs) to learn the ids they name; a URL
//     that names no product fails alone with the plugin's error.
//   - collecting: the items are sent in batches no larger than the plugin
//     takes (FetchProducts), each answered batch checkpointed before it
//     is counted.
//
// Both steps share the handling of a call that fails as a whole (see the
// package documentation, RETRIES).
type runner struct {
	opts     *Options
	job      *Job
	platform Platform
	// items are the pending items loaded at the start, while resolving.
	items []*Item
	// toResolve are the items whose URL is still to be sent for
	// resolution; queue the items still to be fetched.
	toResolve []*Item
	queue     []*Item
	// dups holds, by the index of the item that is fetched, the later
	// items that name the same product (see dedupe).
	dups     map[int32][]*Item
	inFlight int
	draining bool
	drainTo  *actor.PID
	// cancelTo is set once the job is being cancelled: who to tell when
	// the batches in flight are in.
	cancelTo *actor.PID
	cancel   bool
	// pausedUntil holds new batches back while the platform refuses calls;
	// wakeUp sends resume then, and is stopped with the actor, so that no
	// resume reaches an actor that is gone.
	pausedUntil time.Time
	wakeUp      *time.Timer
	// failedCalls counts batches in a row that failed as a whole; each
	// makes the job wait longer before the next (backoffAfter).
	failedCalls int
	// resolveFailures counts resolve (or list) calls in a row that failed
	// as a whole with a retryable error; neither spends an item attempt,
	// so this bounds them instead.
	resolveFailures int
	// broken is the checkpoint failure that ends the job once the
	// batches in flight are in.
	broken error
	// done is set once the job is over, for this run of the agent: the
	// actor answers Cancel and Drain from then on but does nothing else,
	// until the manager stops it (see stop).
	done bool
}

func (r *runner) resolving() bool { return r.job.GetStep() == Step_STEP_RESOLVING }
func (r *runner) listing() bool   { return r.job.GetStep() == Step_STEP_LISTING }

// ListPageSize is the page size a listing job asks for; a plugin may
// return fewer.
const ListPageSize = 100

// resume wakes a paused job.
type resume struct{}

func (r *runner) Receive(ctx actor.Context) {
	if _, ok := ctx.Message().(*actor.Stopping); ok {
		if r.wakeUp != nil {
			r.wakeUp.Stop()
		}
		return
	}
	if r.done {
		switch ctx.Message().(type) {
		case *Cancel:
			// Forwarded by the manager before it heard that the job
			// stopped; the caller reads the job from the store.
			ctx.Respond(&Cancelled{Error: notRunning(r.job.GetId())})
		case *Drain:
			ctx.Respond(&Drained{})
		}
		return
	}
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
	if r.job.GetState() == State_STATE_QUEUED {
		r.job.StartedAt = ts(time.Now())
		r.setState(State_STATE_RUNNING)
		if err := r.opts.Store.Save(r.job); err != nil {
			log.Error("cannot save job", "error", err)
		}
	}
	switch {
	case r.listing():
		// The items listed so far are loaded when the listing ends.
	case r.resolving():
		r.items = items
		for _, it := range items {
			if it.GetId() == "" {
				r.toResolve = append(r.toResolve, it)
			}
		}
	default:
		r.queue, r.dups = dedupe(items)
	}
	r.dispatch(ctx)
	r.maybeFinish(ctx)
}

// collect moves the job from resolving to collecting once every URL is
// resolved or failed.
func (r *runner) collect(ctx actor.Context) {
	var pending []*Item
	for _, it := range r.items {
		if it.GetState() == ItemState_ITEM_PENDING {
			pending = append(pending, it)
		}
	}
	r.items = nil
	r.queue, r.dups = dedupe(pending)
	r.job.Step = Step_STEP_COLLECTING
	r.job.UpdatedAt = ts(time.Now())
	if err := r.opts.Store.Save(r.job); err != nil {
		r.opts.Logger.Error("cannot save job", "job", r.job.GetId(), "error", err)
	}
	r.dispatch(ctx)
}

// dedupe returns the items to fetch, each product once, and the
// duplicates. The API refuses an entry written twice, so two items name
// the same product only after resolution: an id and a URL of the same
// product, or two URLs of it. The first item (lowest index) that names a
// product is fetched; the later ones are never sent and are settled with
// it, in the same checkpoint, with its outcome. Since they settle
// together, after a restart a duplicate is pending only with its first
// item, and dedupe finds the pair again.
func dedupe(items []*Item) (queue []*Item, dups map[int32][]*Item) {
	first := make(map[string]int32, len(items))
	dups = map[int32][]*Item{}
	for _, it := range items {
		if f, ok := first[it.GetId()]; ok {
			dups[f] = append(dups[f], it)
			continue
		}
		first[it.GetId()] = it.GetIndex()
		queue = append(queue, it)
	}
	return queue, dups
}

func (r *runner) window() int { return max(1, 2*r.platform.Concurrency) }

func (r *runner) dispatch(ctx actor.Context) {
	if time.Now().Before(r.pausedUntil) {
		return
	}
	if r.listing() {
		r.listNext(ctx)
		return
	}
	for !r.draining && r.inFlight < r.window() {
		batch, call := r.nextBatch()
		if batch == nil {
			return
		}
		call.Priority = platform.Priority_PRIORITY_BULK
		call.Deadline = ts(time.Now().Add(r.opts.CallTimeout))
		r.inFlight++
		f := ctx.RequestFuture(r.platform.PID, call, r.opts.CallTimeout+time.Minute)
		resolving := r.resolving()
		ctx.ReenterAfter(f, func(res any, err error) { r.batchDone(ctx, batch, resolving, res, err) })
	}
}

// listNext asks for the next page of the listing, one page at a time.
func (r *runner) listNext(ctx actor.Context) {
	if r.draining || r.inFlight > 0 {
		return
	}
	call := platform.NewCall(&model.ListProductsRequest{Scope: r.job.GetScope(), Cursor: r.job.GetCursor(), PageSize: ListPageSize})
	call.Priority = platform.Priority_PRIORITY_BULK
	call.Deadline = ts(time.Now().Add(r.opts.CallTimeout))
	r.inFlight++
	f := ctx.RequestFuture(r.platform.PID, call, r.opts.CallTimeout+time.Minute)
	ctx.ReenterAfter(f, func(res any, err error) { r.pageDone(ctx, res, err) })
}

// pageDone handles an answered page of the listing: its ids become items
// and the cursor moves on, in one checkpoint; the last page moves the job
// to collecting. A page refused for now is asked again after the pause;
// one that fails with a retryable error is asked again at most
// MaxItemAttempts times in a row; any other failure ends the job, since
// the pages after it cannot be reached.
func (r *runner) pageDone(ctx actor.Context, res any, ferr error) {
	r.inFlight--
	m, _ := res.(*platform.CallResult)
	callErr := m.Err()
	if m == nil {
		callErr = model.Unavailable(model.CodePlatformTimeout, fmt.Sprintf("no answer from platform %s: %v", r.job.GetPlatform(), ferr))
	}
	r.job.Calls += m.GetAttempts()
	switch {
	case callErr == nil:
		r.failedCalls, r.resolveFailures = 0, 0
	case refusesForNow(callErr) || m.GetBudgetExhausted():
		r.failedCalls++
		r.hold(ctx, max(callErr.Wait(), backoffAfter(r.failedCalls)), callErr)
		r.maybeStop(ctx)
		return
	case callErr.Kind.Retryable() && r.resolveFailures+1 < r.opts.MaxItemAttempts:
		r.failedCalls++
		r.resolveFailures++
		r.hold(ctx, backoffAfter(r.failedCalls), callErr)
		r.maybeStop(ctx)
		return
	default:
		if callErr.GetCode() == model.CodePluginUnimplemented {
			callErr = model.Invalid(CodeUnsupportedOperation, fmt.Sprintf("plugin %s cannot list products", r.platform.Plugin))
		}
		r.fail(ctx, fmt.Sprintf("listing %q stopped after %d pages (%d ids, not collected): %v",
			r.job.GetScope(), r.job.GetListedPages(), r.job.GetTotal(), callErr))
		return
	}
	page := m.GetListProducts()
	cursor, step := r.job.GetCursor(), r.job.GetStep()
	r.job.Cursor = page.GetNextCursor()
	r.job.ListedPages++
	if r.job.Cursor == "" {
		r.job.Step = Step_STEP_COLLECTING
	}
	r.job.UpdatedAt = ts(time.Now())
	if err := r.opts.Store.AddListed(r.job, page.GetIds()); err != nil {
		r.job.Cursor, r.job.Step = cursor, step
		r.job.ListedPages--
		r.breakOn(fmt.Errorf("cannot checkpoint page %d of the listing: %w", r.job.GetListedPages()+1, err))
		r.maybeStop(ctx)
		return
	}
	if !r.listing() {
		items, err := r.opts.Store.Pending(r.job.GetId())
		if err != nil {
			r.fail(ctx, fmt.Sprintf("cannot load pending items: %v", err))
			return
		}
		r.queue, r.dups = dedupe(items)
	}
	r.dispatch(ctx)
	r.maybeFinish(ctx)
	r.maybeStop(ctx)
}

// nextBatch takes the next batch of the job's step off its queue, with the
// call that sends it; nil when there is none to send. URLs of a plugin
// that says it cannot resolve them fail here, without a call.
func (r *runner) nextBatch() ([]*Item, *platform.Call) {
	if !r.resolving() {
		batch := take(&r.queue, r.platform.Limits.MaxBatch(sdk.OpFetchProducts, 50))
		if batch == nil {
			return nil, nil
		}
		ids := make([]string, len(batch))
		for i, it := range batch {
			ids[i] = it.GetId()
		}
		return batch, platform.NewCall(&model.FetchProductsRequest{Ids: ids})
	}
	for len(r.toResolve) > 0 {
		batch := take(&r.toResolve, r.platform.Limits.MaxBatch(sdk.OpResolveURLs, 100))
		if r.platform.ResolvesURLs() {
			urls := make([]string, len(batch))
			for i, it := range batch {
				urls[i] = it.GetUrl()
			}
			return batch, platform.NewCall(&model.ResolveURLsRequest{Urls: urls})
		}
		r.resolved(batch, nil, r.cannotResolve())
		if r.draining {
			break
		}
	}
	return nil, nil
}

// take removes the first n items (or all there are) of a queue.
func take(queue *[]*Item, n int) []*Item {
	if len(*queue) == 0 {
		return nil
	}
	n = min(n, len(*queue))
	batch := (*queue)[:n:n]
	*queue = (*queue)[n:]
	return batch
}

// cannotResolve is the failure of a URL given to a plugin that does not
// resolve URLs.
func (r *runner) cannotResolve() *model.Error {
	return model.Invalid(CodeBadURL, fmt.Sprintf("plugin %s does not take product URLs; give the product's id instead", r.platform.Plugin))
}

// batchDone handles an answered call of either step. A call that failed
// as a whole because the platform refuses calls for now sends its items
// back to their queue untouched; otherwise its items are settled and
// checkpointed.
func (r *runner) batchDone(ctx actor.Context, batch []*Item, resolving bool, res any, ferr error) {
	r.inFlight--
	var callErr *model.Error
	budgetSpent := false
	m, _ := res.(*platform.CallResult)
	if m != nil {
		if !resolving { // resolving is free: the plugin parses URLs
			r.job.Calls += m.GetAttempts()
		}
		budgetSpent = m.GetBudgetExhausted()
		callErr = m.Err()
	} else {
		callErr = model.Unavailable(model.CodePlatformTimeout, fmt.Sprintf("no answer from platform %s: %v", r.job.GetPlatform(), ferr))
	}
	results := len(m.GetFetchProducts().GetResults())
	if resolving {
		results = len(m.GetResolveUrls().GetResults())
	}
	if callErr == nil && results != len(batch) {
		callErr = model.Unavailable(model.CodeResultCount, fmt.Sprintf("%d results for %d items", results, len(batch)))
	}
	requeue := func(wait time.Duration) {
		if resolving {
			r.toResolve = append(batch, r.toResolve...)
		} else {
			r.queue = append(batch, r.queue...)
		}
		r.hold(ctx, wait, callErr)
	}
	switch {
	case callErr == nil:
		r.failedCalls, r.resolveFailures = 0, 0
	case refusesForNow(callErr) || budgetSpent:
		// Not the items' fault: the platform refuses calls for now, or
		// it is being retried too much already. Wait, then send them
		// again with their attempts untouched.
		r.failedCalls++
		requeue(max(callErr.Wait(), backoffAfter(r.failedCalls)))
		r.maybeStop(ctx)
		return
	case callErr.Kind.Retryable():
		r.failedCalls++
		if resolving && r.resolveFailures+1 < r.opts.MaxItemAttempts {
			r.resolveFailures++
			requeue(backoffAfter(r.failedCalls))
			r.maybeStop(ctx)
			return
		}
		r.hold(ctx, backoffAfter(r.failedCalls), callErr)
	}
	if resolving {
		if callErr.GetCode() == model.CodePluginUnimplemented {
			callErr = r.cannotResolve()
		}
		r.resolved(batch, m.GetResolveUrls().GetResults(), callErr)
	} else {
		r.fetched(batch, m.GetFetchProducts().GetResults(), callErr)
	}
	r.dispatch(ctx)
	r.maybeFinish(ctx)
	r.maybeStop(ctx)
}

// resolved settles a batch of URLs: each gets the id it names, or fails
// with the plugin's error (or callErr, the whole call's), and the batch is
// checkpointed.
func (r *runner) resolved(batch []*Item, results []*model.ResolveResult, callErr *model.Error) {
	now := ts(time.Now())
	var failed int32
	for i, it := range batch {
		it.UpdatedAt = now
		e := callErr
		if e == nil {
			e = results[i].GetError()
		}
		if e == nil && results[i].GetId() == "" {
			e = model.Invalid(CodeBadURL, "the plugin resolved the URL to no id")
		}
		if e == nil {
			it.Id = results[i].GetId()
			continue
		}
		it.State, it.Error = ItemState_ITEM_FAILED, e
		failed++
	}
	r.job.Resolved += int32(len(batch))
	r.checkpoint(batch, nil, 0, failed, int32(len(batch)))
}

// fetched settles every item of a fetched batch: done with its product,
// failed for good, or back in the queue when the failure was transient
// and the item has attempts left. An item that is done takes its
// duplicates with it.
func (r *runner) fetched(batch []*Item, results []*model.ProductResult, callErr *model.Error) {
	now := ts(time.Now())
	var products []*model.Product
	var succeeded, failed int32
	settled := batch
	for i, it := range batch {
		it.Attempts++
		it.UpdatedAt = now
		e := callErr
		if e == nil {
			if p := results[i].GetProduct(); p != nil {
				it.State, it.Error = ItemState_ITEM_SUCCEEDED, nil
				products = append(products, p)
			} else {
				e = results[i].GetError()
			}
		}
		if e != nil {
			it.Error = e
			if e.Kind.Retryable() && int(it.GetAttempts()) < r.opts.MaxItemAttempts {
				r.queue = append(r.queue, it)
				continue
			}
			it.State = ItemState_ITEM_FAILED
		}
		for _, d := range append([]*Item{it}, r.dups[it.GetIndex()]...) {
			d.State, d.Error, d.UpdatedAt = it.GetState(), it.GetError(), now
			if d.GetState() == ItemState_ITEM_SUCCEEDED {
				succeeded++
			} else {
				failed++
			}
			if d != it {
				settled = append(settled, d)
			}
		}
		delete(r.dups, it.GetIndex())
	}
	r.checkpoint(settled, products, succeeded, failed, 0)
}

// checkpoint commits settled items with their products and the job
// record. If it cannot, the items are still pending in the store and will
// be sent again when the job resumes: the job stops until then.
func (r *runner) checkpoint(items []*Item, products []*model.Product, succeeded, failed, resolved int32) {
	r.job.Succeeded += succeeded
	r.job.Failed += failed
	r.job.UpdatedAt = ts(time.Now())
	if err := r.opts.Store.Commit(r.job, items, products); err != nil {
		r.job.Succeeded -= succeeded
		r.job.Failed -= failed
		r.job.Resolved -= resolved
		r.breakOn(fmt.Errorf("cannot checkpoint a batch: %w", err))
	}
}

// breakOn ends the job on a checkpoint failure: no new batch is sent and,
// once those in flight are in, the job fails with err's text (maybeStop).
// A job left running in the store with nothing to run it would look alive
// to its callers, and cancelling it would answer that it is over.
func (r *runner) breakOn(err error) {
	if r.broken == nil {
		r.broken = err
	}
	r.draining = true
}

// The wait of a job after batches in a row failed as a whole.
const (
	batchBackoffBase = 500 * time.Millisecond
	batchBackoffMax  = 30 * time.Second
)

// backoffAfter is how long a job waits after n batches in a row failed as
// a whole: batchBackoffBase, doubling, at most batchBackoffMax.
func backoffAfter(n int) time.Duration {
	return retry.Policy{Base: batchBackoffBase, Max: batchBackoffMax}.Window(n)
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
		if r.wakeUp != nil {
			r.wakeUp.Stop() // a later pause supersedes it
		}
		r.wakeUp = time.AfterFunc(wait, func() { root.Send(self, &resume{}) })
	}
}

func (r *runner) maybeFinish(ctx actor.Context) {
	if r.draining || r.inFlight > 0 || len(r.toResolve) > 0 || r.listing() {
		return
	}
	if r.resolving() {
		r.collect(ctx)
		if r.draining || r.inFlight > 0 {
			return
		}
	}
	if len(r.queue) > 0 {
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
	r.stop(ctx)
}

// fail ends a job that cannot run at all.
func (r *runner) fail(ctx actor.Context, reason string) {
	r.job.Error = reason
	r.job.FinishedAt = ts(time.Now())
	r.setState(State_STATE_FAILED)
	if err := r.opts.Store.Save(r.job); err != nil {
		r.opts.Logger.Error("cannot save failed job", "job", r.job.GetId(), "error", err)
	}
	r.stop(ctx)
}

// maybeStop answers a drain once no batch is in flight; the job stays
// running in the store and resumes at the next start.
func (r *runner) maybeStop(ctx actor.Context) {
	if !r.draining || r.inFlight > 0 {
		return
	}
	if r.broken != nil {
		r.opts.Logger.Error("job failed: its progress cannot be saved", "job", r.job.GetId(), "error", r.broken)
		r.job.PausedUntil, r.job.PausedReason = nil, ""
		if r.cancelTo != nil {
			ctx.Send(r.cancelTo, &Cancelled{Error: model.Invalid(CodeJobFailed, "the job failed: "+r.broken.Error())})
		}
		if r.drainTo != nil {
			ctx.Send(r.drainTo, &Drained{})
		}
		r.fail(ctx, r.broken.Error())
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
	r.stop(ctx)
}

// stopped tells the manager that a job actor is over.
type stopped struct {
	id  string
	pid *actor.PID
}

// stop ends the job's work and asks the manager to stop the actor. The
// actor does not stop itself: a Cancel the manager forwarded before it
// heard of the end would then be dropped, leaving its caller waiting out
// its timeout. The manager takes the job out of its map first, so nothing
// is forwarded after, and stops the actor with a poison pill, which comes
// after anything forwarded before in the actor's mailbox.
func (r *runner) stop(ctx actor.Context) {
	r.done = true
	ctx.Send(ctx.Parent(), &stopped{id: r.job.GetId(), pid: ctx.Self()})
}
