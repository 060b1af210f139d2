package platform

// The plugin process's life: launching, health checks, restarts.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/marketsync/marketsync/actors/platform/ratelimit"
	"github.com/marketsync/marketsync/sdk/model"
)

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
		if e, ok := model.AsError(m.err); ok && !e.Kind.Retryable() {
			// A refused config will not fix itself: fail fast until the
			// operator changes it.
			a.state = State_STATE_FAILED
			a.log.Error("plugin refused its config; platform disabled", "error", m.err)
			a.failQueued(ctx, e)
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
