package faultinject

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// Rule injects Fault into the requests that Match selects, when Schedule
// says so.
type Rule struct {
	// Name identifies the rule in Remove and Stats.ByRule; it must be
	// unique within an injector. Empty means "<kind>-<n>", n counting the
	// rules added so far (or more, to stay unique): "status-3".
	Name  string
	Fault Fault
	// Match selects the requests the rule considers; nil means all. It
	// may be called from many requests at once.
	Match Match
	// When picks among them; the zero Schedule is Always.
	When Schedule
	// Seed, with the injector's seed, seeds the rule's random source (for
	// Probability and Garbage). Zero derives one from Name, so rules with
	// different names draw different sequences.
	Seed uint64
}

// Options configures an Injector.
type Options struct {
	// Seed makes the random choices reproducible: the same seed, rules and
	// sequence of requests inject the same faults.
	Seed uint64
	// Now is the clock for Between schedules and Retry-After dates.
	// Default time.Now.
	Now func() time.Time
	// After waits for Slow faults. Default time.After; tests pass a
	// function returning a channel they control.
	After func(time.Duration) <-chan time.Time
}

// Injector holds the rules of one simulator. Its methods are safe to call
// from tests while requests are being served.
type Injector struct {
	seed  uint64
	now   func() time.Time
	after func(time.Duration) <-chan time.Time

	mu    sync.Mutex
	rules []*rule // replaced, never changed in place: decide reads a copy
	added int
	stats Stats
}

type rule struct {
	Rule
	seen int64
	rng  *rand.Rand
}

// Stats counts what the injector saw and did since it was made or last
// ResetStats.
type Stats struct {
	// Requests is every request that went through the middleware.
	Requests int64
	// Injected is the number of requests that got a fault.
	Injected int64
	ByKind   map[Kind]int64
	ByRule   map[string]int64
}

// New returns an injector with no rules: Wrap passes every request through
// until rules are added.
func New(o Options) *Injector {
	i := &Injector{seed: o.Seed, now: o.Now, after: o.After}
	if i.now == nil {
		i.now = time.Now
	}
	if i.after == nil {
		i.after = time.After
	}
	i.stats = newStats()
	return i
}

func newStats() Stats {
	return Stats{ByKind: map[Kind]int64{}, ByRule: map[string]int64{}}
}

// ErrDuplicateRule is returned by Add for a name already in use.
var ErrDuplicateRule = errors.New("faultinject: duplicate rule name")

// Add appends rules after those already there. Rules are tried in order
// and the first whose Match and Schedule both accept a request injects its
// fault; every rule whose Match accepts the request counts it. Add checks
// all rules first and adds none if one is invalid.
func (i *Injector) Add(rules ...Rule) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	names := map[string]bool{}
	for _, r := range i.rules {
		names[r.Name] = true
	}
	var add []*rule
	for n, r := range rules {
		if r.Name == "" {
			for k := i.added + n + 1; r.Name == "" || names[r.Name]; k++ {
				r.Name = fmt.Sprintf("%s-%d", r.Fault.kind, k)
			}
		}
		if err := r.Fault.validate(); err != nil {
			return fmt.Errorf("faultinject: rule %s: %w", r.Name, err)
		}
		if err := r.When.validate(); err != nil {
			return fmt.Errorf("faultinject: rule %s: %w", r.Name, err)
		}
		if names[r.Name] {
			return fmt.Errorf("%w: %s", ErrDuplicateRule, r.Name)
		}
		names[r.Name] = true
		seed := r.Seed
		if seed == 0 {
			h := fnv.New64a()
			h.Write([]byte(r.Name))
			seed = h.Sum64()
		}
		add = append(add, &rule{Rule: r, rng: rand.New(rand.NewPCG(i.seed, seed))})
	}
	i.rules = append(i.rules, add...)
	i.added += len(add)
	return nil
}

// Remove drops the named rule and reports whether it was there. Its counts
// stay in Stats.
func (i *Injector) Remove(name string) bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	for n, r := range i.rules {
		if r.Name == name {
			i.rules = append(i.rules[:n:n], i.rules[n+1:]...)
			return true
		}
	}
	return false
}

// Clear drops every rule; Stats are kept.
func (i *Injector) Clear() {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.rules = nil
}

// Stats returns a copy of the counters.
func (i *Injector) Stats() Stats {
	i.mu.Lock()
	defer i.mu.Unlock()
	s := i.stats
	s.ByKind = make(map[Kind]int64, len(i.stats.ByKind))
	for k, v := range i.stats.ByKind {
		s.ByKind[k] = v
	}
	s.ByRule = make(map[string]int64, len(i.stats.ByRule))
	for k, v := range i.stats.ByRule {
		s.ByRule[k] = v
	}
	return s
}

// ResetStats sets every counter to zero; rules and their schedules go on
// where they were.
func (i *Injector) ResetStats() {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.stats = newStats()
}

// decide picks the fault for r, if any. Matches run outside the lock: they
// may read the body.
func (i *Injector) decide(r *http.Request) (injection, bool) {
	i.mu.Lock()
	rules := i.rules
	i.mu.Unlock()

	matched := make([]bool, len(rules))
	for n, rl := range rules {
		matched[n] = rl.Match == nil || rl.Match(r)
	}

	i.mu.Lock()
	defer i.mu.Unlock()
	i.stats.Requests++
	now := i.now()
	var chosen *rule
	for n, rl := range rules {
		if !matched[n] {
			continue
		}
		rl.seen++
		if rl.When.fires(rl.seen, now, rl.rng) && chosen == nil {
			chosen = rl
		}
	}
	if chosen == nil {
		return injection{}, false
	}
	i.stats.Injected++
	i.stats.ByKind[chosen.Fault.kind]++
	i.stats.ByRule[chosen.Name]++
	return chosen.Fault.prepare(now, chosen.rng), true
}

// Wrap returns a handler that injects inj's faults in front of next. A nil
// inj returns next unchanged.
func Wrap(next http.Handler, inj *Injector) http.Handler {
	if inj == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, ok := inj.decide(r)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		in.serve(w, r, next, inj.after)
	})
}
