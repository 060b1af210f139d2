package outbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/marketsync/marketsync/daemon/store"
	"github.com/oklog/ulid/v2"
)

var ns = store.Register("outbox/")

// Type is what an event reports.
type Type string

const (
	ProductCollected Type = "product.collected"
	ProductSynced    Type = "product.synced"
	ConflictDetected Type = "conflict.detected"
	ConflictResolved Type = "conflict.resolved"
	JobFinished      Type = "job.finished"
)

// Types lists every event type.
var Types = []Type{ProductCollected, ProductSynced, ConflictDetected, ConflictResolved, JobFinished}

// Event is one event, as a sink receives it (JSON).
type Event struct {
	// ID is a ULID: unique, and in the order events were made. Receivers
	// deduplicate on it: a delivery whose answer was lost is sent again.
	ID   string          `json:"id"`
	Type Type            `json:"type"`
	Time time.Time       `json:"created_at"`
	Data json.RawMessage `json:"data"`
}

// NewEvent makes an event of type t at now with data encoded as JSON.
func NewEvent(t Type, now time.Time, data any) (Event, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return Event{}, fmt.Errorf("outbox: encode %s data: %w", t, err)
	}
	// DefaultEntropy is monotonic and safe for concurrent use: ids made
	// in the same millisecond still increase.
	id, err := ulid.New(ulid.Timestamp(now), ulid.DefaultEntropy())
	if err != nil {
		return Event{}, fmt.Errorf("outbox: event id: %w", err)
	}
	return Event{ID: id.String(), Type: t, Time: now.UTC(), Data: raw}, nil
}

// queued is an event waiting for one sink.
type queued struct {
	Event     Event  `json:"event"`
	Attempts  int    `json:"attempts,omitempty"`
	LastError string `json:"last_error,omitempty"`
}

// SinkState is a sink's delivery state.
type SinkState struct {
	// Failures counts consecutive failed deliveries; 0 when the last one
	// succeeded.
	Failures int `json:"failures,omitempty"`
	// NextAttempt is when the sink may be tried again after a failure.
	NextAttempt time.Time `json:"next_attempt"`
	LastError   string    `json:"last_error,omitempty"`
}

// Keys, relative to the namespace; sink names hold no "/":
//
//	q/<sink>/<event id>  → the queued event (JSON), in event order
//	s/<sink>             → the SinkState (JSON)
func queueKey(sink, id string) []byte { return []byte("q/" + sink + "/" + id) }
func queuePrefix(sink string) []byte  { return []byte("q/" + sink + "/") }
func stateKey(sink string) []byte     { return []byte("s/" + sink) }

func checkSink(sink string) error {
	if sink == "" || strings.Contains(sink, "/") {
		return fmt.Errorf("outbox: invalid sink name %q", sink)
	}
	return nil
}

// Enqueue queues e for each of sinks in the caller's transaction, so the
// event is stored if and only if the change it reports is. Call
// Deliverer.Notify after the commit to deliver it without waiting.
func Enqueue(txn *store.Txn, e Event, sinks ...string) error {
	if _, err := ulid.ParseStrict(e.ID); err != nil {
		return fmt.Errorf("outbox: event id %q: %w", e.ID, err)
	}
	value, err := json.Marshal(queued{Event: e})
	if err != nil {
		return fmt.Errorf("outbox: encode event %s: %w", e.ID, err)
	}
	for _, sink := range sinks {
		if err := checkSink(sink); err != nil {
			return err
		}
		if err := txn.Set(ns, queueKey(sink, e.ID), value); err != nil {
			return fmt.Errorf("outbox: enqueue %s for %s: %w", e.ID, sink, err)
		}
	}
	return nil
}

// Pending returns how many events wait for sink and its state.
func Pending(txn *store.Txn, sink string) (int, SinkState, error) {
	if err := checkSink(sink); err != nil {
		return 0, SinkState{}, err
	}
	n := 0
	err := txn.Scan(ns, store.Range{Prefix: queuePrefix(sink), KeysOnly: true}, func(_, _ []byte) error {
		n++
		return nil
	})
	if err != nil {
		return 0, SinkState{}, fmt.Errorf("outbox: count %s: %w", sink, err)
	}
	st, err := state(txn, sink)
	return n, st, err
}

func state(txn *store.Txn, sink string) (SinkState, error) {
	var st SinkState
	v, err := txn.Get(ns, stateKey(sink))
	if errors.Is(err, store.ErrNotFound) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("outbox: state of %s: %w", sink, err)
	}
	if err := json.Unmarshal(v, &st); err != nil {
		return st, fmt.Errorf("outbox: decode state of %s: %w", sink, err)
	}
	return st, nil
}

func putState(txn *store.Txn, sink string, st SinkState) error {
	v, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return txn.Set(ns, stateKey(sink), v)
}

// head returns up to n events at the head of sink's queue.
func head(txn *store.Txn, sink string, n int) ([]queued, error) {
	var out []queued
	err := txn.Scan(ns, store.Range{Prefix: queuePrefix(sink), Limit: n}, func(_, v []byte) error {
		var q queued
		if err := json.Unmarshal(v, &q); err != nil {
			return err
		}
		out = append(out, q)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("outbox: read the queue of %s: %w", sink, err)
	}
	return out, nil
}

// Stat is what waits for one sink.
type Stat struct {
	Pending int
	// Oldest is when the oldest waiting event was made; zero when none
	// waits.
	Oldest time.Time
	State  SinkState
}

// StatOf returns what waits for sink. It reads keys only, and the value
// of the oldest event.
func StatOf(txn *store.Txn, sink string) (Stat, error) {
	n, st, err := Pending(txn, sink)
	if err != nil || n == 0 {
		return Stat{State: st}, err
	}
	first, err := head(txn, sink, 1)
	if err != nil {
		return Stat{}, err
	}
	out := Stat{Pending: n, State: st}
	if len(first) == 1 {
		out.Oldest = first[0].Event.Time
	}
	return out, nil
}

// Queues lists the sinks that have events waiting, in name order: a sink
// removed from the configuration keeps its queue until it comes back.
func Queues(txn *store.Txn) ([]string, error) {
	var names []string
	var after []byte
	for {
		found := ""
		err := txn.Scan(ns, store.Range{Prefix: []byte("q/"), After: after, Limit: 1, KeysOnly: true}, func(k, _ []byte) error {
			found, _, _ = strings.Cut(string(k[len("q/"):]), "/")
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("outbox: list queues: %w", err)
		}
		if found == "" {
			return names, nil
		}
		names = append(names, found)
		// '0' follows '/': the first key after every event of found.
		after = []byte("q/" + found + "0")
	}
}
