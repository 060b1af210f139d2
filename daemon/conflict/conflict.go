package conflict

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/marketsync/marketsync/daemon/store"
	"github.com/oklog/ulid/v2"
)

var ns = store.Register("conflict/")

// newID returns a ULID that sorts after every one made before it by this
// process, even within one millisecond, so history keeps its order.
func newID(at time.Time) string {
	entropyMu.Lock()
	defer entropyMu.Unlock()
	return ulid.MustNew(ulid.Timestamp(at), entropy).String()
}

var (
	entropyMu sync.Mutex
	entropy   = ulid.Monotonic(rand.Reader, 0)
)

// States of a conflict.
const (
	StateOpen     = "open"
	StateResolved = "resolved"
)

// What a resolution takes.
const (
	TakeSource = "source"
	TakeRemote = "remote"
	TakeValue  = "value"
)

// Conflict is one field of one product left for a person to settle.
type Conflict struct {
	ID             string    `json:"id"`
	Pipeline       string    `json:"pipeline"`
	SourcePlatform string    `json:"source_platform"`
	SourceID       string    `json:"source_id"`
	Target         string    `json:"target"`
	RemoteID       string    `json:"remote_id,omitempty"`
	Field          string    `json:"field"` // "title[en]", "price[SKU-1]"
	Kind           string    `json:"kind"`
	Base           string    `json:"base"`
	Source         string    `json:"source"`
	Remote         string    `json:"remote"`
	State          string    `json:"state"`
	DetectedAt     time.Time `json:"detected_at"`
	// Set once resolved.
	Take       string    `json:"take,omitempty"`
	Value      string    `json:"value,omitempty"`
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
	// Applied is set once the engine wrote the resolution to the store
	// (or, for take remote, found nothing to write).
	Applied bool `json:"applied,omitempty"`
}

// Chosen is the value a resolved conflict settles on.
func (c *Conflict) Chosen() string {
	switch c.Take {
	case TakeSource:
		return c.Source
	case TakeValue:
		return c.Value
	}
	return c.Remote
}

// Decision is how one field of one product was settled by a sync.
type Decision struct {
	Pipeline string    `json:"pipeline"`
	Target   string    `json:"target"`
	Field    string    `json:"field"`
	Base     string    `json:"base"`
	Source   string    `json:"source"`
	Remote   string    `json:"remote"`
	Chosen   string    `json:"chosen"`
	Rule     string    `json:"rule"`
	Pushed   bool      `json:"pushed"`
	JobID    string    `json:"job_id,omitempty"`
	At       time.Time `json:"at"`
}

// Keys, relative to the namespace (names hold no "/", ids no NUL):
//
//	c/<id>                                        → the Conflict (JSON)
//	o/<pipeline>/<platform>/<id> NUL <field>      → the id of its open conflict
//	d/<platform>/<id> NUL <ulid>                  → a Decision (JSON)
func conflictKey(id string) []byte { return []byte("c/" + id) }

func openPrefix(pipeline, platform, id string) []byte {
	return []byte("o/" + pipeline + "/" + platform + "/" + id + "\x00")
}

func historyPrefix(platform, id string) []byte { return []byte("d/" + platform + "/" + id + "\x00") }

func check(names ...string) error {
	for _, n := range names {
		if n == "" || strings.ContainsAny(n, "\x00") {
			return fmt.Errorf("conflict: invalid name or id %q", n)
		}
	}
	return nil
}

// Add queues c unless the same field of the same product already has an
// open conflict, which is then brought up to date with c's values. It
// returns the conflict as stored and whether it is new.
func Add(txn *store.Txn, c *Conflict) (*Conflict, bool, error) {
	if err := check(c.Pipeline, c.SourcePlatform, c.SourceID, c.Field); err != nil {
		return nil, false, err
	}
	okey := append(openPrefix(c.Pipeline, c.SourcePlatform, c.SourceID), c.Field...)
	if id, err := txn.Get(ns, okey); err == nil {
		old, err := Get(txn, string(id))
		if err != nil {
			return nil, false, err
		}
		old.Base, old.Source, old.Remote, old.RemoteID = c.Base, c.Source, c.Remote, c.RemoteID
		return old, false, put(txn, old)
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, false, err
	}
	cp := *c
	cp.ID = newID(time.Now())
	cp.State = StateOpen
	if cp.DetectedAt.IsZero() {
		cp.DetectedAt = time.Now().UTC()
	}
	if err := txn.Set(ns, okey, []byte(cp.ID)); err != nil {
		return nil, false, err
	}
	return &cp, true, put(txn, &cp)
}

