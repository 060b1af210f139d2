package cluster

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/hashicorp/raft"

	"github.com/marketsync/marketsync/daemon/cluster/jobrec"
	"github.com/marketsync/marketsync/daemon/cluster/locks"
)

// fsm is the servers' raft state machine: the lock table and the job
// table in one log. A job entry starts with jobrec.Tag; every other entry
// is a lock command, as before jobs were replicated, so an existing log
// replays unchanged.
type fsm struct {
	locks *locks.FSM
	jobs  *jobrec.FSM
}

func (f *fsm) Apply(l *raft.Log) any {
	if len(l.Data) > 0 && l.Data[0] == jobrec.Tag {
		return f.jobs.Apply(l.Index, l.Data)
	}
	return f.locks.Apply(l)
}

// snapshotV2 is a snapshot of both tables. A snapshot without "v" is the
// lock table alone, as written before jobs were replicated.
type snapshotV2 struct {
	V     int             `json:"v"`
	Locks json.RawMessage `json:"locks"`
	Jobs  json.RawMessage `json:"jobs"`
}

func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	l, err := f.locks.State()
	if err != nil {
		return nil, err
	}
	j, err := f.jobs.State()
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(snapshotV2{V: 2, Locks: l, Jobs: j})
	return locks.StateSnapshot(b), err
}

func (f *fsm) Restore(r io.ReadCloser) error {
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("read raft snapshot: %w", err)
	}
	var s snapshotV2
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("read raft snapshot: %w", err)
	}
	if s.V == 0 {
		s.Locks, s.Jobs = b, nil
	}
	if err := f.locks.Load(s.Locks); err != nil {
		return err
	}
	return f.jobs.Load(s.Jobs)
}
