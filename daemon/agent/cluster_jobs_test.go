package agent

import (
	"bytes"
	"strings"
	"sync"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/marketsync/marketsync/actors/job"
	"github.com/marketsync/marketsync/config"
	"github.com/marketsync/marketsync/daemon/cluster/jobrec"
	"github.com/marketsync/marketsync/daemon/jobs"
)

// logBuffer is a log sink the agent's goroutines write to at once.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// A listing job ran on this node, moved to node b, which listed and
// collected more, and came back: this node's copy has fewer items than
// the table. The node takes the table's tail into its copy and resumes
// the job, once: it is not refused, so not claimed again at every
// adoption round with an error each time.
func TestAJobMovedBackCatchesUpWithTheTable(t *testing.T) {
	var logs logBuffer
	a, token := soloClusterAgent(t, &config.Config{Platforms: []config.Platform{{Name: "tb"}}}, "platform/tb", &logs)
	c, cj := a.cluster, a.cluster.jobs
	// The job's earlier grants, a's then b's, are older than a's lease
	// now: a raft index past the bootstrap configuration's.
	if token < 2 {
		t.Fatalf("this node's token %d leaves no room for b's older one", token)
	}

	ids := []string{"101", "102", "103", "104"}
	mine := &job.Job{Id: "job-1", Kind: job.Kind_KIND_COLLECT, Platform: "tb", State: job.State_STATE_RUNNING,
		Step: job.Step_STEP_COLLECTING, Scope: "shop:7", Cursor: "page-2"}
	apply := func(cmd jobrec.Command) {
		t.Helper()
		cmd.ID, cmd.Platform = mine.GetId(), "tb"
		if res, err := c.node.ApplyJob(cmd, applyTimeout); err != nil || res.Outcome != jobrec.Applied {
			t.Fatalf("%s by %s: %v %v", cmd.Op, cmd.Owner, res.Outcome, err)
		}
	}
	settled := func(it *job.Item) jobrec.Item {
		b, err := proto.Marshal(it)
		if err != nil {
			t.Fatal(err)
		}
		return jobrec.Item{Index: it.GetIndex(), State: int32(it.GetState()), Data: b}
	}
	record := func(j *job.Job) []byte {
		b, err := proto.Marshal(j)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// This node listed two ids and collected one, in the table first,
	// then in its own store.
	first := &job.Item{Index: 0, Id: ids[0], State: job.ItemState_ITEM_SUCCEEDED}
	apply(jobrec.Command{Op: jobrec.OpCreate, Owner: "a", Token: 0, Job: record(mine), Request: ids[:2]})
	apply(jobrec.Command{Op: jobrec.OpCheckpoint, Owner: "a", Token: 0, Items: []jobrec.Item{settled(first)}})
	if err := a.jobs.Create(proto.CloneOf(mine), ids[:2]); err != nil {
		t.Fatal(err)
	}
	if err := a.jobs.Commit(proto.CloneOf(mine), []*job.Item{first}, nil); err != nil {
		t.Fatal(err)
	}
	// b took the account over, listed the next page and settled two more.
	theirs := proto.CloneOf(mine)
	theirs.Cursor = "page-3"
	apply(jobrec.Command{Op: jobrec.OpClaim, Owner: "b", Token: 1})
	apply(jobrec.Command{Op: jobrec.OpCheckpoint, Owner: "b", Token: 1, Job: record(theirs), Request: ids[2:], From: 2,
		Items: []jobrec.Item{
			settled(&job.Item{Index: 1, Id: ids[1], State: job.ItemState_ITEM_SUCCEEDED}),
			settled(&job.Item{Index: 2, Id: ids[2], State: job.ItemState_ITEM_FAILED}),
		}})

	// Two adoption rounds, as the loop runs them a second apart.
	cj.adopt(t.Context(), "tb")
	cj.adopt(t.Context(), "tb")
	if n := strings.Count(logs.String(), "cannot rebuild"); n != 0 {
		t.Fatalf("the job was refused %d times:\n%s", n, logs.String())
	}
	if n := strings.Count(logs.String(), "resumed a job of an account taken over"); n != 1 {
		t.Fatalf("the job was resumed %d times, want once:\n%s", n, logs.String())
	}
	local, err := a.jobs.Get(mine.GetId())
	if err != nil {
		t.Fatal(err)
	}
	if local.GetTotal() != int32(len(ids)) || local.GetCursor() != "page-3" {
		t.Fatalf("this node's copy: %d items, cursor %q; want the table's %d and %q", local.GetTotal(), local.GetCursor(), len(ids), "page-3")
	}
	items, err := a.jobs.Items(mine.GetId(), jobs.ItemFilter{})
	if err != nil {
		t.Fatal(err)
	}
	want := []job.ItemState{job.ItemState_ITEM_SUCCEEDED, job.ItemState_ITEM_SUCCEEDED, job.ItemState_ITEM_FAILED}
	for i, it := range items {
		if it.GetId() != ids[i] || i < len(want) && it.GetState() != want[i] {
			t.Fatalf("item %d is %s %v, want %s %v", i, it.GetId(), it.GetState(), ids[i], want[min(i, len(want)-1)])
		}
	}
	if len(items) != len(ids) {
		t.Fatalf("%d items in this node's copy, want %d", len(items), len(ids))
	}
}
