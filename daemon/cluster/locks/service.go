package locks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// Defaults of Config.
const (
	// DefaultLockDelay holds a lock back this long after its holder was
	// lost (its lease expired) rather than released. Consul uses 15s
	// because its KV writes are not fenced. Here every store write carries
	// the fencing token and a fenced store refuses a stale one, so the
	// delay only has to cover a lost holder's unfenced side effects: the
	// one platform call it may still have on the wire, whose deadline is
	// the platform timeout's order of magnitude. 5s is that, and keeps a
	// failover (TTL + delay) near 10s.
	DefaultLockDelay = 5 * time.Second
	DefaultTTL       = 10 * time.Second
	MinTTL           = 100 * time.Millisecond
	MaxTTL           = time.Hour
	// maxName bounds lock and holder names.
	maxName = 256
)

var (
	// ErrBusy: someone else holds the lock, or it is in its lock-delay.
	ErrBusy = errors.New("lock is held by another holder")
	// ErrNotHolder: the holder's grant is not the current one; its lease
	// was lost, and with it the right to write with its token.
	ErrNotHolder = errors.New("not the current holder of the lock")
	// ErrInvalid: a bad name, holder or TTL.
	ErrInvalid = errors.New("invalid lock request")
)

// NotLeaderError says this server cannot serve a lock request because it
// is not the raft leader; Leader is the leader's raft address when known.
type NotLeaderError struct{ Leader string }

func (e *NotLeaderError) Error() string {
	if e.Leader == "" {
		return "no cluster leader: the lock service is unavailable"
	}
	return "not the cluster leader; the leader is " + e.Leader
}

// Lease is a granted lock. Token is the fencing token: pass it with every
// write the lock guards.
type Lease struct {
	Name   string
	Holder string
	Token  uint64
	TTL    time.Duration
}

// Config tunes a Service.
type Config struct {
	// LockDelay follows a lost holder; negative turns it off, zero is
	// DefaultLockDelay.
	LockDelay time.Duration
	// NoDelayPrefix names the locks that get no lock-delay at all: those
	// whose holders fence every side effect that matters with the token,
	// so a lost holder can do no harm once another holds the lock (the
	// ownership leases, "owner/"). Empty: every lock has the delay.
	NoDelayPrefix string
	// ApplyTimeout bounds each raft apply (default 5s).
	ApplyTimeout time.Duration
	Logger       *slog.Logger
}

// Service serves lock requests on a raft server. Only the leader grants,
// renews and expires; its timers are the only clocks leases follow.
type Service struct {
	raft *raft.Raft
	fsm  *FSM
	cfg  Config
	log  *slog.Logger

	mu      sync.Mutex
	leading bool
	led     chan struct{} // closed while leading; replaced when leadership ends
	timers  map[timerKey]*time.Timer
}

// timerKey names what a leader timer expires: a holder's grant (token
// > 0), a waiter's place in the queue (token 0) or, with no holder, the
// lock-delay.
type timerKey struct {
	name, holder string
	token        uint64
}

