package simkit

import (
	"sync"
	"time"
)

// Clock tells a simulator the time.
type Clock interface {
	Now() time.Time
}

// Wall is the real clock.
var Wall Clock = wallClock{}

type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

// ClockFunc adapts a function such as a simulator's Options.Now to Clock.
type ClockFunc func() time.Time

// Now calls f.
func (f ClockFunc) Now() time.Time { return f() }

// ClockOf returns now as a Clock, or Wall when now is nil: what a
// simulator does with an optional Options.Now.
func ClockOf(now func() time.Time) Clock {
	if now == nil {
		return Wall
	}
	return ClockFunc(now)
}

// FakeClock is a clock that moves only when told to. A test sets the time,
// exhausts a quota, advances the clock by the wait the simulator asked
// for and calls again, without sleeping. Its methods are safe for
// concurrent use.
type FakeClock struct {
	mu      sync.Mutex
	t       time.Time
	waiters []waiter
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

// NewFakeClock returns a clock standing at t.
func NewFakeClock(t time.Time) *FakeClock { return &FakeClock{t: t} }

// Now returns the clock's time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d and fires the channels of After
// whose time has come.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(c.t) {
			kept = append(kept, w)
			continue
		}
		w.ch <- c.t
	}
	c.waiters = kept
}

// After returns a channel that receives the clock's time once the clock
// has been advanced by d or more, as time.After does on the wall clock.
// It fits faultinject.Options.After, so slow faults wait for the test.
func (c *FakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.t
		return ch
	}
	c.waiters = append(c.waiters, waiter{at: c.t.Add(d), ch: ch})
	return ch
}
