package platform

import (
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/marketsync/marketsync/actors/platform/retry"
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
	Restart retry.Policy
	// RestartPolicy bounds how many restarts happen before the platform
	// fails.
	RestartPolicy RestartPolicy
	Observer      Observer
	Logger        *slog.Logger
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
	if o.RestartPolicy.Attempts <= 0 {
		o.RestartPolicy.Attempts = 5
	}
	if o.RestartPolicy.Interval <= 0 {
		o.RestartPolicy.Interval = 5 * time.Minute
	}
	if o.RestartPolicy.Delay <= 0 {
		o.RestartPolicy.Delay = 5 * time.Minute
	}
	if o.RestartPolicy.Mode == "" {
		o.RestartPolicy.Mode = RestartDelay
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