// NewService serves locks over r, whose state machine is fsm.
func NewService(r *raft.Raft, fsm *FSM, cfg Config) *Service {
	if cfg.LockDelay == 0 {
		cfg.LockDelay = DefaultLockDelay
	}
	if cfg.ApplyTimeout == 0 {
		cfg.ApplyTimeout = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Service{raft: r, fsm: fsm, cfg: cfg, log: cfg.Logger.With("component", "locks"), timers: map[timerKey]*time.Timer{}, led: make(chan struct{})}
}

// FSM is the service's state machine, for reads of the lock table.
func (s *Service) FSM() *FSM { return s.fsm }

func validate(name, holder string, ttl time.Duration) error {
	switch {
	case name == "" || len(name) > maxName:
		return fmt.Errorf("%w: a lock name must have 1 to %d bytes", ErrInvalid, maxName)
	case holder == "" || len(holder) > maxName:
		return fmt.Errorf("%w: a holder must have 1 to %d bytes", ErrInvalid, maxName)
	case ttl < MinTTL || ttl > MaxTTL:
		return fmt.Errorf("%w: ttl %s is outside %s..%s", ErrInvalid, ttl, MinTTL, MaxTTL)
	}
	return nil
}

// Acquire takes the named lock for holder with a lease of ttl (0 is
// DefaultTTL). A holder that already holds it gets its grant back, lease
// renewed. When someone else holds it, Acquire fails with ErrBusy unless
// wait, in which case the holder queues and Acquire returns once the lock
// is its, or ctx ends (the holder then leaves the queue).
func (s *Service) Acquire(ctx context.Context, name, holder string, ttl time.Duration, wait bool) (Lease, error) {
	if ttl == 0 {
		ttl = DefaultTTL
	}
	if err := validate(name, holder, ttl); err != nil {
		return Lease{}, err
	}
	cmd := Command{Op: OpAcquire, Name: name, Holder: holder, TTL: ttl, Wait: wait}
	for {
		res, err := s.apply(cmd)
		if err != nil {
			return Lease{}, err
		}
		switch res.Outcome {
		case Granted:
			return leaseOf(res.Lock), nil
		case Busy:
			return Lease{}, ErrBusy
		}
		// Queued: wait for a change that makes the lock ours, refreshing
		// our place in the queue before the waiter's lease would expire.
		refresh := time.NewTimer(ttl / 2)
		for granted := false; !granted; {
			watch := s.fsm.Watch()
			if l, _ := s.fsm.Get(name); l.Holder == holder {
				refresh.Stop()
				return leaseOf(l), nil
			}
			select {
			case <-watch:
			case <-refresh.C:
				granted = true // not granted: leave to re-apply, which refreshes
			case <-ctx.Done():
				refresh.Stop()
				s.abandon(name, holder)
				return Lease{}, ctx.Err()
			}
		}
	}
}

// abandon takes a waiter whose caller gave up out of the queue, and
// releases the lock if it was granted to it meanwhile: the caller was
// told it failed, so it will never use nor release that grant.
func (s *Service) abandon(name, holder string) {
	res, err := s.apply(Command{Op: OpRelease, Name: name, Holder: holder})
	if err == nil && res.Outcome == NotHolder {
		if l, _ := s.fsm.Get(name); l.Holder == holder {
			err = s.Release(context.Background(), name, holder, l.Token)
		}
	}
	if err != nil {
		s.log.Warn("a waiter that gave up could not leave the lock; its lease will expire", "lock", name, "holder", holder, "err", err)
	}
}

// Renew restarts the lease of holder's grant token on the leader's timer.
// It writes nothing to the log, but first makes sure this server is still
// the leader, so a deposed leader cannot renew what it no longer governs.
func (s *Service) Renew(ctx context.Context, name, holder string, token uint64) (Lease, error) {
	if err := s.verifyLeader(); err != nil {
		return Lease{}, err
	}
	l, _ := s.fsm.Get(name)
	if l.Holder != holder || l.Token != token || token == 0 {
		return Lease{}, ErrNotHolder
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := timerKey{name, holder, token}
	// No timer: it fired and its expiry is on its way to the log (or
	// leadership just ended); re-arming would report a lease that is
	// about to be gone.
	if _, ok := s.timers[k]; !ok || !s.leading {
		return Lease{}, ErrNotHolder
	}
	s.arm(k, l.TTL)
	return leaseOf(l), nil
}

// Release lets go of holder's grant token; the next waiter gets the lock
// at once (no lock-delay after a release).
func (s *Service) Release(ctx context.Context, name, holder string, token uint64) error {
	if token == 0 {
		return fmt.Errorf("%w: release needs the grant's token", ErrInvalid)
	}
	res, err := s.apply(Command{Op: OpRelease, Name: name, Holder: holder, Token: token})
	if err == nil && res.Outcome == NotHolder {
		err = ErrNotHolder
	}
	return err
}

// List returns the lock table as the leader has committed it; on a
// follower it fails with a NotLeaderError, since its copy may lag.
func (s *Service) List(ctx context.Context) ([]Lock, error) {
	if err := s.verifyLeader(); err != nil {
		return nil, err
	}
	return s.fsm.List(), nil
}

func leaseOf(l Lock) Lease { return Lease{Name: l.Name, Holder: l.Holder, Token: l.Token, TTL: l.TTL} }

func (s *Service) notLeader() error {
	addr, _ := s.raft.LeaderWithID()
	return &NotLeaderError{Leader: string(addr)}
}

func (s *Service) verifyLeader() error {
	if s.raft.State() != raft.Leader || !s.Leading() {
		return s.notLeader()
	}
	if err := s.raft.VerifyLeader().Error(); err != nil {
		return s.notLeader()
	}
	return nil
}

// apply commits cmd through raft and, on the leader, sets the timers its
// result calls for.
func (s *Service) apply(cmd Command) (Result, error) {
	// Until its timers run, a new leader could grant a lease that never
	// expires; it answers as if it were not the leader yet.
	if s.raft.State() != raft.Leader || (!s.Leading() && cmd.Op != OpExpire && cmd.Op != OpUndelay) {
		return Result{}, s.notLeader()
	}
	b, err := json.Marshal(cmd)
	if err != nil {
		return Result{}, err
	}
	f := s.raft.Apply(b, s.cfg.ApplyTimeout)
	if err := f.Error(); err != nil {
		if errors.Is(err, raft.ErrNotLeader) || errors.Is(err, raft.ErrLeadershipLost) || errors.Is(err, raft.ErrLeadershipTransferInProgress) {
			return Result{}, s.notLeader()
		}
		return Result{}, fmt.Errorf("commit lock command: %w", err)
	}
	switch r := f.Response().(type) {
	case Result:
		s.track(cmd, r)
		return r, nil
	case error:
		return Result{}, r
	default:
		return Result{}, fmt.Errorf("lock state machine answered %T", r)
	}
}

// track arms and disarms the leader's timers after a command.
func (s *Service) track(cmd Command, r Result) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.leading {
		return
	}
	switch {
	case cmd.Op == OpAcquire && r.Outcome == Granted:
		s.disarm(timerKey{cmd.Name, cmd.Holder, 0})
		s.arm(timerKey{cmd.Name, cmd.Holder, r.Lock.Token}, r.Lock.TTL)
	case cmd.Op == OpAcquire && r.Outcome == Queued:
		s.arm(timerKey{cmd.Name, cmd.Holder, 0}, cmd.TTL)
	case cmd.Op == OpRelease || cmd.Op == OpExpire:
		s.disarm(timerKey{cmd.Name, cmd.Holder, cmd.Token})
		if r.Outcome == Expired && r.Lock.Delayed {
			s.arm(timerKey{name: cmd.Name}, s.cfg.LockDelay)
		}
	}
	if n := r.Next; n != nil {
		s.disarm(timerKey{n.Name, n.Holder, 0})
		s.arm(timerKey{n.Name, n.Holder, n.Token}, n.TTL)
	}
}

// arm (re)starts the timer of k; s.mu is held.
func (s *Service) arm(k timerKey, d time.Duration) {
	if t, ok := s.timers[k]; ok {
		t.Reset(d)
		return
	}
	s.timers[k] = time.AfterFunc(d, func() { s.fire(k) })
}

func (s *Service) disarm(k timerKey) {
	if t, ok := s.timers[k]; ok {
		t.Stop()
		delete(s.timers, k)
	}
}

// fire commits what a timer found: a lost holder or waiter, or the end of
// a lock-delay. A failure leaves it to the next leader, which re-arms
// every timer when it takes over.
func (s *Service) fire(k timerKey) {
	if s.claim(k) {
		s.expire(k)
	}
}

// claim takes the timer of k out of the table, so that nothing renews
// what is about to expire; false when it was disarmed meanwhile.
func (s *Service) claim(k timerKey) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.timers[k]; !ok || !s.leading {
		return false
	}
	delete(s.timers, k)
	return true
}

