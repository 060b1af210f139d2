package platform

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/marketsync/marketsync/actors/platform/ratelimit"
	"github.com/marketsync/marketsync/actors/platform/retry"
	"github.com/marketsync/marketsync/sdk"
	pluginv1 "github.com/marketsync/marketsync/sdk/proto/plugin/v1"
	"github.com/sony/gobreaker/v2"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Options configure one platform actor.
type Options struct {
	// Name is the platform block's name, Plugin its plugin's.
	Name, Plugin string
	// Launch starts a plugin process; the actor calls it at start (unless
	// Conn is given) and after every crash.
	Launch Launcher
	// Conn is an already launched and configured plugin, when the agent
	// launched it first to validate the config block against its schema.
	Conn Conn
	// ConfigJSON is sent to Configure after every launch.
	ConfigJSON []byte
	// RateLimit overrides the plugin's documented limits when set.
	RateLimit *RateLimit
	Retry     Retry
	// Timeout bounds one plugin call.
	Timeout time.Duration
	// Concurrency caps calls in flight.
	Concurrency int
	// HealthInterval is how often an idle plugin is pinged.
	HealthInterval time.Duration
	// FixedRate turns off adaptation: the rate stays what the config or the
	// plugin says whatever the platform answers.
	FixedRate bool
	Budget    BudgetOptions
	Breaker   BreakerOptions
	// HangAfter restarts the plugin after this many calls in a row got no
	// answer within Timeout: a plugin stuck in a loop answers health
	// checks but nothing else.
	HangAfter int
	// Restart is the backoff between plugin restarts.
	Restart  retry.Policy
	Observer Observer
	Logger   *slog.Logger
	// Rand returns floats in [0, 1) for jitter; tests make it fixed.
	Rand func() float64
}

// RateLimit is a sustained rate in calls per second and a burst.
type RateLimit struct {
	Rate  float64
	Burst int
}

// BudgetOptions size the retry budget: retries over the last TTL may be
// Percent of the calls in that time plus MinPerSec·TTL.
type BudgetOptions struct {
	TTL       time.Duration
	Percent   float64
	MinPerSec float64
}

// BreakerOptions configure the circuit breaker. It opens when, over the
// last Window, at least MinCalls calls were made and FailureRatio of them
// failed as UNAVAILABLE (timeouts included); rate-limited answers and the
// caller's own deadlines count neither way. Open, it fails calls at once
// for Cooldown, then lets Probes calls through (half-open); if they all
// succeed it closes, if one fails it opens again.
type BreakerOptions struct {
	Window       time.Duration
	MinCalls     int
	FailureRatio float64
	Cooldown     time.Duration
	Probes       int
}

// Retry bounds retries of one call.
type Retry struct {
	// MaxAttempts counts the first call: 1 means never retry.
	MaxAttempts int
	Backoff     retry.Policy
}

