package sim

import "time"

// limiter is the gateway's per-app limit as a generic cell rate algorithm:
// it keeps the theoretical arrival time of the next call, tat. A call at
// now is allowed while tat - now <= burst*interval - interval, that is
// while no more than burst calls are "ahead" of the sustained rate, and
// otherwise told exactly how long until it would be. Integer durations
// keep it exact under a fake clock.
type limiter struct {
	interval time.Duration // one call's worth of time at the sustained rate
	slack    time.Duration // (burst-1) * interval
	tat      time.Time
}

func newLimiter(rate float64, burst int, now time.Time) *limiter {
	interval := time.Duration(float64(time.Second) / rate)
	return &limiter{interval: interval, slack: time.Duration(burst-1) * interval, tat: now}
}

// take admits a call at now, or returns how long until one would be.
func (l *limiter) take(now time.Time) (time.Duration, bool) {
	tat := l.tat
	if tat.Before(now) {
		tat = now
	}
	if wait := tat.Sub(now) - l.slack; wait > 0 {
		return wait, true
	}
	l.tat = tat.Add(l.interval)
	return 0, false
}
