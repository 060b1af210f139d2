package cluster

import (
	"bytes"
	"io"
	"testing"

	"github.com/hashicorp/raft"

	"github.com/marketsync/marketsync/daemon/cluster/jobrec"
	"github.com/marketsync/marketsync/daemon/cluster/locks"
)

type memSink struct{ bytes.Buffer }

func (*memSink) ID() string    { return "mem" }
func (*memSink) Cancel() error { return nil }
func (*memSink) Close() error  { return nil }

// One log carries lock and job commands; a snapshot holds both tables,
// and a snapshot of the lock table alone (as written before jobs were
// replicated) still restores.
func TestFSMSnapshotHoldsLocksAndJobs(t *testing.T) {
	f := &fsm{locks: locks.NewFSM(), jobs: jobrec.NewFSM()}
	if res, ok := f.Apply(&raft.Log{Index: 3, Data: []byte(`{"op":"acquire","name":"owner/platform/tb","holder":"a","ttl":1000000000}`)}).(locks.Result); !ok || res.Outcome != locks.Granted {
		t.Fatalf("lock command: %+v", res)
	}
	b, _ := jobrec.Encode(jobrec.Command{Op: jobrec.OpCreate, ID: "j", Platform: "tb", Owner: "a", Token: 3})
	if res, ok := f.Apply(&raft.Log{Index: 4, Data: b}).(jobrec.Result); !ok || res.Outcome != jobrec.Applied {
		t.Fatalf("job command: %+v", res)
	}
	snap, err := f.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	var sink memSink
	if err := snap.Persist(&sink); err != nil {
		t.Fatal(err)
	}
	g := &fsm{locks: locks.NewFSM(), jobs: jobrec.NewFSM()}
	if err := g.Restore(io.NopCloser(bytes.NewReader(sink.Bytes()))); err != nil {
		t.Fatal(err)
	}
	if l, ok := g.locks.Get("owner/platform/tb"); !ok || l.Token != 3 {
		t.Fatalf("lock after restore: %+v", l)
	}
	if r, ok := g.jobs.Get("j"); !ok || r.Owner != "a" {
		t.Fatalf("job after restore: %+v", r)
	}

	old, _ := f.locks.State()
	h := &fsm{locks: locks.NewFSM(), jobs: jobrec.NewFSM()}
	if err := h.Restore(io.NopCloser(bytes.NewReader(old))); err != nil {
		t.Fatal(err)
	}
	if l, ok := h.locks.Get("owner/platform/tb"); !ok || l.Token != 3 {
		t.Fatalf("lock after restoring a locks-only snapshot: %+v", l)
	}
}
