package sim

import "time"

// limiter is the app's call-frequency quota as a generic cell rate
// algorithm: calls are due one interval apart (1/rate), and up to burst of
// them may come early. It keeps one timestamp, the theoretical arrival
// time of the next call, and reads the simulator's clock, so tests drive
// it without waiting. With burst 0 no call is ever early enough: every
// call is refused.
type limiter struct {
	interval  time.Duration // 1/rate
	tolerance time.Duration // how early a call may be: (burst-1) intervals
	tat       time.Time
}

func newLimiter(rate float64, burst int) *limiter {
	interval := time.Duration(float64(time.Second) / rate)
	return &limiter{interval: interval, tolerance: time.Duration(burst-1) * interval}
}

// allow admits a call at now, or refuses it and says how long until one
// would be admitted.
func (l *limiter) allow(now time.Time) (time.Duration, bool) {
	tat := l.tat
	if tat.Before(now) {
		tat = now
	}
	if early := tat.Sub(now); early > l.tolerance {
		return early - l.tolerance, false
	}
	l.tat = tat.Add(l.interval)
	return 0, true
}
