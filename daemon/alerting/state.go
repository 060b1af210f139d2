package alerting

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/marketsync/marketsync/daemon/store"
)

// ns holds, under one prefix each:
//
//	alert/a/<fingerprint>              an alert that is pending, firing or lately resolved
//	alert/n/<receiver>/<group key>     the notification log: what the group's last message said
//	alert/s/<silence id>               a silence, kept until a day after it expires
//	alert/h/<unix nanoseconds>/<fp>    a state change, kept historyKept
//
// All of it is this agent's own, in its local store: in a cluster every
// agent evaluates its rules over what it sees and notifies on its own, so
// an alert that several agents raise on their own reaches the receivers
// once from each (the agent answers cluster_member_down on the raft
// leader alone, so a dead member pages once). The notification log
// is keyed by receiver and group only, not by node, and LogEntry.Node
// says which node sent an entry, so that the log can move to a
// replicated store without a change of keys: the node owning a group's
// key would then notify alone, and a new owner after a failover would
// know what the old one sent.
var ns = store.Register("alert/")

const historyKept = 7 * 24 * time.Hour

// LogEntry is what a group's last notification said.
type LogEntry struct {
	// Firing are the fingerprints of the alerts notified as firing.
	Firing []string  `json:"firing"`
	SentAt time.Time `json:"sent_at"`
	Node   string    `json:"node,omitempty"`
}

// db is the alert/ namespace of the store.
type db struct{ s *store.DB }

func (d db) loadAlerts() ([]*Alert, error) {
	var out []*Alert
	err := d.s.View(func(t *store.Txn) error {
		return t.Scan(ns, store.Range{Prefix: []byte("a/")}, func(_, v []byte) error {
			var a Alert
			if err := json.Unmarshal(v, &a); err != nil {
				return fmt.Errorf("stored alert: %w", err)
			}
			out = append(out, &a)
			return nil
		})
	})
	return out, err
}

// saveAlerts writes the alerts that changed, deletes the dropped ones and
// appends the transitions to the history, in one transaction.
func (d db) saveAlerts(changed []*Alert, dropped []string, events []Transition) error {
	if len(changed)+len(dropped)+len(events) == 0 {
		return nil
	}
	return d.s.Update(func(t *store.Txn) error {
		for _, a := range changed {
			b, err := json.Marshal(a)
			if err != nil {
				return err
			}
			if err := t.Set(ns, []byte("a/"+a.Fingerprint), b); err != nil {
				return err
			}
		}
		for _, fp := range dropped {
			if err := t.Delete(ns, []byte("a/"+fp)); err != nil {
				return err
			}
		}
		for i, e := range events {
			b, err := json.Marshal(e)
			if err != nil {
				return err
			}
			key := fmt.Sprintf("h/%020d/%03d/%s", e.At.UnixNano(), i, e.Fingerprint)
			if err := t.Set(ns, []byte(key), b); err != nil {
				return err
			}
		}
		return nil
	})
}

// history returns up to limit state changes, newest first.
func (d db) history(limit int) ([]Transition, error) {
	var out []Transition
	err := d.s.View(func(t *store.Txn) error {
		return t.Scan(ns, store.Range{Prefix: []byte("h/"), Reverse: true, Limit: limit}, func(_, v []byte) error {
			var e Transition
			if err := json.Unmarshal(v, &e); err != nil {
				return err
			}
			out = append(out, e)
			return nil
		})
	})
	return out, err
}

// pruneHistory deletes the state changes older than historyKept.
func (d db) pruneHistory(now time.Time) error {
	end := []byte(fmt.Sprintf("h/%020d", now.Add(-historyKept).UnixNano()))
	var old [][]byte
	err := d.s.View(func(t *store.Txn) error {
		return t.Scan(ns, store.Range{Prefix: []byte("h/"), KeysOnly: true, Limit: 512}, func(k, _ []byte) error {
			if string(k) >= string(end) {
				return store.StopScan
			}
			old = append(old, append([]byte(nil), k...))
			return nil
		})
	})
	if err != nil || len(old) == 0 {
		return err
	}
	return d.s.Update(func(t *store.Txn) error {
		for _, k := range old {
			if err := t.Delete(ns, k); err != nil {
				return err
			}
		}
		return nil
	})
}

func logKey(receiver, group string) []byte { return []byte("n/" + receiver + "/" + group) }

func (d db) logEntry(receiver, group string) (LogEntry, bool, error) {
	var e LogEntry
	var found bool
	err := d.s.View(func(t *store.Txn) error {
		v, err := t.Get(ns, logKey(receiver, group))
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		found = true
		return json.Unmarshal(v, &e)
	})
	return e, found, err
}

func (d db) setLogEntry(receiver, group string, e LogEntry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return d.s.Update(func(t *store.Txn) error {
		if len(e.Firing) == 0 {
			return t.Delete(ns, logKey(receiver, group))
		}
		return t.Set(ns, logKey(receiver, group), b)
	})
}

func (d db) silences() ([]Silence, error) {
	var out []Silence
	err := d.s.View(func(t *store.Txn) error {
		return t.Scan(ns, store.Range{Prefix: []byte("s/")}, func(_, v []byte) error {
			var s Silence
			if err := json.Unmarshal(v, &s); err != nil {
				return err
			}
			out = append(out, s)
			return nil
		})
	})
	return out, err
}

func (d db) putSilence(s Silence) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return d.s.Update(func(t *store.Txn) error { return t.Set(ns, []byte("s/"+s.ID), b) })
}

func (d db) deleteSilence(id string) error {
	return d.s.Update(func(t *store.Txn) error { return t.Delete(ns, []byte("s/"+id)) })
}
