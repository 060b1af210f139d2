package robotsim

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// Window limits each robot (by key) to N messages in any window of Per;
// the message that passes it is refused and the robot is refused
// everything for Ban (0: only the passing messages are refused).
type Window struct {
	N        int
	Per, Ban time.Duration

	arrivals map[string][]time.Time
	banned   map[string]time.Time
}

// Allow counts a message to key at now and says whether it is within the
// limit. The caller serialises calls.
func (w *Window) Allow(key string, now time.Time) bool {
	if w.arrivals == nil {
		w.arrivals, w.banned = map[string][]time.Time{}, map[string]time.Time{}
	}
	if until, ok := w.banned[key]; ok && now.Before(until) {
		return false
	}
	var kept []time.Time
	for _, t := range w.arrivals[key] {
		if now.Sub(t) < w.Per {
			kept = append(kept, t)
		}
	}
	kept = append(kept, now)
	w.arrivals[key] = kept
	if len(kept) > w.N {
		if w.Ban > 0 {
			w.banned[key] = now.Add(w.Ban)
		}
		return false
	}
	return true
}

// Entry is one accepted message of type T.
type Entry[T any] struct {
	At      time.Time
	Key     string
	Payload T
}

// Log keeps what a simulator accepted and refused. Its methods lock Mu,
// which the simulator holds around its own checks too.
type Log[T any] struct {
	Mu       sync.Mutex
	accepted []Entry[T]
	refused  map[int]int
	faults   []int
	arrived  chan struct{}
}

// Accept records a message; the caller holds Mu.
func (l *Log[T]) Accept(at time.Time, key string, p T) {
	l.accepted = append(l.accepted, Entry[T]{At: at, Key: key, Payload: p})
	if l.arrived != nil {
		close(l.arrived)
		l.arrived = nil
	}
}

// Arrived is closed when the next message is accepted, for tests that
// wait on a real clock.
func (l *Log[T]) Arrived() <-chan struct{} {
	l.Mu.Lock()
	defer l.Mu.Unlock()
	if l.arrived == nil {
		l.arrived = make(chan struct{})
	}
	return l.arrived
}

// Refuse counts an answer with a non-zero code; the caller holds Mu.
func (l *Log[T]) Refuse(code int) {
	if l.refused == nil {
		l.refused = map[int]int{}
	}
	l.refused[code]++
}

// NextFault returns the next injected code, if any; the caller holds Mu.
func (l *Log[T]) NextFault() (int, bool) {
	if len(l.faults) == 0 {
		return 0, false
	}
	c := l.faults[0]
	l.faults = l.faults[1:]
	return c, true
}

// FailNext makes the next len(codes) valid messages fail with the codes.
func (l *Log[T]) FailNext(codes ...int) {
	l.Mu.Lock()
	defer l.Mu.Unlock()
	l.faults = append(l.faults, codes...)
}

// Messages returns the accepted messages.
func (l *Log[T]) Messages() []Entry[T] {
	l.Mu.Lock()
	defer l.Mu.Unlock()
	return append([]Entry[T](nil), l.accepted...)
}

// Refused returns how many answers carried each non-zero code.
func (l *Log[T]) Refused() map[int]int {
	l.Mu.Lock()
	defer l.Mu.Unlock()
	out := map[int]int{}
	for k, v := range l.refused {
		out[k] = v
	}
	return out
}

// MaxIn is the most messages to key accepted within any window of d.
func (l *Log[T]) MaxIn(key string, d time.Duration) int {
	msgs := l.Messages()
	best := 0
	for i, a := range msgs {
		if a.Key != key {
			continue
		}
		n := 0
		for _, b := range msgs[i:] {
			if b.Key == key && b.At.Sub(a.At) < d {
				n++
			}
		}
		best = max(best, n)
	}
	return best
}

// Transport is an http.RoundTripper that serves each request with a
// simulator in the caller's goroutine: notifiers send real requests
// without a socket, so tests under testing/synctest keep their clock.
type Transport struct{ Handler http.Handler }

// RoundTrip implements http.RoundTripper.
func (t Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.Handler.ServeHTTP(rec, req)
	return rec.Result(), nil
}

// Client is an http.Client over Transport{h}.
func Client(h http.Handler) *http.Client { return &http.Client{Transport: Transport{Handler: h}} }
