package simkit

import (
	"math"
	"time"
)

// Throttle is how a simulated gateway tells a client that a call was over
// its rate limit, where the platform's documents leave a choice: whether
// the message states how long the ban lasts, whether a Retry-After header
// says it. Each simulator documents which variants its platform can give
// and which is the default; a benchmark of a client's limiter runs them
// all.
type Throttle int

const (
	// ThrottleDefault is the simulator's default: the platform's
	// documented answer, or the simulator's stated choice where there is
	// none.
	ThrottleDefault Throttle = iota
	// ThrottleBan states the ban in the error message, in whole seconds
	// (BanSeconds), as TOP's "This ban will last for N more seconds".
	ThrottleBan
	// ThrottleRetryAfter sends a Retry-After header of whole seconds
	// (BanSeconds), and states no ban in the message.
	ThrottleRetryAfter
	// ThrottleNoHint gives the platform's rate-limit code and nothing that
	// says when to come back.
	ThrottleNoHint
)

// String names the variant.
func (t Throttle) String() string {
	switch t {
	case ThrottleBan:
		return "stated ban"
	case ThrottleRetryAfter:
		return "Retry-After"
	case ThrottleNoHint:
		return "no hint"
	}
	return "default"
}

// Or returns t, or def when t is ThrottleDefault.
func (t Throttle) Or(def Throttle) Throttle {
	if t == ThrottleDefault {
		return def
	}
	return t
}

// BanSeconds is a wait as gateways state it: whole seconds, rounded up,
// at least one. A bucket that refills in 200 ms still bans for a second.
func BanSeconds(wait time.Duration) int64 {
	return max(int64(math.Ceil(wait.Seconds())), 1)
}
