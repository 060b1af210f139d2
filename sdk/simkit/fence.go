package simkit

import (
	"fmt"
	"maps"
	"strconv"
	"sync"
)

// FencingHeader carries a writer's fencing token: the token of the lease
// that lets one node of a cluster write to the store. The platforms
// simulated here have no conditional writes; a simulator that takes this
// header models a store that has them, so a stale writer can be seen
// refused.
const FencingHeader = "X-Marketsync-Fencing-Token"

// Fence is a store's conditional writes: it lets through a write whose
// token is at least the largest it has let through, refuses the others,
// and counts both by token. A write without a token counts as token 0:
// refused once fenced writers came, let through (and not serialised)
// before. A fenced write holds the fence from Admit until its done, so
// that one let through is applied before any with a larger token is, as
// a store applying conditional writes atomically would.
type Fence struct {
	run chan struct{} // one slot: held while a fenced write is applied

	mu       sync.Mutex
	high     uint64
	accepted map[uint64]int64
	refused  map[uint64]int64
}

// FenceState is what a Fence saw.
type FenceState struct {
	// High is the largest token let through.
	High uint64
	// Accepted counts the writes applied, Refused those turned away as
	// stale, by token.
	Accepted, Refused map[uint64]int64
}

// StaleTokenError is a write refused for its token.
type StaleTokenError struct{ Token, High uint64 }

func (e *StaleTokenError) Error() string {
	return fmt.Sprintf("fencing token %d is below %d, which this store has accepted", e.Token, e.High)
}

// NewFence returns a fence that has seen no token.
func NewFence() *Fence {
	return &Fence{run: make(chan struct{}, 1), accepted: map[uint64]int64{}, refused: map[uint64]int64{}}
}

// Admit decides on a write whose FencingHeader is header ("" when absent).
// A malformed header is an error; a stale token a *StaleTokenError, with
// the refusal counted. Otherwise the write may be applied and done must
// be called once it was (applied true) or was not after all.
func (f *Fence) Admit(header string) (done func(applied bool), err error) {
	var token uint64
	if header != "" {
		if token, err = strconv.ParseUint(header, 10, 64); err != nil || token == 0 {
			return nil, fmt.Errorf("%s must be a positive integer, not %q", FencingHeader, header)
		}
	}
	if token > 0 {
		f.run <- struct{}{}
	}
	release := func() {
		if token > 0 {
			<-f.run
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if token < f.high {
		f.refused[token]++
		release()
		return nil, &StaleTokenError{Token: token, High: f.high}
	}
	f.high = token
	return func(applied bool) {
		f.mu.Lock()
		if applied {
			f.accepted[token]++
		}
		f.mu.Unlock()
		release()
	}, nil
}

// State returns a copy of what the fence saw.
func (f *Fence) State() FenceState {
	f.mu.Lock()
	defer f.mu.Unlock()
	return FenceState{High: f.high, Accepted: maps.Clone(f.accepted), Refused: maps.Clone(f.refused)}
}
