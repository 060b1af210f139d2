package webhook

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/marketsync/marketsync/daemon/store"
)

// Pending counts the events recorded and not yet handed on.
func (r *Receiver) Pending() (int, error) {
	n := 0
	err := r.o.DB.View(func(txn *store.Txn) error {
		return txn.Scan(ns, store.Range{Prefix: []byte("q/"), KeysOnly: true}, func(_, _ []byte) error {
			n++
			return nil
		})
	})
	return n, err
}

// Sweep deletes the delivery marks that expired at or before now and
// returns how many. They are stored without Badger's TTL: an entry that
// expired while the agent was stopped would change the record counts the
// store checks at start.
func (r *Receiver) Sweep(now time.Time) (int, error) {
	var expired [][]byte
	err := r.o.DB.View(func(txn *store.Txn) error {
		return txn.Scan(ns, store.Range{Prefix: []byte("d/")}, func(k, v []byte) error {
			var m mark
			if err := json.Unmarshal(v, &m); err != nil || !m.ExpiresAt.After(now) {
				expired = append(expired, slices.Clone(k))
			}
			return nil
		})
	})
	if err != nil || len(expired) == 0 {
		return 0, err
	}
	if err := r.delete(expired); err != nil {
		return 0, err
	}
	return len(expired), nil
}

var ns = store.Register("webhook/")

// mark says a delivery was taken.
type mark struct {
	DeliveryID string    `json:"delivery_id"`
	Topic      string    `json:"topic"`
	ReceivedAt time.Time `json:"received_at"`
	ExpiresAt  time.Time `json:"expires_at"`
}

// queued is a verified event waiting for the Resyncer.
type queued struct {
	Platform   string    `json:"platform"`
	DeliveryID string    `json:"delivery_id"`
	Topic      string    `json:"topic"`
	RemoteIDs  []string  `json:"remote_ids,omitempty"`
	OccurredAt time.Time `json:"occurred_at,omitzero"`
	ReceivedAt time.Time `json:"received_at"`
}

// Keys, relative to the namespace:
//
//	d/<platform>/<sha256 of delivery id, NUL, body>  → mark (JSON)
//	q/<ulid>                                        → queued (JSON), in arrival order
//
// The mark hashes the body with the id because WooCommerce's delivery id
// is a hash of the webhook and the second, so two changes within a second
// share it (plugins/woocommerce/README.md, "Webhooks"); a redelivery
// repeats both.
func markKey(platform, deliveryID string, body []byte) []byte {
	h := sha256.New()
	h.Write([]byte(deliveryID))
	h.Write([]byte{0})
	h.Write(body)
	return []byte("d/" + platform + "/" + hex.EncodeToString(h.Sum(nil)))
}

func queueKey(id string) []byte { return []byte("q/" + id) }

func getMark(txn *store.Txn, key []byte) (*mark, error) {
	v, err := txn.Get(ns, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var m mark
	if err := json.Unmarshal(v, &m); err != nil {
		return nil, nil // unreadable: taken as absent, and overwritten
	}
	return &m, nil
}

func put(txn *store.Txn, key []byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return txn.Set(ns, key, b)
}
