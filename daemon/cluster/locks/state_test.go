package locks

import (
	"testing"
	"time"
)

// The state machine alone, command by command: tokens are the index of
// the granting command, waiters are served in order, a lost holder's lock
// is delayed while a released one is handed over at once, and commands
// about a grant that is no longer current change nothing.
func TestStateApply(t *testing.T) {
	s := NewState()
	idx := uint64(0)
	apply := func(c Command) Result { idx++; return s.Apply(idx, c) }
	ttl := time.Second

	if r := apply(Command{Op: OpAcquire, Name: "l", Holder: "a", TTL: ttl}); r.Outcome != Granted || r.Lock.Token != 1 {
		t.Fatalf("first acquire: %+v", r)
	}
	if r := apply(Command{Op: OpAcquire, Name: "l", Holder: "b", TTL: ttl}); r.Outcome != Busy {
		t.Fatalf("acquire without wait while held: %+v", r)
	}
	for _, h := range []string{"b", "c", "b"} {
		if r := apply(Command{Op: OpAcquire, Name: "l", Holder: h, TTL: ttl, Wait: true}); r.Outcome != Queued {
			t.Fatalf("queue %s: %+v", h, r)
		}
	}
	if got := s.Locks["l"].Waiters; len(got) != 2 || got[0].Holder != "b" || got[1].Holder != "c" {
		t.Fatalf("queue: %+v", got)
	}
	if r := apply(Command{Op: OpRelease, Name: "l", Holder: "a", Token: 99}); r.Outcome != NotHolder || s.Locks["l"].Holder != "a" {
		t.Fatalf("release with a wrong token: %+v", r)
	}
	r := apply(Command{Op: OpRelease, Name: "l", Holder: "a", Token: 1})
	if r.Outcome != Released || r.Next == nil || r.Next.Holder != "b" || r.Next.Token != idx {
		t.Fatalf("release hands over to b at index %d: %+v", idx, r)
	}
	bToken := r.Next.Token
	r = apply(Command{Op: OpExpire, Name: "l", Holder: "b", Token: bToken, Delay: true})
	if r.Outcome != Expired || r.Next != nil || !r.Lock.Delayed || r.Lock.Holder != "" {
		t.Fatalf("expiry with lock-delay: %+v", r)
	}
	if r := apply(Command{Op: OpAcquire, Name: "l", Holder: "d", TTL: ttl}); r.Outcome != Busy {
		t.Fatalf("acquire during lock-delay: %+v", r)
	}
	r = apply(Command{Op: OpUndelay, Name: "l"})
	if r.Outcome != Undelayed || r.Next == nil || r.Next.Holder != "c" || r.Next.Token <= bToken {
		t.Fatalf("end of lock-delay hands over to c: %+v", r)
	}
	if r := apply(Command{Op: OpExpire, Name: "l", Holder: "b", Token: bToken}); r.Outcome != NotHolder || s.Locks["l"].Holder != "c" {
		t.Fatalf("a stale expiry changed the lock: %+v", r)
	}
	apply(Command{Op: OpRelease, Name: "l", Holder: "c", Token: s.Locks["l"].Token})
	if _, ok := s.Locks["l"]; ok {
		t.Fatalf("a free lock with no waiters is kept: %+v", s.Locks["l"])
	}
}
