package faultinject

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Schedule decides which of a rule's matching requests get the fault.
// Requests are numbered from 1 per rule, counting every request the rule's
// Match accepts from when the rule was added (whether or not an earlier
// rule injected into it). The zero Schedule is Always.
type Schedule struct {
	kind       scheduleKind
	p          float64
	every, run int64
	from, to   int64
	start, end time.Time
}

type scheduleKind int

const (
	always scheduleKind = iota
	probability
	bursts
	requests
	between
)

// Always injects into every matching request.
func Always() Schedule { return Schedule{} }

// Probability injects into each matching request with probability p, drawn
// from the rule's random source: the same seed and the same sequence of
// requests give the same choices.
func Probability(p float64) Schedule { return Schedule{kind: probability, p: p} }

// EveryNth injects into the nth, 2nth, 3nth… matching request.
func EveryNth(n int64) Schedule { return Bursts(n, 1) }

// Bursts injects into the last run requests of every period of every
// requests: Bursts(10, 3) hits requests 8, 9, 10, 18, 19, 20, …
func Bursts(every, run int64) Schedule { return Schedule{kind: bursts, every: every, run: run} }

// Next injects into the next n matching requests, a burst starting now.
func Next(n int64) Schedule { return Requests(1, n) }

// Requests injects into matching requests from to to, both included.
func Requests(from, to int64) Schedule { return Schedule{kind: requests, from: from, to: to} }

// Between injects into matching requests that arrive, by the injector's
// clock, at or after start and before end.
func Between(start, end time.Time) Schedule { return Schedule{kind: between, start: start, end: end} }

func (s Schedule) validate() error {
	switch s.kind {
	case probability:
		if !(s.p >= 0 && s.p <= 1) {
			return fmt.Errorf("probability %v is not in [0, 1]", s.p)
		}
	case bursts:
		if s.every < 1 || s.run < 1 || s.run > s.every {
			return fmt.Errorf("bursts of %d every %d: want 1 <= run <= every", s.run, s.every)
		}
	case requests:
		if s.from < 1 || s.to < s.from {
			return fmt.Errorf("requests %d to %d: want 1 <= from <= to", s.from, s.to)
		}
	case between:
		if !s.start.Before(s.end) {
			return fmt.Errorf("window %v to %v is empty", s.start, s.end)
		}
	}
	return nil
}

// fires says whether the nth matching request, arriving at now, gets the
// fault. A probability schedule draws from rng on every call, so the draws
// follow the requests one to one.
func (s Schedule) fires(n int64, now time.Time, rng *rand.Rand) bool {
	switch s.kind {
	case probability:
		return rng.Float64() < s.p
	case bursts:
		return (n-1)%s.every >= s.every-s.run
	case requests:
		return n >= s.from && n <= s.to
	case between:
		return !now.Before(s.start) && now.Before(s.end)
	}
	return true
}
