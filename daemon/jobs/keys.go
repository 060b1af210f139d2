package jobs

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/marketsync/marketsync/daemon/store"
)

// KeyTTL is how long an idempotency key names the job it started.
const KeyTTL = 24 * time.Hour

// Idempotency keys, under "job/":
//
//	k/<key>    the job a key started and its request's digest, expiring
func idempotencyKey(key string) []byte { return []byte("k/" + key) }

// Keyed is what an idempotency key names.
type Keyed struct {
	Job string `json:"job"`
	// Request is a digest of the request that came with the key, so that
	// the same key with another request can be told apart.
	Request string `json:"request"`
}

// Keyed returns what key names, and false when it names nothing (never
// used, or KeyTTL has passed: Badger no longer returns the entry).
func (s *Store) Keyed(key string) (Keyed, bool, error) {
	var k Keyed
	err := s.db.View(func(txn *store.Txn) error {
		b, err := txn.Get(ns, idempotencyKey(key))
		if err != nil {
			return err
		}
		return json.Unmarshal(b, &k)
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return Keyed{}, false, nil
	case err != nil:
		return Keyed{}, false, fmt.Errorf("jobs: idempotency key: %w", err)
	}
	return k, true, nil
}

// Key records that key started job id for a request of digest request,
// for KeyTTL from now.
func (s *Store) Key(key, id, request string, now time.Time) error {
	b, err := json.Marshal(Keyed{Job: id, Request: request})
	if err != nil {
		return err
	}
	return s.db.Update(func(txn *store.Txn) error {
		return txn.SetExpiring(ns, idempotencyKey(key), b, now.Add(KeyTTL))
	})
}
