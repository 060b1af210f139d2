package jobrec

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sync"
)

// Tag is the first byte of a raft log entry that holds a Command, so that
// one raft log carries the lock commands (JSON objects, which start with
// '{') and these.
const Tag byte = 'J'

// MaxFinished is how many finished jobs the table keeps, the oldest
// dropped first: enough to answer a status request long after a job ends,
// bounded so the table (and each snapshot) does not grow without end.
const MaxFinished = 1000

// Op is what a command does to a record.
type Op string

const (
	// OpCreate records a new job: its request, its owner and token.
	OpCreate Op = "create"
	// OpCheckpoint records what the owner made of a batch: item outcomes,
	// the job record, ids a listing added.
	OpCheckpoint Op = "checkpoint"
	// OpClaim makes a node the job's owner, with the token of its lease
	// on the job's platform account; it answers with the record, as of
	// the claim, for the new owner to resume from.
	OpClaim Op = "claim"
)

// Item states, as the job actors number them (job.ItemState).
const (
	ItemPending   = 0
	ItemSucceeded = 1
	ItemFailed    = 2
)

// Kind is what a record is a job of: "" a collect job, KindSync a sync
// run (written before there were kinds, a record without one is a collect
// job).
type Kind string

// KindSync is the kind of a sync run's record: Platform is its target
// store, Request the source products it planned, and a succeeded item
// names the store's product (Remote, Variants) it was written to.
const KindSync Kind = "sync"

// Item is one checkpointed item. Data is the job actors' record of it
// (protobuf), opaque here; State says whether it is done.
type Item struct {
	Index int32  `json:"index"`
	State int32  `json:"state"`
	Data  []byte `json:"data"`
	// Remote and Variants, for a sync run's item written to the store,
	// are the store's id of the product and of each SKU's variant: the
	// binding a node taking the run over records without writing again.
	Remote   string            `json:"remote,omitempty"`
	Variants map[string]string `json:"variants,omitempty"`
}

// Command is one change to the table, the payload of a raft log entry
// after Tag.
type Command struct {
	Op       Op     `json:"op"`
	ID       string `json:"id"`
	Kind     Kind   `json:"kind,omitempty"`
	Platform string `json:"platform,omitempty"`
	Owner    string `json:"owner"`
	// Token is the owner's fencing token on the platform account (the
	// raft index at which its lease was granted).
	Token uint64 `json:"token"`
	// Job is the job record (protobuf), opaque here.
	Job []byte `json:"job,omitempty"`
	// Request are the entries of a new job (create), or the ids a
	// listing page added, numbered on from the record's last (checkpoint).
	Request []string `json:"request,omitempty"`
	// From is how many entries the record had before a checkpoint's
	// Request: a command committed twice (a retry after a leader change
	// left its outcome unknown) then adds its ids once.
	From  int    `json:"from,omitempty"`
	Items []Item `json:"items,omitempty"`
	// Final says the job is over.
	Final bool `json:"final,omitempty"`
}

// Encode is cmd as a raft log entry.
func Encode(cmd Command) ([]byte, error) {
	b, err := json.Marshal(cmd)
	if err != nil {
		return nil, err
	}
	return append([]byte{Tag}, b...), nil
}

// Record is one job as the cluster knows it.
type Record struct {
	ID       string   `json:"id"`
	Kind     Kind     `json:"kind,omitempty"`
	Platform string   `json:"platform"`
	Owner    string   `json:"owner"`
	Token    uint64   `json:"token"`
	Job      []byte   `json:"job"`
	Request  []string `json:"request"`
	// Items are the checkpointed items by index; an index not there is
	// pending as the request made it.
	Items     map[int32]Item `json:"items,omitempty"`
	Succeeded int32          `json:"succeeded"`
	Failed    int32          `json:"failed"`
	Final     bool           `json:"final,omitempty"`
	// Index is the raft index of the record's last change.
	Index uint64 `json:"index"`
}

// Done counts the items that succeeded or failed.
func (r *Record) Done() int32 { return r.Succeeded + r.Failed }

func (r *Record) clone() Record {
	c := *r
	c.Request = slices.Clone(r.Request)
	c.Items = maps.Clone(r.Items)
	return c
}

// Outcome says how a command went.
type Outcome string

const (
	Applied Outcome = "applied"
	// Stale: the command's token is older than the record's, or the same
	// token names another owner; another node owns the job now.
	Stale Outcome = "stale"
	// Unknown: no such job (or it exists already, for a create).
	Unknown Outcome = "unknown"
	Exists  Outcome = "exists"
)

// Result is what applying a command did, with the record after it.
type Result struct {
	Outcome Outcome `json:"outcome"`
	Record  Record  `json:"record"`
}

// Table is the replicated job table. Apply is deterministic.
type Table struct {
	Jobs map[string]*Record `json:"jobs"`
}

// fenced says whether a write with owner and token may change r: a
// newer grant supersedes the record's, the record's own grant continues.
func fenced(r *Record, owner string, token uint64) bool {
	return token > r.Token || token == r.Token && owner == r.Owner
}

