package cluster_test

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/marketsync/marketsync/daemon/cluster"
	"github.com/marketsync/marketsync/daemon/cluster/clustertest"
	"github.com/marketsync/marketsync/daemon/cluster/jobrec"
	"github.com/marketsync/marketsync/daemon/cluster/locks"
)

// A job record and its checkpoints are committed through raft: after the
// leader dies the new leader holds them, a claim with a newer token moves
// the job and answers with its items, and the old owner's token is
// refused from then on. A follower refuses to apply.
func TestJobRecordsSurviveLeaderLoss(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t)
		c.servers("a", "b", "c")
		leader := c.leader()
		for _, n := range c.nodes {
			if n != leader {
				var nl *locks.NotLeaderError
				if _, err := n.ApplyJob(jobrec.Command{Op: jobrec.OpCreate, ID: "x"}, time.Second); !errors.As(err, &nl) {
					t.Fatalf("a follower applied a job command: %v", err)
				}
				break
			}
		}
		apply := func(n *cluster.Node, cmd jobrec.Command) jobrec.Result {
			t.Helper()
			r, err := n.ApplyJob(cmd, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		apply(leader, jobrec.Command{Op: jobrec.OpCreate, ID: "j1", Platform: "tb", Owner: leader.Name(), Token: 7, Request: []string{"1", "2"}})
		apply(leader, jobrec.Command{Op: jobrec.OpCheckpoint, ID: "j1", Owner: leader.Name(), Token: 7,
			Items: []jobrec.Item{{Index: 0, State: jobrec.ItemSucceeded, Data: []byte("it0")}}})
		old := leader.Name()
		c.kill(old)
		leader = c.leader()
		clustertest.Eventually(t, 10*time.Second, "the new leader applied the checkpoint", func() bool {
			r, ok := leader.Jobs().Get("j1")
			return ok && r.Done() == 1
		})
		if got := leader.Jobs().Unfinished("tb"); len(got) != 1 || got[0].ID != "j1" {
			t.Fatalf("unfinished jobs of tb: %+v", got)
		}
		r := apply(leader, jobrec.Command{Op: jobrec.OpClaim, ID: "j1", Owner: leader.Name(), Token: 30})
		if r.Outcome != jobrec.Applied || string(r.Record.Items[0].Data) != "it0" || len(r.Record.Request) != 2 {
			t.Fatalf("claim: %+v", r)
		}
		if r := apply(leader, jobrec.Command{Op: jobrec.OpCheckpoint, ID: "j1", Owner: old, Token: 7}); r.Outcome != jobrec.Stale {
			t.Fatalf("the lost owner's checkpoint: %v", r.Outcome)
		}
	})
}

// Locks under the no-delay prefix are free again as soon as their lost
// holder's lease ends; the others wait out the lock-delay as well.
func TestNoDelayPrefix(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t)
		for _, name := range []string{"a", "b", "c"} {
			c.start(name, true, 3, func(cfg *cluster.Config) { cfg.NoDelayPrefix = "owner/" })
		}
		s := svc(c.leader())
		ctx := t.Context()
		for name, want := range map[string]time.Duration{"owner/platform/tb": 2 * time.Second, "other": 4 * time.Second} {
			if _, err := s.Acquire(ctx, name, "h", 2*time.Second, false); err != nil {
				t.Fatal(err)
			}
			granted := time.Now()
			if _, err := s.Acquire(ctx, name, "w", 2*time.Second, true); err != nil {
				t.Fatal(err)
			}
			// TTL 2s, then the harness's lock-delay of 2s unless exempt.
			if waited := time.Since(granted); waited < want || waited > want+time.Second {
				t.Errorf("%s: a waiter got the lost lock after %s, want %s", name, waited, want)
			}
		}
	})
}
