package netns

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// event is one thing the test waits for or checks afterwards: a line an
// agent logged (kind "log", msg its message) or a lock client's call
// (kind "acquire", "renew", "release", "refused", "failed" or "ended").
type event struct {
	at     time.Time
	node   string // the agent that logged it, or the one the client calls
	client string
	kind   string
	msg    string
	attrs  map[string]string
	token  uint64
	call   time.Time // when a client's request was sent
	err    error
}

func (e event) String() string {
	switch {
	case e.kind == "log":
		return fmt.Sprintf("%s %s: %s %v", e.at.Format(time.StampMilli), e.node, e.msg, e.attrs)
	case e.err != nil:
		return fmt.Sprintf("%s %s via %s: %s token %d (sent %s): %v", e.at.Format(time.StampMilli), e.client, e.node, e.kind, e.token, e.call.Format(time.StampMilli), e.err)
	}
	return fmt.Sprintf("%s %s via %s: %s token %d (sent %s)", e.at.Format(time.StampMilli), e.client, e.node, e.kind, e.token, e.call.Format(time.StampMilli))
}

// journal is every event of a run in order; await blocks on it until an
// event of interest arrives, woken by each new one, so that no test waits
// by sleeping.
type journal struct {
	mu     sync.Mutex
	events []event
	wake   chan struct{} // closed and replaced on every add
}

func newJournal() *journal { return &journal{wake: make(chan struct{})} }

func (j *journal) add(e event) {
	if e.at.IsZero() {
		e.at = time.Now()
	}
	j.mu.Lock()
	j.events = append(j.events, e)
	close(j.wake)
	j.wake = make(chan struct{})
	j.mu.Unlock()
}

// since returns the events from index from on, the index after them and
// the channel closed by the next add.
func (j *journal) since(from int) ([]event, int, <-chan struct{}) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]event(nil), j.events[from:]...), len(j.events), j.wake
}

// all is every event so far.
func (j *journal) all() []event {
	evs, _, _ := j.since(0)
	return evs
}

// await returns the first event from index from on that match accepts,
// and the index after it; it fails the test if none comes within.
func (j *journal) await(t *testing.T, from int, within time.Duration, what string, match func(event) bool) (event, int) {
	t.Helper()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for {
		evs, next, wake := j.since(from)
		for k, e := range evs {
			if match(e) {
				return e, from + k + 1
			}
		}
		from = next
		select {
		case <-wake:
		case <-deadline.C:
			t.Fatalf("no %s within %s", what, within)
		}
	}
}

// logLine matches the agent's text log: time, level, msg, then key=value
// pairs, values quoted when they hold spaces.
var (
	logMsg  = regexp.MustCompile(`\blevel=(\w+) msg=("(?:[^"\\]|\\.)*"|\S+)`)
	logAttr = regexp.MustCompile(`\b([\w.]+)=("(?:[^"\\]|\\.)*"|\S*)`)
)

// parseLog turns one line of an agent's log into an event, or says it is
// not one.
func parseLog(node, line string) (event, bool) {
	m := logMsg.FindStringSubmatchIndex(line)
	if m == nil {
		return event{}, false
	}
	e := event{node: node, kind: "log", msg: unquote(line[m[4]:m[5]]), attrs: map[string]string{"level": line[m[2]:m[3]]}}
	for _, a := range logAttr.FindAllStringSubmatch(line[m[1]:], -1) {
		e.attrs[a[1]] = unquote(a[2])
	}
	return e, true
}

func unquote(s string) string {
	if u, err := strconv.Unquote(s); err == nil && strings.HasPrefix(s, `"`) {
		return u
	}
	return s
}

// logged matches a log event of node (any node when empty) with msg and
// the given attributes.
func logged(node, msg string, attrs ...string) func(event) bool {
	return func(e event) bool {
		if e.kind != "log" || e.msg != msg || node != "" && e.node != node {
			return false
		}
		for k := 0; k+1 < len(attrs); k += 2 {
			if e.attrs[attrs[k]] != attrs[k+1] {
				return false
			}
		}
		return true
	}
}
