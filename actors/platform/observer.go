package platform

import (
	"strings"
	"time"

	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/model"
)

// Observer receives what the actor does, for metrics and statistics. Its
// methods are called from the actor's goroutines and must not block.
type Observer interface {
	// CallFinished reports one plugin call (one attempt).
	CallFinished(CallRecord)
	// PluginRestarted reports that the plugin is being restarted and why.
	PluginRestarted(platform, reason string)
	// BreakerChanged reports the circuit breaker's new state: "closed",
	// "open" or "half-open".
	BreakerChanged(platform, state string)
}

// StateObserver is an Observer that also hears of state changes: the
// platform went failed or unauthorized (with why), or ready again after
// a restart or a failure.
type StateObserver interface {
	StateChanged(platform string, state State, reason string)
}

// stateChanged tells the observer of a state change, if it listens.
func (a *platformActor) stateChanged(state State, reason string) {
	if o, ok := a.opts.Observer.(StateObserver); ok {
		o.StateChanged(a.opts.Name, state, reason)
	}
}

// CallRecord describes one attempt of one call.
type CallRecord struct {
	Platform  string
	Operation sdk.Operation
	Priority  Priority
	// Outcome is "ok", "timeout" or the error kind in lower case
	// ("rate_limited", "unavailable", "invalid", "auth", "not_found",
	// "conflict").
	Outcome string
	// Code is the platform's error code, empty on success.
	Code    string
	Latency time.Duration
	// Waited is the time spent waiting for rate-limit tokens.
	Waited time.Duration
	// Attempt counts from 1; above 1 the call is a retry.
	Attempt int
	Items   int
	// BudgetExhausted is set when the call was worth retrying but the
	// retry budget refused.
	BudgetExhausted bool
}

// Outcome names for CallRecord.
const (
	OutcomeOK      = "ok"
	OutcomeTimeout = "timeout"
)

func outcomeOf(e *model.Error) string {
	if e == nil {
		return OutcomeOK
	}
	if e.Code == codeTimeout {
		return OutcomeTimeout
	}
	return strings.ToLower(e.GetKind().Name())
}

type nopObserver struct{}

func (nopObserver) CallFinished(CallRecord)        {}
func (nopObserver) PluginRestarted(string, string) {}
func (nopObserver) BreakerChanged(string, string)  {}
