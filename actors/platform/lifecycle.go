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
			a.fail(ctx, "plugin refused its config: "+m.err.Error(), false)
			return
		}
		a.relaunch(ctx, "failed to start", m.err.Error())
		return
	}
	a.ready(m.conn)
	a.dispatch(ctx)
}

// ready takes a configured plugin into service.
func (a *platformActor) ready(conn Conn) {
	a.conn = conn
	a.desc = conn.Description()
	if a.state != State_STATE_READY && a.state != State_STATE_STARTING {
		a.stateChanged(State_STATE_READY, "")
	}
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

// restart replaces a dead or unresponsive plugin, which did cause
// ("exited", "hung"), after a backoff. Calls in flight on the old one
// fail and are retried on the new one.
func (a *platformActor) restart(ctx actor.Context, cause, reason string) {
	if a.state != State_STATE_READY {
		return
	}
	a.state = State_STATE_RESTARTING
	a.setErr(errors.New(reason))
	old := a.conn
	a.conn = nil
	go old.Kill()
	a.relaunch(ctx, cause, reason)
}

// relaunch starts a new plugin process after a backoff, when the restart
// policy allows another restart; otherwise the platform fails.
func (a *platformActor) relaunch(ctx actor.Context, cause, reason string) {
	if !a.tracker.allow(time.Now(), cause) {
		a.fail(ctx, a.tracker.exhausted(), a.opts.RestartPolicy.Mode == RestartDelay)
		return
	}
	a.restarts++
	a.restartAttempt++
	a.opts.Observer.PluginRestarted(a.opts.Name, reason)
	delay := a.opts.Restart.Delay(a.restartAttempt, 0, a.opts.Rand)
	a.log.Warn("restarting plugin", "reason", reason, "restarts", a.restarts, "in", delay)
	a.failExpired(ctx)
	time.AfterFunc(delay, func() { a.send(&launchNow{}) })
}

// fail takes the platform out of service for reason: calls fail at once
// until, with retry (the restart policy's delay mode), its plugin is tried
// again after the policy's delay, or else until a reload.
func (a *platformActor) fail(ctx actor.Context, reason string, retry bool) {
	a.state, a.reason, a.retryAt = State_STATE_FAILED, reason, time.Time{}
	if retry {
		a.retryAt = time.Now().Add(a.opts.RestartPolicy.Delay)
		time.AfterFunc(a.opts.RestartPolicy.Delay, func() { a.send(&launchNow{}) })
	}
	a.log.Error("platform failed", "reason", reason, "last_error", a.lastErr, "retry_at", a.retryAt)
	a.stateChanged(State_STATE_FAILED, reason)
	a.failWaiting(ctx, a.refusal())
}

// unauthorized takes the platform out of service after the platform
// rejected its credentials (e, an AUTH failure of a whole call): calls fail
// at once, without reaching the plugin, until the block is reloaded. The
// plugin's message says which settings to check; the platform's name goes
// before it.
func (a *platformActor) unauthorized(ctx actor.Context, e *model.Error) {
	a.state, a.authCode = State_STATE_UNAUTHORIZED, e.GetCode()
	a.reason = fmt.Sprintf("%s.%s: %s", a.opts.Plugin, a.opts.Name, e.GetMessage())
	a.setErr(errors.New(a.reason))
	a.log.Error("the platform rejected the credentials; calls fail until the platform block is fixed and reloaded", "code", e.GetCode(), "reason", a.reason)
	a.stateChanged(State_STATE_UNAUTHORIZED, a.reason)
	a.failWaiting(ctx, a.refusal())
}

// refusal is the error of every call while the platform is failed or
// unauthorized, nil otherwise. Its retry-after is when asking again may
// help: when a failed plugin is tried again, else recheckAfter.
func (a *platformActor) refusal() *model.Error {
	switch a.state {
	case State_STATE_UNAUTHORIZED:
		return model.NewError(model.KindAuth, a.authCode, a.reason, recheckAfter)
	case State_STATE_FAILED:
		msg := fmt.Sprintf("platform %s failed: %s", a.opts.Name, a.reason)
		if a.retryAt.IsZero() {
			return model.NewError(model.KindUnavailable, CodePlatformFailed, msg+"; fix the platform block and reload", recheckAfter)
		}
		msg += "; the plugin is tried again at " + a.retryAt.Format(time.TimeOnly)
		return model.NewError(model.KindUnavailable, CodePlatformFailed, msg, max(time.Until(a.retryAt), time.Second))
	}
	return nil
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
