package locks

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"sync"

	"github.com/hashicorp/raft"
)

// FSM is the lock table as a raft state machine. Readers may wait for a
// lock to change with Watch.
type FSM struct {
	mu      sync.Mutex
	state   *State
	changed chan struct{} // closed and replaced on every change
}

// NewFSM is an FSM with an empty table.
func NewFSM() *FSM { return &FSM{state: NewState(), changed: make(chan struct{})} }

// Apply decodes and applies one committed command; it returns a Result, or
// an error for an entry it cannot read.
func (f *FSM) Apply(entry *raft.Log) any {
	var cmd Command
	if err := json.Unmarshal(entry.Data, &cmd); err != nil {
		return fmt.Errorf("lock command at index %d: %w", entry.Index, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	res := f.state.Apply(entry.Index, cmd)
	close(f.changed)
	f.changed = make(chan struct{})
	return res
}

// Watch returns a channel closed at the next change of the table.
func (f *FSM) Watch() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.changed
}

// Get returns the named lock as this replica has applied it.
func (f *FSM) Get(name string) (Lock, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l, ok := f.state.Locks[name]
	if !ok {
		return Lock{Name: name}, false
	}
	return l.clone(), true
}

// List returns every lock, by name.
func (f *FSM) List() []Lock {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Lock, 0, len(f.state.Locks))
	for _, name := range slices.Sorted(maps.Keys(f.state.Locks)) {
		out = append(out, f.state.Locks[name].clone())
	}
	return out
}

// Snapshot copies the table; raft writes it out while applying goes on.
func (f *FSM) Snapshot() (raft.FSMSnapshot, error) {
	b, err := f.State()
	return StateSnapshot(b), err
}

// Restore replaces the table with a snapshot's.
func (f *FSM) Restore(r io.ReadCloser) error {
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("restore lock table: %w", err)
	}
	return f.Load(b)
}

// State is the table as JSON, what a snapshot holds; a state machine that
// holds more than locks (package cluster's) snapshots it with the rest.
func (f *FSM) State() ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return json.Marshal(f.state)
}

// Load replaces the table with one State wrote.
func (f *FSM) Load(b []byte) error {
	s := NewState()
	if err := json.Unmarshal(b, s); err != nil {
		return fmt.Errorf("restore lock table: %w", err)
	}
	if s.Locks == nil {
		s.Locks = map[string]*Lock{}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.state = s
	close(f.changed)
	f.changed = make(chan struct{})
	return nil
}

// StateSnapshot is a raft snapshot of state already copied out of a state
// machine, such as State's.
type StateSnapshot []byte

func (s StateSnapshot) Persist(sink raft.SnapshotSink) error {
	if _, err := sink.Write(s); err != nil {
		sink.Cancel()
		return err
	}
	return sink.Close()
}

func (s StateSnapshot) Release() {}
