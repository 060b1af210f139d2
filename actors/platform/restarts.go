package platform

// The restart policy: how often the plugin may be restarted before the
// platform is marked failed. It is Nomad's RestartTracker
// (client/allocrunner/taskrunner/restarts): restarts are counted within an
// interval that starts at the first of them; past the allowed attempts
// the platform fails, visibly, instead of looping.

import (
	"fmt"
	"strings"
	"time"
)

// RestartMode says what a platform does once its plugin has used up its
// restart attempts.
type RestartMode string

const (
	// RestartDelay keeps the platform failed for RestartPolicy.Delay, then
	// tries the plugin again with a fresh count of attempts.
	RestartDelay RestartMode = "delay"
	// RestartFail keeps the platform failed until its block is reloaded or
	// the agent restarts.
	RestartFail RestartMode = "fail"
)

// RestartPolicy bounds plugin restarts: at most Attempts restarts within
// Interval (crashes, hangs, failed health checks and failed launches all
// count), then Mode. Between allowed restarts the actor waits
// Options.Restart's backoff.
type RestartPolicy struct {
	Attempts int
	Interval time.Duration
	Delay    time.Duration
	Mode     RestartMode
}

// restartTracker counts the restarts of the current interval.
type restartTracker struct {
	policy RestartPolicy
	start  time.Time // of the current interval; zero before any restart
	count  int       // restarts asked for in the interval, the refused one included
	cause  string    // what the plugin did, "failed" when it did several things
}

// allow records that the plugin needs a restart because it did cause
// ("exited", "hung") at now, and says whether the policy allows it.
func (t *restartTracker) allow(now time.Time, cause string) bool {
	if t.start.IsZero() || now.Sub(t.start) > t.policy.Interval {
		t.start, t.count, t.cause = now, 0, cause
	}
	t.count++
	if cause != t.cause {
		t.cause = "failed"
	}
	return t.count <= t.policy.Attempts
}

// reset starts a fresh count, after the delay of RestartDelay mode.
func (t *restartTracker) reset() { t.start, t.count, t.cause = time.Time{}, 0, "" }

// exhausted says why the policy gave up: "plugin exited 6 times in 1m".
func (t *restartTracker) exhausted() string {
	return fmt.Sprintf("plugin %s %d times in %s", t.cause, t.count, shortDuration(t.policy.Interval))
}

// shortDuration writes d without zero units: "1m", "1h30m", "90s" stays
// "1m30s".
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
