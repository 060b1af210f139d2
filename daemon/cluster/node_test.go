package cluster_test

import (
	"errors"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/marketsync/marketsync/daemon/cluster"
	"github.com/marketsync/marketsync/daemon/cluster/clustertest"
	"github.com/marketsync/marketsync/daemon/cluster/locks"
	"github.com/marketsync/marketsync/daemon/cluster/membership"
)

func voters(t *testing.T, n *cluster.Node) []string {
	t.Helper()
	peers, err := n.RaftPeers()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range peers {
		if p.Voter {
			ids = append(ids, p.ID)
		}
	}
	slices.Sort(ids)
	return ids
}

func TestBootstrapExpectFormsOneRaft(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t)
		c.servers("a", "b", "c")
		leader := c.leader()
		for name, n := range c.nodes {
			clustertest.Eventually(t, 10*time.Second, name+" knows three voters", func() bool {
				return slices.Equal(voters(t, n), []string{"a", "b", "c"})
			})
		}
		if api := c.nodes["a"].LeaderAPI(); api != "api-"+leader.Name() {
			t.Fatalf("a says the leader's API is %q, the leader is %s", api, leader.Name())
		}
	})
}

// Until bootstrap_expect servers are seen, nobody bootstraps.
func TestNoBootstrapBelowExpect(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t)
		c.start("a", true, 3)
		c.start("b", true, 3)
		clustertest.Eventually(t, 5*time.Second, "a and b see each other", func() bool {
			return len(c.nodes["a"].Membership().Alive()) == 2
		})
		time.Sleep(10 * time.Second) // virtual: long past any election timeout
		synctest.Wait()
		for name, n := range c.nodes {
			if n.IsLeader() {
				t.Fatalf("%s leads with two of three expected servers", name)
			}
		}
		c.start("c", true, 3)
		c.leader()
	})
}

func TestBootstrapExpectDisagreementIsReported(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t)
		c.start("a", true, 2)
		c.start("b", true, 3)
		clustertest.Eventually(t, 10*time.Second, "a reports b's bootstrap_expect", func() bool {
			return c.nodes["a"].Problem() != ""
		})
		time.Sleep(10 * time.Second) // virtual
		synctest.Wait()
		if c.nodes["a"].IsLeader() || c.nodes["b"].IsLeader() {
			t.Fatal("a cluster bootstrapped although its servers disagree on bootstrap_expect")
		}
		t.Log(c.nodes["a"].Problem())
	})
}

// A server that joins after bootstrap is added by the leader.
func TestLateServerIsAdded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t)
		c.servers("a", "b", "c")
		leader := c.leader()
		c.start("d", true, 0)
		// The leader hears of d through gossip: at the latest at the next
		// push-pull (every 30 s) should every broadcast miss it.
		clustertest.Eventually(t, 40*time.Second, "d is a voter", func() bool {
			return slices.Equal(voters(t, leader), []string{"a", "b", "c", "d"})
		})
	})
}

// A failed server is removed after the grace period, not before; one that
// leaves is removed at once.
func TestDeadServerRemovedAfterGrace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t)
		c.servers("a", "b", "c", "d", "e")
		leader := c.leader()
		var victim, leaver string
		for _, name := range []string{"a", "b", "c", "d", "e"} {
			if name == leader.Name() {
				continue
			}
			if victim == "" {
				victim = name
			} else if leaver == "" {
				leaver = name
			}
		}
		c.kill(victim)
		killed := time.Now()
		clustertest.Eventually(t, 60*time.Second, victim+" removed from raft", func() bool {
			return !slices.Contains(voters(t, leader), victim)
		})
		// Gossip needs a few seconds to declare it failed; the grace
		// period runs from then.
		if waited := time.Since(killed); waited < 10*time.Second {
			t.Fatalf("%s was removed %s after it died, before the 10s grace period", victim, waited)
		}
		if err := c.nodes[leaver].Leave(time.Second); err != nil {
			t.Fatal(err)
		}
		delete(c.nodes, leaver)
		left := time.Now()
		clustertest.Eventually(t, 30*time.Second, leaver+" removed from raft", func() bool {
			return !slices.Contains(voters(t, leader), leaver)
		})
		waited := time.Since(left)
		var seen membership.Status
		for _, m := range leader.Membership().Members() {
			if m.Name == leaver {
				seen = m.Status
			}
		}
		switch {
		case seen == membership.Left && waited >= 10*time.Second:
			t.Fatalf("a server the leader saw leave was removed after %s, as if it had failed", waited)
		case seen == membership.Failed && waited < 10*time.Second:
			t.Fatalf("a server the leader saw fail was removed after %s, within the grace period", waited)
		case seen == membership.Failed:
			// Rare: its goodbye did not reach the leader before it was gone,
			// so the leader treated it as failed, grace period and all.
			t.Logf("%s's leave did not reach the leader; removed as failed after %s", leaver, waited)
		case seen != membership.Left:
			t.Fatalf("the leader sees %s as %q", leaver, seen)
		}
	})
}

