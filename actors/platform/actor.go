package platform

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/marketsync/marketsync/actors/platform/ratelimit"
	"github.com/marketsync/marketsync/actors/platform/retry"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/model"
	"github.com/sony/gobreaker/v2"
)

// Props returns the props that spawn a platform actor.
func Props(opts Options) *actor.Props {
	opts.setDefaults()
	return actor.PropsFromProducer(func() actor.Actor { return &platformActor{opts: opts} })
}

// Codes of errors the actor makes up (all in sdk/model's codes.go).
const (
	// codeTimeout marks an attempt that got no answer within Options.Timeout.
	codeTimeout = model.CodeTimeout
	// codeDeadline marks a call the caller's deadline cut short.
	codeDeadline = model.CodeDeadline
	// CodeCircuitOpen marks a call refused at once by the open circuit
	// breaker; its retry-after says when probes go through again. Jobs
	// pause on it instead of failing their items.
	CodeCircuitOpen = model.CodeCircuitOpen
	// CodePlatformFailed marks a call refused at once by a failed
	// platform; its retry-after says when the plugin is tried again. Jobs
	// pause on it too, as they do on any AUTH failure of a whole call.
	CodePlatformFailed = model.CodePlatformFailed
)

// recheckAfter is the retry-after of a call refused by a failed or
// unauthorized platform that nothing but a reload will change: callers
// that wait (jobs) ask again this often, and a reload wakes them sooner.
const recheckAfter = time.Minute

// pending is a call waiting in the queue, in flight or between retries.
type pending struct {
	call     *Call
	sender   *actor.PID
	op       sdk.Operation
	items    int
	cost     float64
	deadline time.Time
	attempts int
	retry    *time.Timer
	// breakerDone reports the attempt in flight to the circuit breaker.
	breakerDone func(error)
}

// Messages the actor sends itself from its goroutines.
type (
	attemptDone struct {
		p        *pending
		conn     Conn
		result   *CallResult
		err      error
		latency  time.Duration
		waited   time.Duration
		reserved time.Time // when the attempt asked for its tokens
		// spent is the actor's spent when the attempt got its tokens
		// and went.
		spent   float64
		sent    bool // whether the call reached the plugin
		replied bool // whether the attempt already answered the caller
	}
	retryDue  struct{ p *pending }
	launchNow struct{}
	launched  struct {
		conn Conn
		err  error
	}
	healthTick   struct{}
	healthResult struct {
		conn Conn
		err  error
	}
)

type platformActor struct {
	opts     Options
	self     *actor.PID
	root     *actor.RootContext
	log      *slog.Logger
	state    State
	conn     Conn
	desc     sdk.Description
	bucket   *ratelimit.Bucket
	adaptive *ratelimit.Adaptive // nil with FixedRate, or once costBased
	// costBased is set by the first answer that says what its call cost:
	// the platform limits by cost, and the bucket follows what it reports.
	costBased bool
	// outstanding is the tokens taken, or being waited for, by the
	// attempts in flight; spent is what the platform said every answered
	// call cost, in all (float64 bits: the attempts read it when they
	// go).
	outstanding float64
	spent       atomic.Uint64
	// synced is when a cost-based platform's answer last set the
	// bucket's count (or when the actor found the platform limits by
	// cost, both buckets full).
	synced  time.Time
	ceiling float64
	source  string // where the limiter's settings came from
	budget  *retry.Budget
	breaker *gobreaker.TwoStepCircuitBreaker[struct{}]
	// openUntil is when an open breaker lets probes through.
	openUntil time.Time
	timeouts  int // calls in a row without an answer

	// queue[PRIORITY_INTERACTIVE] is served before queue[PRIORITY_BULK].
	queue    [2][]*pending
	inFlight int
	retrying map[*pending]struct{}

	restarts       int
	restartAttempt int
	tracker        restartTracker
	// reason says why the platform is failed or unauthorized; retryAt is
	// when a failed one tries its plugin again (zero: at a reload).
	reason  string
	retryAt time.Time
	// authCode is the platform's code of the rejected credentials.
	authCode string
	// verified is set by the first successful call that reached the
	// platform: until then one call is in flight at a time, so that wrong credentials cost one rejected
	// call rather than one per slot of concurrency.
	verified     bool
	pinging      bool
	lastErr      string
	lastErrAt    time.Time
	stopHealth   context.CancelFunc
	drainWaiters []*actor.PID
}