// Apply applies cmd, committed at index.
func (t *Table) Apply(index uint64, cmd Command) Result {
	r := t.Jobs[cmd.ID]
	if cmd.Op == OpCreate {
		if r != nil {
			return Result{Outcome: Exists, Record: r.clone()}
		}
		r = &Record{ID: cmd.ID, Kind: cmd.Kind, Platform: cmd.Platform, Owner: cmd.Owner, Token: cmd.Token, Job: cmd.Job,
			Request: cmd.Request, Items: map[int32]Item{}, Final: cmd.Final, Index: index}
		t.Jobs[cmd.ID] = r
		t.prune()
		return Result{Outcome: Applied, Record: r.clone()}
	}
	if r == nil {
		return Result{Outcome: Unknown}
	}
	if !fenced(r, cmd.Owner, cmd.Token) {
		return Result{Outcome: Stale, Record: r.clone()}
	}
	if cmd.Op != OpClaim && cmd.Op != OpCheckpoint {
		return Result{Outcome: Unknown}
	}
	if len(cmd.Request) > 0 && cmd.Op == OpCheckpoint && cmd.From+len(cmd.Request) > len(r.Request) && cmd.From != len(r.Request) {
		// A page that does not follow the record's last entry: a gap.
		return Result{Outcome: Unknown, Record: r.clone()}
	}
	r.Owner, r.Token, r.Index = cmd.Owner, cmd.Token, index
	switch cmd.Op {
	case OpClaim:
	case OpCheckpoint:
		if cmd.Job != nil {
			r.Job = cmd.Job
		}
		if cmd.From == len(r.Request) {
			r.Request = append(r.Request, cmd.Request...)
		} // else a replay of a page already added
		if r.Items == nil {
			r.Items = map[int32]Item{}
		}
		for _, it := range cmd.Items {
			old := r.Items[it.Index]
			r.count(old.State, -1)
			r.count(it.State, 1)
			r.Items[it.Index] = it
		}
		if cmd.Final && !r.Final {
			r.Final = true
			t.prune()
		}
	}
	return Result{Outcome: Applied, Record: r.clone()}
}

func (r *Record) count(state int32, by int32) {
	switch state {
	case ItemSucceeded:
		r.Succeeded += by
	case ItemFailed:
		r.Failed += by
	}
}

// prune drops the oldest finished jobs past MaxFinished.
func (t *Table) prune() {
	var finished []*Record
	for _, r := range t.Jobs {
		if r.Final {
			finished = append(finished, r)
		}
	}
	if len(finished) <= MaxFinished {
		return
	}
	slices.SortFunc(finished, func(a, b *Record) int { return cmpIndex(a.Index, b.Index) })
	for _, r := range finished[:len(finished)-MaxFinished] {
		delete(t.Jobs, r.ID)
	}
}

func cmpIndex(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// FSM holds the table for raft; package cluster routes the entries that
// start with Tag to it.
type FSM struct {
	mu    sync.Mutex
	table Table
}

// NewFSM is an FSM with an empty table.
func NewFSM() *FSM { return &FSM{table: Table{Jobs: map[string]*Record{}}} }

// Apply decodes and applies one entry (Tag, then a Command as JSON).
func (f *FSM) Apply(index uint64, data []byte) any {
	if len(data) == 0 || data[0] != Tag {
		return fmt.Errorf("job record entry at index %d has no tag", index)
	}
	var cmd Command
	if err := json.Unmarshal(data[1:], &cmd); err != nil {
		return fmt.Errorf("job record command at index %d: %w", index, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.table.Apply(index, cmd)
}

// Get returns the job's record as this replica has applied it.
func (f *FSM) Get(id string) (Record, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.table.Jobs[id]
	if !ok {
		return Record{}, false
	}
	return r.clone(), true
}

// Unfinished lists the unfinished jobs of platform, of every kind, oldest
// first (ids are ULIDs).
func (f *FSM) Unfinished(platform string) []Record {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Record
	for _, id := range slices.Sorted(maps.Keys(f.table.Jobs)) {
		if r := f.table.Jobs[id]; !r.Final && r.Platform == platform {
			out = append(out, r.clone())
		}
	}
	return out
}

// Summary is what a list of jobs shows of a record: its request and
// items left out, Total the request's length.
type Summary struct {
	ID       string
	Kind     Kind
	Platform string
	Owner    string
	// Job is the job record (protobuf) as of the last change.
	Job                      []byte
	Total, Succeeded, Failed int32
	Final                    bool
}

// Summaries lists the records of platform ("": of every platform),
// newest first (ids are ULIDs).
func (f *FSM) Summaries(platform string) []Summary {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Summary
	for _, id := range slices.Backward(slices.Sorted(maps.Keys(f.table.Jobs))) {
		r := f.table.Jobs[id]
		if platform != "" && r.Platform != platform {
			continue
		}
		out = append(out, Summary{ID: r.ID, Kind: r.Kind, Platform: r.Platform, Owner: r.Owner, Job: r.Job,
			Total: int32(len(r.Request)), Succeeded: r.Succeeded, Failed: r.Failed, Final: r.Final})
	}
	return out
}

// State is the table as JSON, for a raft snapshot.
func (f *FSM) State() ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return json.Marshal(&f.table)
}

// Load replaces the table with one State wrote; empty input is an empty
// table (a snapshot from before jobs were replicated).
func (f *FSM) Load(b []byte) error {
	t := Table{}
	if len(b) > 0 {
		if err := json.Unmarshal(b, &t); err != nil {
			return fmt.Errorf("restore job table: %w", err)
		}
	}
	if t.Jobs == nil {
		t.Jobs = map[string]*Record{}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.table = t
	return nil
}