// expire commits the end of what the claimed timer of k guarded.
func (s *Service) expire(k timerKey) {
	cmd := Command{Op: OpExpire, Name: k.name, Holder: k.holder, Token: k.token, Delay: k.token != 0 && s.delays(k.name)}
	if k.holder == "" {
		cmd = Command{Op: OpUndelay, Name: k.name}
	}
	res, err := s.apply(cmd)
	switch {
	case err != nil:
		s.log.Warn("lease timer could not commit", "lock", k.name, "holder", k.holder, "op", cmd.Op, "err", err)
	case res.Outcome == Expired && k.token != 0:
		s.log.Warn("lock holder lost: its lease expired", "lock", k.name, "holder", k.holder, "token", k.token, "lock_delay", cmd.Delay)
	}
}

// delays says whether a lost holder of the named lock is followed by the
// lock-delay.
func (s *Service) delays(name string) bool {
	return s.cfg.LockDelay > 0 && (s.cfg.NoDelayPrefix == "" || !strings.HasPrefix(name, s.cfg.NoDelayPrefix))
}

// LeadershipGained starts the leader's timers: once the state machine has
// applied everything committed, every holder and waiter gets a fresh full
// TTL and every delayed lock a full lock-delay, since nothing says how
// much of them the old leader had already counted.
func (s *Service) LeadershipGained() error {
	if err := s.raft.Barrier(s.cfg.ApplyTimeout).Error(); err != nil {
		return fmt.Errorf("catch up before serving locks: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.leading {
		close(s.led)
	}
	s.leading = true
	for _, l := range s.fsm.List() {
		if l.Holder != "" {
			s.arm(timerKey{l.Name, l.Holder, l.Token}, l.TTL)
		}
		if l.Delayed {
			s.arm(timerKey{name: l.Name}, s.cfg.LockDelay)
		}
		for _, w := range l.Waiters {
			s.arm(timerKey{l.Name, w.Holder, 0}, w.TTL)
		}
	}
	return nil
}

// LeadershipLost stops every timer: the next leader owns them.
func (s *Service) LeadershipLost() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.leading {
		s.led = make(chan struct{})
	}
	s.leading = false
	for k, t := range s.timers {
		t.Stop()
		delete(s.timers, k)
	}
}

// Leading says whether this server's leader timers run: it is the leader
// and has caught up with the log.
func (s *Service) Leading() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.leading
}

// WaitLeading returns once this server leads and serves locks, or with
// ctx's error.
func (s *Service) WaitLeading(ctx context.Context) error {
	s.mu.Lock()
	led := s.led
	s.mu.Unlock()
	select {
	case <-led:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