func (a *platformActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		a.start(ctx)
	case *Call:
		a.enqueue(ctx, m, ctx.Sender())
	case *StatusRequest:
		ctx.Respond(a.status())
	case *Drain:
		a.drain(ctx)
	case *attemptDone:
		a.attemptDone(ctx, m)
	case *retryDue:
		if _, ok := a.retrying[m.p]; ok {
			delete(a.retrying, m.p)
			a.push(m.p)
			a.dispatch(ctx)
		}
	case *launchNow:
		if a.state == State_STATE_FAILED {
			// The restart policy's delay is over: a fresh count of
			// attempts.
			a.state, a.reason, a.retryAt = State_STATE_RESTARTING, "", time.Time{}
			a.tracker.reset()
			a.restartAttempt = 0
		}
		a.launch()
	case *launched:
		a.launched(ctx, m)
	case *healthTick:
		a.healthCheck()
	case *healthResult:
		a.pinging = false
		if m.err != nil && m.conn == a.conn && a.state == State_STATE_READY {
			a.restart(ctx, "failed its health check", fmt.Sprintf("health check failed: %v", m.err))
		}
	case *actor.Stopping:
		a.shutdown(ctx, "platform actor stopped")
	case *actor.Restarting:
		// A panic restarts the actor with a fresh struct; do not leak the
		// plugin process of this one.
		a.shutdown(ctx, "platform actor restarted")
	}
}

func (a *platformActor) start(ctx actor.Context) {
	a.self, a.root = ctx.Self(), ctx.ActorSystem().Root
	a.log = a.opts.Logger.With("platform", a.opts.Name, "plugin", a.opts.Plugin)
	a.retrying = map[*pending]struct{}{}
	a.tracker.policy = a.opts.RestartPolicy
	a.budget = retry.NewBudget(a.opts.Budget.TTL, a.opts.Budget.Percent, a.opts.Budget.MinPerSec)
	a.breaker = a.newBreaker()
	hctx, cancel := context.WithCancel(context.Background())
	a.stopHealth = cancel
	go a.healthLoop(hctx)
	if a.opts.Conn != nil {
		a.ready(a.opts.Conn)
		return
	}
	a.state = State_STATE_STARTING
	a.launch()
}

// send delivers a message to the actor from one of its goroutines.
func (a *platformActor) send(msg any) { a.root.Send(a.self, msg) }

// enqueue admits a call, or answers at once when it can never succeed.
func (a *platformActor) enqueue(ctx actor.Context, c *Call, sender *actor.PID) {
	p := &pending{call: c, sender: sender, deadline: time.Now().Add(a.opts.budget())}
	if spec, items := c.Operation(); spec != nil {
		p.op, p.items = sdk.Operation(spec.Op), items
	}
	if a.conn != nil {
		p.cost = a.desc.Limits.Cost(p.op)
	}
	if dl := c.GetDeadline(); dl != nil {
		p.deadline = dl.AsTime()
	}
	if e := a.refuse(p); e != nil {
		a.reply(ctx, p, &CallResult{Error: e})
		return
	}
	a.budget.Deposit()
	a.push(p)
	a.dispatch(ctx)
}

// refuse says why a call cannot be taken, or nil.
func (a *platformActor) refuse(p *pending) *model.Error {
	switch {
	case p.op == 0:
		return model.Invalid(model.CodeNoRequest, "call carries no request")
	case a.state == State_STATE_STOPPING:
		return model.Unavailable(model.CodeStopping, fmt.Sprintf("platform %s is shutting down", a.opts.Name))
	}
	if e := a.refusal(); e != nil {
		return e
	}
	if a.conn == nil {
		return nil // starting or restarting: capabilities are checked when it is up
	}
	if !a.desc.Has(p.op.Capability()) {
		return model.Invalid(model.CodeUnsupported, fmt.Sprintf("plugin %s cannot %s", a.opts.Plugin, p.op.Capability()))
	}
	if max := a.desc.Limits.MaxBatch(p.op, 0); max > 0 && p.items > max {
		return model.Invalid(model.CodeBatchTooLarge, fmt.Sprintf("%s on %s takes at most %d items, got %d", p.op, a.opts.Name, max, p.items))
	}
	return nil
}

func (a *platformActor) push(p *pending) {
	pri := p.call.GetPriority()
	a.queue[pri] = append(a.queue[pri], p)
}

func (a *platformActor) pop() *pending {
	for pri := len(a.queue) - 1; pri >= 0; pri-- {
		if q := a.queue[pri]; len(q) > 0 {
			p := q[0]
			q[0] = nil
			a.queue[pri] = q[1:]
			return p
		}
	}
	return nil
}

func (a *platformActor) queued() int { return len(a.queue[0]) + len(a.queue[1]) }

// dispatch starts queued calls while there is room in flight.
func (a *platformActor) dispatch(ctx actor.Context) {
	limit := a.opts.Concurrency
	if !a.verified {
		limit = 1
	}
	for a.state == State_STATE_READY && a.inFlight < limit {
		p := a.pop()
		if p == nil {
			return
		}
		if time.Now().After(p.deadline) {
			a.reply(ctx, p, &CallResult{Attempts: int32(p.attempts), Error: model.Unavailable(codeDeadline, "the caller's deadline passed while the call was queued")})
			continue
		}
		if e := a.refuse(p); e != nil {
			a.reply(ctx, p, &CallResult{Attempts: int32(p.attempts), Error: e})
			continue
		}
		done, err := a.breaker.Allow()
		if err != nil {
			a.reply(ctx, p, &CallResult{Attempts: int32(p.attempts), Error: a.circuitOpen()})
			continue
		}
		p.breakerDone = done
		p.cost = a.desc.Limits.Cost(p.op)
		a.inFlight++
		a.outstanding += p.cost
		go a.attempt(p, a.conn)
	}
}