func (o *Options) setDefaults() {
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.Retry.MaxAttempts <= 0 {
		o.Retry.MaxAttempts = 5
	}
	if o.Retry.Backoff.Base <= 0 {
		o.Retry.Backoff.Base = 200 * time.Millisecond
	}
	if o.Retry.Backoff.Max <= 0 {
		o.Retry.Backoff.Max = 30 * time.Second
	}
	if o.Budget.Percent == 0 && o.Budget.MinPerSec == 0 {
		// Unset. (Either alone may be zero on purpose: no floor, or no
		// share of calls.)
		o.Budget.Percent, o.Budget.MinPerSec = 0.2, 1
	}
	if o.Budget.TTL <= 0 {
		o.Budget.TTL = 10 * time.Second
	}
	if o.Breaker.Window <= 0 {
		o.Breaker.Window = 30 * time.Second
	}
	if o.Breaker.MinCalls <= 0 {
		o.Breaker.MinCalls = 20
	}
	if o.Breaker.FailureRatio <= 0 {
		o.Breaker.FailureRatio = 0.5
	}
	if o.Breaker.Cooldown <= 0 {
		o.Breaker.Cooldown = 30 * time.Second
	}
	if o.Breaker.Probes <= 0 {
		o.Breaker.Probes = 3
	}
	if o.HangAfter <= 0 {
		o.HangAfter = 3
	}
	if o.HealthInterval <= 0 {
		o.HealthInterval = 10 * time.Second
	}
	if o.Restart.Base <= 0 {
		o.Restart.Base = 100 * time.Millisecond
	}
	if o.Restart.Max <= 0 {
		o.Restart.Max = 30 * time.Second
	}
	if o.Observer == nil {
		o.Observer = nopObserver{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
}

// budget is how long a call may take in all when its caller set no
// deadline: every attempt timing out, and every wait between attempts at
// the backoff cap or a platform ban of up to a minute, whichever is
// longer.
func (o *Options) budget() time.Duration {
	wait := max(o.Retry.Backoff.Max, time.Minute)
	return time.Duration(o.Retry.MaxAttempts)*o.Timeout + time.Duration(o.Retry.MaxAttempts-1)*wait
}

// Props returns the props that spawn a platform actor.
func Props(opts Options) *actor.Props {
	opts.setDefaults()
	return actor.PropsFromProducer(func() actor.Actor { return &platformActor{opts: opts} })
}

// Codes of errors the actor makes up.
const (
	// codeTimeout marks an attempt that got no answer within Options.Timeout.
	codeTimeout = "timeout"
	// codeDeadline marks a call the caller's deadline cut short.
	codeDeadline = "deadline_exceeded"
	// CodeCircuitOpen marks a call refused at once by the open circuit
	// breaker; its retry-after says when probes go through again. Jobs
	// pause on it instead of failing their items.
	CodeCircuitOpen = "circuit_open"
)

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
		sent     bool      // whether the call reached the plugin
		replied  bool      // whether the attempt already answered the caller
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
	adaptive *ratelimit.Adaptive // nil with FixedRate
	ceiling  float64
	source   string // where the limiter's settings came from
	budget   *retry.Budget
	breaker  *gobreaker.TwoStepCircuitBreaker[struct{}]
	// openUntil is when an open breaker lets probes through.
	openUntil time.Time
	timeouts  int // calls in a row without an answer

	// queue[PRIORITY_INTERACTIVE] is served before queue[PRIORITY_BULK].
	queue    [2][]*pending
	inFlight int
	retrying map[*pending]struct{}

	restarts       int
	restartAttempt int
	pinging        bool
	lastErr        string
	lastErrAt      time.Time
	stopHealth     context.CancelFunc
	drainWaiters   []*actor.PID
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
		a.launch()
	case *launched:
		a.launched(ctx, m)
	case *healthTick:
		a.healthCheck()
	case *healthResult:
		a.pinging = false
		if m.err != nil && m.conn == a.conn && a.state == State_STATE_READY {
			a.restart(fmt.Sprintf("health check failed: %v", m.err))
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

func (a *platformActor) healthLoop(ctx context.Context) {
	t := time.NewTicker(a.opts.HealthInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			a.send(&healthTick{})
		}
	}
}

func (a *platformActor) launch() {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		conn, err := a.opts.Launch(ctx)
		if err == nil {
			if err = conn.Configure(ctx, a.opts.ConfigJSON); err != nil {
				conn.Kill()
				conn, err = nil, fmt.Errorf("configure: %w", err)
			}
		}
		a.send(&launched{conn: conn, err: err})
	}()
}

func (a *platformActor) launched(ctx actor.Context, m *launched) {
	if a.state == State_STATE_STOPPING {
		if m.conn != nil {
			go m.conn.Kill()
		}
		return
	}
	if m.err != nil {
		a.setErr(m.err)
		if e, ok := sdk.AsError(m.err); ok && !e.Kind.Retryable() {
			// A refused config will not fix itself: fail fast until the
			// operator changes it.
			a.state = State_STATE_FAILED
			a.log.Error("plugin refused its config; platform disabled", "error", m.err)
			a.failQueued(ctx, sdk.ErrorToProto(e))
			return
		}
		a.restartAttempt++
		delay := a.opts.Restart.Delay(a.restartAttempt, 0, a.opts.Rand)
		a.log.Warn("plugin failed to start; trying again", "error", m.err, "in", delay)
		a.failExpired(ctx)
		time.AfterFunc(delay, func() { a.send(&launchNow{}) })
		return
	}
	a.ready(m.conn)
	a.dispatch(ctx)
}

// ready takes a configured plugin into service.
func (a *platformActor) ready(conn Conn) {
	a.conn = conn
	a.desc = conn.Description()
	a.state = State_STATE_READY
	if a.bucket == nil {
		rl, source := a.opts.RateLimit, "config"
		if rl == nil {
			rl, source = &RateLimit{Rate: a.desc.Limits.Rate, Burst: a.desc.Limits.Burst}, "plugin"
		}
		a.bucket, a.source, a.ceiling = ratelimit.New(rl.Rate, rl.Burst), source, rl.Rate
		if !a.opts.FixedRate && rl.Rate > 0 {
			a.adaptive = ratelimit.NewAdaptive(a.bucket, rl.Rate)
		}
	}
	a.log.Info("plugin ready", "version", a.desc.Version, "rate", a.bucket.Rate(), "burst", a.bucket.Burst(), "limits_from", a.source)
}

// restart replaces a dead or unresponsive plugin after a backoff. Calls in
// flight on the old one fail and are retried on the new one.
func (a *platformActor) restart(reason string) {
	if a.state != State_STATE_READY {
		return
	}
	a.state = State_STATE_RESTARTING
	a.restarts++
	a.restartAttempt++
	a.setErr(errors.New(reason))
	a.opts.Observer.PluginRestarted(a.opts.Name, reason)
	old := a.conn
	a.conn = nil
	go old.Kill()
	delay := a.opts.Restart.Delay(a.restartAttempt, 0, a.opts.Rand)
	a.log.Warn("restarting plugin", "reason", reason, "restarts", a.restarts, "in", delay)
	time.AfterFunc(delay, func() { a.send(&launchNow{}) })
}

func (a *platformActor) healthCheck() {
	if a.state != State_STATE_READY || a.pinging {
		return
	}
	a.pinging = true
	conn := a.conn
	go func() {
		done := make(chan error, 1)
		go func() { done <- conn.Ping() }()
		var err error
		select {
		case err = <-done:
		case <-time.After(a.opts.Timeout):
			err = fmt.Errorf("no answer within %s", a.opts.Timeout)
		}
		if err == nil && conn.Exited() {
			err = errors.New("plugin process exited")
		}
		a.send(&healthResult{conn: conn, err: err})
	}()
}

func (a *platformActor) setErr(err error) {
	a.lastErr, a.lastErrAt = err.Error(), time.Now()
}

// enqueue admits a call, or answers at once when it can never succeed.
func (a *platformActor) enqueue(ctx actor.Context, c *Call, sender *actor.PID) {
	p := &pending{call: c, sender: sender, deadline: time.Now().Add(a.opts.budget())}
	p.op, p.items = c.Operation()
	if a.conn != nil {
		p.cost = a.desc.Limits.Cost(p.op)
	}
	if dl := c.GetDeadline(); dl != nil {
		p.deadline = dl.AsTime()
	}
	if e := a.refuse(p); e != nil {
		a.reply(ctx, p, &CallResult{Error: sdk.ErrorToProto(e)})
		return
	}
	a.budget.Deposit()
	a.push(p)
	a.dispatch(ctx)
}

// refuse says why a call cannot be taken, or nil.
func (a *platformActor) refuse(p *pending) *sdk.Error {
	switch {
	case p.op == 0:
		return sdk.Invalid("no_request", "call carries no request")
	case a.state == State_STATE_STOPPING:
		return sdk.Unavailable("stopping", fmt.Sprintf("platform %s is shutting down", a.opts.Name))
	case a.state == State_STATE_FAILED:
		return sdk.Unavailable("platform_failed", fmt.Sprintf("platform %s is disabled: %s", a.opts.Name, a.lastErr))
	}
	if a.conn == nil {
		return nil // starting or restarting: capabilities are checked when it is up
	}
	if !a.desc.Has(p.op.Capability()) {
		return sdk.Invalid("unsupported", fmt.Sprintf("plugin %s cannot %s", a.opts.Plugin, p.op.Capability()))
	}
	if max := a.desc.Limits.MaxBatch(p.op, 0); max > 0 && p.items > max {
		return sdk.Invalid("batch_too_large", fmt.Sprintf("%s on %s takes at most %d items, got %d", p.op, a.opts.Name, max, p.items))
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
	for a.state == State_STATE_READY && a.inFlight < a.opts.Concurrency {
		p := a.pop()
		if p == nil {
			return
		}
		if time.Now().After(p.deadline) {
			a.reply(ctx, p, &CallResult{Attempts: int32(p.attempts), Error: sdk.ErrorToProto(
				sdk.Unavailable(codeDeadline, "the caller's deadline passed while the call was queued"))})
			continue
		}
		if e := a.refuse(p); e != nil {
			a.reply(ctx, p, &CallResult{Attempts: int32(p.attempts), Error: sdk.ErrorToProto(e)})
			continue
		}
		done, err := a.breaker.Allow()
		if err != nil {
			a.reply(ctx, p, &CallResult{Attempts: int32(p.attempts), Error: sdk.ErrorToProto(a.circuitOpen())})
			continue
		}
		p.breakerDone = done
		p.cost = a.desc.Limits.Cost(p.op)
		a.inFlight++
		go a.attempt(p, a.conn)
	}
}

// attempt runs one try of a call on its own goroutine: wait for tokens,
// call the plugin with a timeout, report back to the actor.
func (a *platformActor) attempt(p *pending, conn Conn) {
	ctx, cancel := context.WithDeadline(context.Background(), p.deadline)
	defer cancel()
	reserved := time.Now()
	var waited time.Duration
	var err error
	if p.cost > 0 { // free operations (URL parsing) never reach the platform
		waited, err = a.bucket.Wait(ctx, p.cost)
	}
	if err != nil {
		a.send(&attemptDone{p: p, conn: conn, waited: waited, reserved: reserved,
			err: sdk.Unavailable(codeDeadline, fmt.Sprintf("no rate-limit token before the caller's deadline: %v", err))})
		return
	}
	callCtx, cancelCall := context.WithTimeout(ctx, a.opts.Timeout)
	defer cancelCall()
	start := time.Now()
	res, err := invoke(callCtx, conn, p.call)
	latency := time.Since(start)
	if err != nil && callCtx.Err() != nil {
		if ctx.Err() != nil {
			err = sdk.Unavailable(codeDeadline, "the caller's deadline passed during the call")
		} else {
			err = sdk.Unavailable(codeTimeout, fmt.Sprintf("no answer from the plugin within %s", a.opts.Timeout))
		}
	}
	done := &attemptDone{p: p, conn: conn, result: res, err: err, latency: latency, waited: waited, reserved: reserved, sent: true}
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
		a.opts.Observer.CallFinished(rec)
		if !m.replied {
			m.result.Attempts = int32(p.attempts)
			a.reply(ctx, p, m.result)
		}
	default:
		a.setErr(e)
		switch {
		case m.conn == a.conn && (m.conn.Exited() || e.Code == sdk.CodePluginUnreachable):
			a.restart(fmt.Sprintf("plugin unreachable: %s", e.Message))
		case m.conn == a.conn && a.timeouts >= a.opts.HangAfter:
			a.restart(fmt.Sprintf("plugin hung: %d calls in a row got no answer within %s", a.timeouts, a.opts.Timeout))
		case e.Code == sdk.CodePluginUnreachable || e.Code == codeTimeout:
			a.healthCheck()
		}
		a.retryOrFail(ctx, p, e, rec)
	}
	a.dispatch(ctx)
	a.maybeDrained(ctx)
}

// learn corrects the limiter from an answer the platform gave: its quota
// feedback, its bans, and — for the adaptive rate — whether it said the
// call was over its limit. It also counts calls in a row that timed out.
func (a *platformActor) learn(p *pending, m *attemptDone, e *sdk.Error) {
	now := time.Now()
	if e != nil && e.Code == codeTimeout {
		a.timeouts++
	} else {
		a.timeouts = 0
	}
	throttled := e != nil && e.Kind == sdk.KindRateLimited
	if throttled && e.RetryAfter > 0 {
		a.bucket.PauseUntil(now.Add(e.RetryAfter))
	}
	if q := m.result.quota(); q != nil && q.GetLimit() > 0 {
		var reset time.Time
		if q.GetReset_() != nil {
			reset = q.GetReset_().AsTime()
		}
		a.bucket.Observe(float64(q.GetRemaining()), reset)
	}
	if a.adaptive != nil && p.cost > 0 {
		a.adaptive.Observe(throttled, p.cost, m.reserved, now)
	}
}

// breakerVerdict is what the circuit breaker hears of an attempt: only
// UNAVAILABLE (timeouts included) counts against the platform's health.
// Rate limiting is the limiter's business, and the caller's own deadline
// says nothing about the platform.
func breakerVerdict(e *sdk.Error) error {
	switch {
	case e == nil:
		return nil
	case e.Code == codeDeadline:
		return errExcluded
	case e.Kind == sdk.KindRateLimited:
		return errExcluded
	case e.Kind == sdk.KindUnavailable:
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
func (a *platformActor) circuitOpen() *sdk.Error {
	wait := max(time.Until(a.openUntil), time.Second)
	return sdk.RateLimited(wait, CodeCircuitOpen,
		fmt.Sprintf("platform %s is failing; calls are refused until %s (last error: %s)", a.opts.Name, a.openUntil.Format(time.TimeOnly), a.lastErr))
}

// retryOrFail schedules another attempt when the error is retryable,
// attempts remain, the retry budget allows and the wait fits before the
// caller's deadline; otherwise it answers the caller with the error. The
// attempt's record goes to the observer first, so that whoever gets the
// answer also sees it counted.
func (a *platformActor) retryOrFail(ctx actor.Context, p *pending, e *sdk.Error, rec CallRecord) {
	delay := a.opts.Retry.Backoff.Delay(p.attempts, e.RetryAfter, a.opts.Rand)
	retry := e.Kind.Retryable() && p.attempts < a.opts.Retry.MaxAttempts && a.state != State_STATE_STOPPING &&
		e.Code != codeDeadline && time.Now().Add(delay).Before(p.deadline)
	// A rate-limited retry waits for the time the platform named and is
	// paced by the limiter: it cannot storm, so it does not spend the
	// budget, which is kept for failures the platform did not pace.
	if retry && e.Kind != sdk.KindRateLimited && !a.budget.TryWithdraw() {
		retry, rec.BudgetExhausted = false, true
	}
	a.opts.Observer.CallFinished(rec)
	if !retry {
		a.reply(ctx, p, &CallResult{Attempts: int32(p.attempts), Error: sdk.ErrorToProto(e), BudgetExhausted: rec.BudgetExhausted})
		return
	}
	a.retrying[p] = struct{}{}
	p.retry = time.AfterFunc(delay, func() { a.send(&retryDue{p: p}) })
}

// asPlatformError normalises an attempt's error to an *sdk.Error; nil
// stays nil.
func asPlatformError(err error) *sdk.Error {
	if err == nil {
		return nil
	}
	if e, ok := sdk.AsError(err); ok {
		return e
	}
	return sdk.Unavailable("call_failed", err.Error())
}

func (a *platformActor) reply(ctx actor.Context, p *pending, res *CallResult) {
	if p.sender != nil {
		ctx.Send(p.sender, res)
	}
}

func (a *platformActor) failQueued(ctx actor.Context, e *pluginv1.Error) {
	for {
		p := a.pop()
		if p == nil {
			return
		}
		a.reply(ctx, p, &CallResult{Attempts: int32(p.attempts), Error: e})
	}
}

// failExpired answers queued calls whose deadline passed while the plugin
// could not be started.
func (a *platformActor) failExpired(ctx actor.Context) {
	now := time.Now()
	for pri := range a.queue {
		keep := a.queue[pri][:0]
		for _, p := range a.queue[pri] {
			if now.After(p.deadline) {
				a.reply(ctx, p, &CallResult{Attempts: int32(p.attempts), Error: sdk.ErrorToProto(
					sdk.Unavailable("plugin_unavailable", fmt.Sprintf("plugin could not be started before the deadline: %s", a.lastErr)))})
				continue
			}
			keep = append(keep, p)
		}
		a.queue[pri] = keep
	}
}

func (a *platformActor) drain(ctx actor.Context) {
	if ctx.Sender() != nil {
		a.drainWaiters = append(a.drainWaiters, ctx.Sender())
	}
	if a.state != State_STATE_STOPPING {
		a.state = State_STATE_STOPPING
		stopping := sdk.ErrorToProto(sdk.Unavailable("stopping", fmt.Sprintf("platform %s is shutting down", a.opts.Name)))
		a.failQueued(ctx, stopping)
		for p := range a.retrying {
			p.retry.Stop()
			a.reply(ctx, p, &CallResult{Attempts: int32(p.attempts), Error: stopping})
		}
		clear(a.retrying)
	}
	a.maybeDrained(ctx)
}

func (a *platformActor) maybeDrained(ctx actor.Context) {
	if a.state != State_STATE_STOPPING || a.inFlight > 0 || len(a.drainWaiters) == 0 {
		return
	}
	if a.conn != nil {
		a.conn.Kill()
		a.conn = nil
	}
	for _, w := range a.drainWaiters {
		ctx.Send(w, &Drained{})
	}
	a.drainWaiters = nil
}

func (a *platformActor) shutdown(ctx actor.Context, reason string) {
	if a.stopHealth != nil {
		a.stopHealth()
	}
	a.state = State_STATE_STOPPING
	for p := range a.retrying {
		p.retry.Stop()
	}
	if a.conn != nil {
		a.conn.Kill()
		a.conn = nil
	}
	a.log.Debug("platform actor stopping", "reason", reason)
}

func (a *platformActor) status() *Status {
	s := &Status{
		Name: a.opts.Name, Plugin: a.opts.Plugin, Version: a.desc.Version, State: a.state,
		Concurrency: int32(a.opts.Concurrency), InFlight: int32(a.inFlight), Queued: int32(a.queued()),
		Restarts: int32(a.restarts), LastError: a.lastErr, LimitSource: a.source,
	}
	if !a.lastErrAt.IsZero() {
		s.LastErrorAt = timestamppb.New(a.lastErrAt)
	}
	for _, c := range a.desc.Capabilities {
		s.Capabilities = append(s.Capabilities, c.String())
	}
	if a.bucket != nil {
		s.Rate, s.Burst, s.Tokens = a.bucket.Rate(), int32(a.bucket.Burst()), a.bucket.Tokens()
		s.ConfiguredRate, s.Adaptive = a.ceiling, a.adaptive != nil
	}
	s.Breaker = a.breaker.State().String()
	if a.breaker.State() == gobreaker.StateOpen {
		s.BreakerUntil = timestamppb.New(a.openUntil)
	}
	s.RetryBudget = a.budget.Balance()
	for _, op := range sdk.Operations {
		if n := a.desc.Limits.MaxBatch(op, 0); n > 0 {
			if s.MaxBatch == nil {
				s.MaxBatch = map[string]int32{}
			}
			s.MaxBatch[op.String()] = int32(n)
		}
	}
	return s
}
