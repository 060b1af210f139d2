package platform

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/marketsync/marketsync/actors/platform/backoff"
	"github.com/marketsync/marketsync/actors/platform/ratelimit"
	"github.com/marketsync/marketsync/sdk"
	pluginv1 "github.com/marketsync/marketsync/sdk/proto/plugin/v1"
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
	// Restart is the backoff between plugin restarts.
	Restart  backoff.Policy
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

// Retry bounds retries of one call.
type Retry struct {
	// MaxAttempts counts the first call: 1 means never retry.
	MaxAttempts int
	Backoff     backoff.Policy
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

// codeTimeout marks an attempt that got no answer within Options.Timeout.
const codeTimeout = "timeout"

// pending is a call waiting in the queue, in flight or between retries.
type pending struct {
	call     *Call
	sender   *actor.PID
	op       sdk.Operation
	items    int
	deadline time.Time
	attempts int
	retry    *time.Timer
}

// Messages the actor sends itself from its goroutines.
type (
	attemptDone struct {
		p       *pending
		conn    Conn
		result  *CallResult
		err     error
		latency time.Duration
		waited  time.Duration
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
	opts   Options
	self   *actor.PID
	root   *actor.RootContext
	log    *slog.Logger
	state  State
	conn   Conn
	desc   sdk.Description
	bucket *ratelimit.Bucket
	source string // where the limiter's settings came from

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
		a.bucket, a.source = ratelimit.New(rl.Rate, rl.Burst), source
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
	if dl := c.GetDeadline(); dl != nil {
		p.deadline = dl.AsTime()
	}
	if e := a.refuse(p); e != nil {
		a.reply(ctx, p, &CallResult{Error: sdk.ErrorToProto(e)})
		return
	}
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
				sdk.Unavailable("deadline_exceeded", "the caller's deadline passed while the call was queued"))})
			continue
		}
		if e := a.refuse(p); e != nil {
			a.reply(ctx, p, &CallResult{Attempts: int32(p.attempts), Error: sdk.ErrorToProto(e)})
			continue
		}
		a.inFlight++
		go a.attempt(p, a.conn, a.desc.Limits.Cost(p.op))
	}
}

// attempt runs one try of a call on its own goroutine: wait for tokens,
// call the plugin with a timeout, report back to the actor.
func (a *platformActor) attempt(p *pending, conn Conn, cost float64) {
	ctx, cancel := context.WithDeadline(context.Background(), p.deadline)
	defer cancel()
	var waited time.Duration
	var err error
	if cost > 0 { // free operations (URL parsing) never reach the platform
		waited, err = a.bucket.Wait(ctx, cost)
	}
	if err != nil {
		a.send(&attemptDone{p: p, conn: conn, waited: waited,
			err: sdk.Unavailable("deadline_exceeded", fmt.Sprintf("no rate-limit token before the caller's deadline: %v", err))})
		return
	}
	callCtx, cancelCall := context.WithTimeout(ctx, a.opts.Timeout)
	defer cancelCall()
	start := time.Now()
	res, err := invoke(callCtx, conn, p.call)
	latency := time.Since(start)
	if err != nil && callCtx.Err() != nil {
		if ctx.Err() != nil {
			err = sdk.Unavailable("deadline_exceeded", "the caller's deadline passed during the call")
		} else {
			err = sdk.Unavailable(codeTimeout, fmt.Sprintf("no answer from the plugin within %s", a.opts.Timeout))
		}
	}
	a.send(&attemptDone{p: p, conn: conn, result: res, err: err, latency: latency, waited: waited})
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
	a.opts.Observer.CallFinished(rec)
	switch {
	case e == nil:
		a.restartAttempt = 0
		m.result.Attempts = int32(p.attempts)
		a.reply(ctx, p, m.result)
	default:
		a.setErr(e)
		if m.conn == a.conn && (m.conn.Exited() || e.Code == sdk.CodePluginUnreachable) {
			a.restart(fmt.Sprintf("plugin unreachable: %s", e.Message))
		} else if e.Code == sdk.CodePluginUnreachable || e.Code == codeTimeout {
			a.healthCheck()
		}
		a.retryOrFail(ctx, p, e)
	}
	a.dispatch(ctx)
	a.maybeDrained(ctx)
}

// retryOrFail schedules another attempt when the error is retryable,
// attempts remain and the wait fits before the caller's deadline.
func (a *platformActor) retryOrFail(ctx actor.Context, p *pending, e *sdk.Error) {
	if !e.Kind.Retryable() || p.attempts >= a.opts.Retry.MaxAttempts || a.state == State_STATE_STOPPING {
		a.reply(ctx, p, &CallResult{Attempts: int32(p.attempts), Error: sdk.ErrorToProto(e)})
		return
	}
	delay := a.opts.Retry.Backoff.Delay(p.attempts, e.RetryAfter, a.opts.Rand)
	if !time.Now().Add(delay).Before(p.deadline) {
		a.reply(ctx, p, &CallResult{Attempts: int32(p.attempts), Error: sdk.ErrorToProto(e)})
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
	}
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