// attempt runs one try of a call on its own goroutine: wait for tokens,
// call the plugin with a timeout, report back to the actor.
func (a *platformActor) attempt(p *pending, conn Conn) {
	reserved := time.Now()
	var waited time.Duration
	var err error
	if p.cost > 0 { // free operations (URL parsing) never reach the platform
		waited, err = a.bucket.WaitUntil(p.deadline, p.cost)
	}
	if err != nil {
		a.send(&attemptDone{p: p, conn: conn, waited: waited, reserved: reserved,
			err: model.Unavailable(codeDeadline, fmt.Sprintf("no rate-limit token before the caller's deadline: %v", err))})
		return
	}
	spent := math.Float64frombits(a.spent.Load())
	// One context bounds the call: the per-call timeout, or the caller's
	// deadline when that comes first.
	start := time.Now()
	callDeadline := start.Add(a.opts.Timeout)
	byCaller := p.deadline.Before(callDeadline)
	if byCaller {
		callDeadline = p.deadline
	}
	callCtx, cancel := context.WithDeadline(context.Background(), callDeadline)
	defer cancel()
	res, err := invoke(callCtx, conn, p.call)
	latency := time.Since(start)
	if err != nil && callCtx.Err() != nil {
		if byCaller {
			err = model.Unavailable(codeDeadline, "the caller's deadline passed during the call")
		} else {
			err = model.Unavailable(codeTimeout, fmt.Sprintf("no answer from the plugin within %s", a.opts.Timeout))
		}
	}
	done := &attemptDone{p: p, conn: conn, result: res, err: err, latency: latency, waited: waited, reserved: reserved, spent: spent, sent: true}
	if err == nil && p.sender != nil {
		// A success needs no decision from the actor: answer the caller
		// from here, one mailbox hop sooner. The actor hears of the
		// attempt first, so anything the caller asks it afterwards (its
		// status) already counts this call.
		res.Attempts = int32(p.attempts + 1)
		done.replied = true
		a.send(done)
		a.root.Send(p.sender, res)
		return
	}
	a.send(done)
}

func (a *platformActor) attemptDone(ctx actor.Context, m *attemptDone) {
	a.inFlight--
	p := m.p
	a.outstanding -= p.cost
	p.attempts++
	e := asPlatformError(m.err)
	rec := CallRecord{
		Platform: a.opts.Name, Operation: p.op, Priority: p.call.GetPriority(),
		Outcome: outcomeOf(e), Latency: m.latency, Waited: m.waited,
		Attempt: p.attempts, Items: p.items,
	}
	if e != nil {
		rec.Code = e.Code
	}
	if p.breakerDone != nil {
		p.breakerDone(breakerVerdict(e))
		p.breakerDone = nil
	}
	if m.sent {
		a.learn(p, m, e)
	}
	switch {
	case e == nil:
		a.restartAttempt = 0
		// Free operations (URL parsing) never reach the platform, so
		// they say nothing of the credentials.
		a.verified = a.verified || p.cost > 0
		a.opts.Observer.CallFinished(rec)
		if !m.replied {
			m.result.Attempts = int32(p.attempts)
			a.reply(ctx, p, m.result)
		}
	default:
		a.setErr(e)
		switch {
		case e.Kind == model.KindAuth && m.sent && m.conn == a.conn && a.state == State_STATE_READY:
			a.unauthorized(ctx, e)
		case m.conn == a.conn && (m.conn.Exited() || e.Code == model.CodePluginUnreachable):
			// A broken connection is how an exit shows first, before the
			// process is reaped: both are "exited".
			a.restart(ctx, "exited", fmt.Sprintf("plugin unreachable: %s", e.Message))
		case m.conn == a.conn && a.timeouts >= a.opts.HangAfter:
			a.restart(ctx, "hung", fmt.Sprintf("plugin hung: %d calls in a row got no answer within %s", a.timeouts, a.opts.Timeout))
		case e.Code == model.CodePluginUnreachable || e.Code == codeTimeout:
			a.healthCheck()
		}
		if r := a.refusal(); r != nil && (e.Kind.Retryable() || e.Kind == model.KindAuth) {
			// The platform is out of service now: the caller gets the
			// reason, and a retry-after, rather than this attempt's error.
			a.opts.Observer.CallFinished(rec)
			a.reply(ctx, p, &CallResult{Attempts: int32(p.attempts), Error: r})
			break
		}
		a.retryOrFail(ctx, p, e, rec)
	}
	a.dispatch(ctx)
	a.maybeDrained(ctx)
}

// asPlatformError normalises an attempt's error to an *model.Error; nil
// stays nil.
func asPlatformError(err error) *model.Error {
	if err == nil {
		return nil
	}
	if e, ok := model.AsError(err); ok {
		return e
	}
	return model.Unavailable(model.CodeCallFailed, err.Error())
}

func (a *platformActor) reply(ctx actor.Context, p *pending, res *CallResult) {
	if p.sender != nil {
		ctx.Send(p.sender, res)
	}
}
