package locks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hashicorp/raft"
)

// single starts a one-server raft in the test's bubble and returns its
// lock service once it leads.
func single(t *testing.T) *Service {
	t.Helper()
	conf := raft.DefaultConfig()
	conf.LocalID = "s"
	conf.HeartbeatTimeout = 500 * time.Millisecond
	conf.ElectionTimeout = 500 * time.Millisecond
	conf.LeaderLeaseTimeout = 250 * time.Millisecond
	conf.CommitTimeout = 10 * time.Millisecond
	conf.Logger = nil
	conf.LogLevel = "ERROR"
	store := raft.NewInmemStore()
	addr, trans := raft.NewInmemTransport("s")
	fsm := NewFSM()
	r, err := raft.NewRaft(conf, fsm, store, store, raft.NewInmemSnapshotStore(), trans)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Shutdown().Error() })
	if err := r.BootstrapCluster(raft.Configuration{Servers: []raft.Server{{ID: "s", Address: addr}}}).Error(); err != nil {
		t.Fatal(err)
	}
	<-r.LeaderCh()
	s := NewService(r, fsm, Config{LockDelay: -1, Logger: slog.New(slog.DiscardHandler)})
	if err := s.LeadershipGained(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.LeadershipLost)
	return s
}

// grantingCtx ends at the moment the lock is granted to the waiter: its
// Done, asked for by the waiting select, first releases the holder's
// grant, which hands the lock to the waiter; the select then sees both
// the grant and the end of the context.
type grantingCtx struct {
	context.Context
	release func()
	done    chan struct{}
}

func (c *grantingCtx) Done() <-chan struct{} {
	if c.release != nil {
		c.release()
		c.release = nil
		close(c.done)
	}
	return c.done
}

func (c *grantingCtx) Err() error {
	select {
	case <-c.done:
		return context.Canceled
	default:
		return nil
	}
}

// A waiter whose context ends just as the lock is granted either returns
// the grant, or leaves the lock free: it never leaves the lock held by a
// caller that was told it failed.
func TestAcquireCancelledAtGrantLeavesNoHolder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := single(t)
		// The waiting select picks at random between the grant and the
		// context's end; enough rounds see both.
		for i := range 40 {
			name := fmt.Sprintf("lock-%d", i)
			held, err := s.Acquire(t.Context(), name, "holder", time.Minute, false)
			if err != nil {
				t.Fatal(err)
			}
			ctx := &grantingCtx{Context: t.Context(), done: make(chan struct{}), release: func() {
				if err := s.Release(context.Background(), name, "holder", held.Token); err != nil {
					t.Error(err)
				}
			}}
			l, err := s.Acquire(ctx, name, "waiter", time.Minute, true)
			got, _ := s.FSM().Get(name)
			switch {
			case err == nil && (got.Holder != "waiter" || got.Token != l.Token):
				t.Fatalf("round %d: acquire returned %+v but the table says %+v", i, l, got)
			case err != nil && !errors.Is(err, context.Canceled):
				t.Fatalf("round %d: %v", i, err)
			case err != nil && got.Holder != "":
				t.Fatalf("round %d: the waiter was told %v, yet the lock is held by %q (token %d)", i, err, got.Holder, got.Token)
			}
		}
	})
}

// A renewal that comes after the lease timer fired, but before its expiry
// is committed, must fail: the lease is already being taken away.
func TestRenewAfterTimerFiredFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := single(t)
		l, err := s.Acquire(t.Context(), "x", "h", time.Second, false)
		if err != nil {
			t.Fatal(err)
		}
		k := timerKey{"x", "h", l.Token}
		// fire's first half: the timer is claimed, the expiry not yet
		// committed.
		if !s.claim(k) {
			t.Fatal("no timer armed for the grant")
		}
		if _, err := s.Renew(t.Context(), "x", "h", l.Token); !errors.Is(err, ErrNotHolder) {
			t.Fatalf("renew while the expiry is being committed: %v, want ErrNotHolder", err)
		}
		s.expire(k)
		if got, _ := s.FSM().Get("x"); got.Holder != "" {
			t.Fatalf("after the expiry the lock is held: %+v", got)
		}
	})
}