func TestLockGrantQueueAndRelease(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t)
		c.servers("a", "b", "c")
		s := svc(c.leader())
		ctx := t.Context()
		l1, err := s.Acquire(ctx, "account/taobao/main", "erp-1", 5*time.Second, false)
		if err != nil || l1.Token == 0 || l1.Holder != "erp-1" {
			t.Fatalf("acquire: %+v, %v", l1, err)
		}
		again, err := s.Acquire(ctx, "account/taobao/main", "erp-1", 5*time.Second, false)
		if err != nil || again.Token != l1.Token {
			t.Fatalf("re-acquire by the holder: %+v, %v; want token %d", again, err, l1.Token)
		}
		if _, err := s.Acquire(ctx, "account/taobao/main", "erp-2", 5*time.Second, false); !errors.Is(err, locks.ErrBusy) {
			t.Fatalf("second holder without wait: %v, want ErrBusy", err)
		}
		got := make(chan locks.Lease)
		go func() {
			l, err := s.Acquire(ctx, "account/taobao/main", "erp-2", 5*time.Second, true)
			if err != nil {
				t.Error(err)
			}
			got <- l
		}()
		synctest.Wait()
		list, _ := s.List(ctx)
		if len(list) != 1 || len(list[0].Waiters) != 1 || list[0].Waiters[0].Holder != "erp-2" {
			t.Fatalf("lock table with a waiter: %+v", list)
		}
		if err := s.Release(ctx, "account/taobao/main", "erp-2", l1.Token); !errors.Is(err, locks.ErrNotHolder) {
			t.Fatalf("release by a non-holder: %v", err)
		}
		if err := s.Release(ctx, "account/taobao/main", "erp-1", l1.Token); err != nil {
			t.Fatal(err)
		}
		l2 := <-got
		if l2.Holder != "erp-2" || l2.Token <= l1.Token {
			t.Fatalf("waiter's grant %+v after %+v: want erp-2 with a larger token", l2, l1)
		}
		if _, err := s.Renew(ctx, "account/taobao/main", "erp-1", l1.Token); !errors.Is(err, locks.ErrNotHolder) {
			t.Fatalf("renew of a released grant: %v", err)
		}
	})
}

// A holder that stops renewing loses the lock after its TTL; a waiter gets
// it only once the lock-delay is over; renewing keeps a lease alive.
func TestLeaseExpiryAndLockDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t)
		c.servers("a", "b", "c")
		s := svc(c.leader())
		ctx := t.Context()
		kept, err := s.Acquire(ctx, "kept", "h", 2*time.Second, false)
		if err != nil {
			t.Fatal(err)
		}
		lost, err := s.Acquire(ctx, "lost", "h", 2*time.Second, false)
		if err != nil {
			t.Fatal(err)
		}
		granted := time.Now()
		var next locks.Lease
		var gotAt time.Time
		done := make(chan struct{})
		go func() {
			defer close(done)
			next, err = s.Acquire(ctx, "lost", "w", 2*time.Second, true)
			gotAt = time.Now()
		}()
		for range 10 { // 5s of renewals every 500ms
			time.Sleep(500 * time.Millisecond)
			if _, err := s.Renew(ctx, "kept", "h", kept.Token); err != nil {
				t.Fatalf("renew after %s: %v", time.Since(granted), err)
			}
		}
		<-done
		if err != nil {
			t.Fatal(err)
		}
		// TTL 2s, then lock-delay 2s.
		if waited := gotAt.Sub(granted); waited < 4*time.Second || waited > 5*time.Second {
			t.Fatalf("waiter got a lost lock %s after the grant; want TTL + lock-delay (4s) and little more", waited)
		}
		if next.Token <= lost.Token {
			t.Fatalf("new token %d not above %d", next.Token, lost.Token)
		}
		if _, err := s.Renew(ctx, "lost", "h", lost.Token); !errors.Is(err, locks.ErrNotHolder) {
			t.Fatalf("renew of an expired lease: %v", err)
		}
	})
}

// A new leader knows the locks and gives each a fresh full TTL: the holder
// keeps its grant and token, and loses it only a full TTL after takeover.
func TestNewLeaderGrantsFullTTL(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t)
		c.servers("a", "b", "c")
		old := c.leader()
		l, err := svc(old).Acquire(t.Context(), "x", "h", 20*time.Second, false)
		if err != nil {
			t.Fatal(err)
		}
		c.kill(old.Name())
		leader := c.leader()
		took := time.Now()
		if got, _ := svc(leader).FSM().Get("x"); got.Holder != "h" || got.Token != l.Token {
			t.Fatalf("the new leader's table: %+v", got)
		}
		// Nobody renews: the lease ends a full TTL after the takeover
		// (the leader took over at most one Eventually step before took).
		clustertest.Eventually(t, 60*time.Second, "the lease expires", func() bool {
			got, _ := svc(leader).FSM().Get("x")
			return got.Holder == ""
		})
		if held := time.Since(took); held < 20*time.Second-2*clustertest.Step {
			t.Fatalf("lease ended %s after takeover, before its TTL", held)
		}
		if _, err := svc(leader).Renew(t.Context(), "x", "h", l.Token); !errors.Is(err, locks.ErrNotHolder) {
			t.Fatalf("renew after expiry: %v", err)
		}
	})
}
