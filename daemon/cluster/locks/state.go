package locks

import (
	"slices"
	"time"
)

// Op is what a command does to a lock.
type Op string

const (
	OpAcquire Op = "acquire" // take the lock, or queue for it when Wait
	OpRelease Op = "release" // the holder lets go, or a waiter leaves the queue
	OpExpire  Op = "expire"  // the leader's timer found a holder or waiter gone
	OpUndelay Op = "undelay" // the leader's lock-delay after a lost holder is over
)

// Command is one change to the lock table, the payload of a raft log entry.
type Command struct {
	Op     Op            `json:"op"`
	Name   string        `json:"name"`
	Holder string        `json:"holder,omitempty"`
	TTL    time.Duration `json:"ttl,omitempty"`
	Wait   bool          `json:"wait,omitempty"`
	// Token names the grant a release or expiry is about; 0 means the
	// holder's place in the queue.
	Token uint64 `json:"token,omitempty"`
	// Delay says the leader will hold the lock back after this expiry;
	// the leader decides it so that every replica applies it alike.
	Delay bool `json:"delay,omitempty"`
}

// Waiter is a holder queued for a lock.
type Waiter struct {
	Holder string        `json:"holder"`
	TTL    time.Duration `json:"ttl"`
}

// Lock is one named lock. A lock with no holder, no waiters and no delay
// is not kept.
type Lock struct {
	Name   string        `json:"name"`
	Holder string        `json:"holder,omitempty"`
	Token  uint64        `json:"token,omitempty"` // raft index at grant
	TTL    time.Duration `json:"ttl,omitempty"`
	// Delayed says the lock's last holder was lost (not released) and
	// nobody gets it until the leader's lock-delay is over.
	Delayed bool     `json:"delayed,omitempty"`
	Waiters []Waiter `json:"waiters,omitempty"`
}

func (l *Lock) clone() Lock {
	c := *l
	c.Waiters = slices.Clone(l.Waiters)
	return c
}

// Outcome says how a command went.
type Outcome string

const (
	Granted   Outcome = "granted"    // the lock is the holder's (now or already)
	Busy      Outcome = "busy"       // someone else holds it, or it is delayed
	Queued    Outcome = "queued"     // the holder waits in line
	Released  Outcome = "released"   // the holder let go or left the queue
	Expired   Outcome = "expired"    // the holder or waiter is gone
	Undelayed Outcome = "undelayed"  // the lock-delay is over
	NotHolder Outcome = "not_holder" // the command names a grant that is no longer current
)

// Result is what applying a command did. Next is the grant a release,
// expiry or end of delay handed to the first waiter, if any.
type Result struct {
	Outcome Outcome
	Lock    Lock
	Next    *Lock
}

// State is the lock table. Apply is deterministic: replicas that apply the
// same commands at the same indexes hold the same table.
type State struct {
	Locks map[string]*Lock `json:"locks"`
}

// NewState is an empty table.
func NewState() *State { return &State{Locks: map[string]*Lock{}} }

// Apply applies cmd, committed at index.
func (s *State) Apply(index uint64, cmd Command) Result {
	l := s.Locks[cmd.Name]
	if l == nil {
		l = &Lock{Name: cmd.Name}
	}
	res := s.apply(l, index, cmd)
	if l.Holder == "" && !l.Delayed && len(l.Waiters) == 0 {
		delete(s.Locks, l.Name)
	} else {
		s.Locks[l.Name] = l
	}
	res.Lock = l.clone()
	return res
}

func (s *State) apply(l *Lock, index uint64, cmd Command) Result {
	switch cmd.Op {
	case OpAcquire:
		if l.Holder == cmd.Holder {
			return Result{Outcome: Granted}
		}
		first := len(l.Waiters) == 0 || l.Waiters[0].Holder == cmd.Holder
		if l.Holder == "" && !l.Delayed && first {
			l.dequeue(cmd.Holder)
			l.Holder, l.Token, l.TTL = cmd.Holder, index, cmd.TTL
			return Result{Outcome: Granted}
		}
		if !cmd.Wait {
			return Result{Outcome: Busy}
		}
		if !slices.ContainsFunc(l.Waiters, func(w Waiter) bool { return w.Holder == cmd.Holder }) {
			l.Waiters = append(l.Waiters, Waiter{Holder: cmd.Holder, TTL: cmd.TTL})
		}
		return Result{Outcome: Queued}
	case OpRelease, OpExpire:
		outcome := Released
		if cmd.Op == OpExpire {
			outcome = Expired
		}
		if cmd.Token == 0 {
			if !l.dequeue(cmd.Holder) {
				return Result{Outcome: NotHolder}
			}
			return Result{Outcome: outcome, Next: l.grantNext(index)}
		}
		if l.Holder != cmd.Holder || l.Token != cmd.Token {
			return Result{Outcome: NotHolder}
		}
		l.Holder, l.Token, l.TTL = "", 0, 0
		if cmd.Op == OpExpire && cmd.Delay {
			l.Delayed = true
			return Result{Outcome: outcome}
		}
		return Result{Outcome: outcome, Next: l.grantNext(index)}
	case OpUndelay:
		if !l.Delayed {
			return Result{Outcome: NotHolder}
		}
		l.Delayed = false
		return Result{Outcome: Undelayed, Next: l.grantNext(index)}
	}
	return Result{Outcome: NotHolder}
}

// dequeue removes holder from the queue and says whether it was there.
func (l *Lock) dequeue(holder string) bool {
	n := len(l.Waiters)
	l.Waiters = slices.DeleteFunc(l.Waiters, func(w Waiter) bool { return w.Holder == holder })
	return len(l.Waiters) != n
}

// grantNext gives a free lock to its first waiter.
func (l *Lock) grantNext(index uint64) *Lock {
	if l.Holder != "" || l.Delayed || len(l.Waiters) == 0 {
		return nil
	}
	w := l.Waiters[0]
	l.Waiters = l.Waiters[1:]
	l.Holder, l.Token, l.TTL = w.Holder, index, w.TTL
	next := l.clone()
	return &next
}