func put(txn *store.Txn, c *Conflict) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return txn.Set(ns, conflictKey(c.ID), b)
}

// Get returns the conflict with id, or store.ErrNotFound.
func Get(txn *store.Txn, id string) (*Conflict, error) {
	if err := check(id); err != nil || strings.Contains(id, "/") {
		return nil, fmt.Errorf("conflict %q: %w", id, store.ErrNotFound)
	}
	b, err := txn.Get(ns, conflictKey(id))
	if err != nil {
		return nil, fmt.Errorf("conflict %s: %w", id, err)
	}
	var c Conflict
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("conflict %s: decode: %w", id, err)
	}
	return &c, nil
}

// List returns the conflicts in state ("" for every state), oldest first.
func List(txn *store.Txn, state string) ([]*Conflict, error) {
	var out []*Conflict
	err := txn.Scan(ns, store.Range{Prefix: []byte("c/")}, func(_, v []byte) error {
		var c Conflict
		if err := json.Unmarshal(v, &c); err != nil {
			return err
		}
		if state == "" || c.State == state {
			out = append(out, &c)
		}
		return nil
	})
	return out, err
}

// ForProduct returns the conflicts of one product of a pipeline that are
// open, or resolved and not yet applied.
func ForProduct(txn *store.Txn, pipeline, platform, id string) ([]*Conflict, error) {
	all, err := List(txn, "")
	if err != nil {
		return nil, err
	}
	var out []*Conflict
	for _, c := range all {
		if c.Pipeline == pipeline && c.SourcePlatform == platform && c.SourceID == id && !c.Applied {
			out = append(out, c)
		}
	}
	return out, nil
}

// ErrResolved is returned when resolving a conflict already resolved.
var ErrResolved = errors.New("conflict: already resolved")

// Resolve settles an open conflict: take is TakeSource, TakeRemote or
// TakeValue (with value). The engine applies it at the product's next
// sync.
func Resolve(txn *store.Txn, id, take, value string, at time.Time) (*Conflict, error) {
	switch take {
	case TakeSource, TakeRemote:
		if value != "" {
			return nil, fmt.Errorf("conflict: a value goes with take %q only, not %q", TakeValue, take)
		}
	case TakeValue:
	default:
		return nil, fmt.Errorf("conflict: take must be %s, %s or %s, not %q", TakeSource, TakeRemote, TakeValue, take)
	}
	c, err := Get(txn, id)
	if err != nil {
		return nil, err
	}
	if c.State != StateOpen {
		return c, ErrResolved
	}
	c.State, c.Take, c.Value, c.ResolvedAt = StateResolved, take, value, at.UTC()
	if err := txn.Delete(ns, append(openPrefix(c.Pipeline, c.SourcePlatform, c.SourceID), c.Field...)); err != nil {
		return nil, err
	}
	return c, put(txn, c)
}

// MarkApplied records that the engine wrote c's resolution.
func MarkApplied(txn *store.Txn, c *Conflict) error {
	c.Applied = true
	return put(txn, c)
}

// Record appends d to the history of the source product platform/id.
func Record(txn *store.Txn, platform, id string, d *Decision) error {
	if err := check(platform, id); err != nil {
		return err
	}
	if d.At.IsZero() {
		d.At = time.Now().UTC()
	}
	b, err := json.Marshal(d)
	if err != nil {
		return err
	}
	key := append(historyPrefix(platform, id), newID(d.At)...)
	return txn.Set(ns, key, b)
}

// History returns the decisions recorded for a source product, oldest
// first.
func History(txn *store.Txn, platform, id string) ([]*Decision, error) {
	if err := check(platform, id); err != nil {
		return nil, err
	}
	var out []*Decision
	err := txn.Scan(ns, store.Range{Prefix: historyPrefix(platform, id)}, func(_, v []byte) error {
		var d Decision
		if err := json.Unmarshal(v, &d); err != nil {
			return err
		}
		out = append(out, &d)
		return nil
	})
	return out, err
}
