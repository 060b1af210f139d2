package platform

// Failing queued calls, draining and status.

import (
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/model"
	"github.com/sony/gobreaker/v2"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// failWaiting answers every call not in flight, queued or waiting to be
// retried, with e.
func (a *platformActor) failWaiting(ctx actor.Context, e *model.Error) {
	for p := a.pop(); p != nil; p = a.pop() {
		a.reply(ctx, p, &CallResult{Attempts: int32(p.attempts), Error: e})
	}
	for p := range a.retrying {
		p.retry.Stop()
		a.reply(ctx, p, &CallResult{Attempts: int32(p.attempts), Error: e})
	}
	clear(a.retrying)
}

// failExpired answers queued calls whose deadline passed while the plugin
// could not be started.
func (a *platformActor) failExpired(ctx actor.Context) {
	now := time.Now()
	for pri := range a.queue {
		keep := a.queue[pri][:0]
		for _, p := range a.queue[pri] {
			if now.After(p.deadline) {
				a.reply(ctx, p, &CallResult{Attempts: int32(p.attempts), Error: model.Unavailable(model.CodePluginUnavailable, fmt.Sprintf("plugin could not be started before the deadline: %s", a.lastErr))})
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
		a.failWaiting(ctx, model.Unavailable(model.CodeStopping, fmt.Sprintf("platform %s is shutting down", a.opts.Name)))
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
		Restarts: int32(a.restarts), LastError: a.lastErr, LimitSource: a.source, Reason: a.reason,
	}
	if !a.retryAt.IsZero() {
		s.RetryAt = timestamppb.New(a.retryAt)
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
