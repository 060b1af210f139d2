package snapshot

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/marketsync/marketsync/actors/sync/render"
	"github.com/marketsync/marketsync/daemon/store"
	"google.golang.org/protobuf/proto"
)

var ns = store.Register("snapshot/")

// Hash is the SHA-256 of a listing's deterministic protobuf encoding.
type Hash [sha256.Size]byte

// HashOf returns the hash of l. Equal listings have equal hashes whatever
// the order their maps were filled in.
func HashOf(l *render.Listing) (Hash, error) {
	b, err := marshal(l)
	if err != nil {
		return Hash{}, err
	}
	return sha256.Sum256(b), nil
}

func marshal(l *render.Listing) ([]byte, error) {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(l)
	if err != nil {
		return nil, fmt.Errorf("snapshot: encode listing: %w", err)
	}
	return b, nil
}

// Key names a snapshot: the pipeline (sync block) and the source product.
type Key struct {
	Pipeline string
	Platform string // the source platform block
	ID       string // the source product id
}

// Snapshot is a listing as last synced.
type Snapshot struct {
	Listing *render.Listing
	Hash    Hash
	// RemoteUpdatedAt is the store's updated_at after the write; a later
	// one means the store changed the product since.
	RemoteUpdatedAt time.Time
	SyncedAt        time.Time
}

// Keys, relative to the namespace; names hold no "/", the id comes last:
//
//	h/<pipeline>/<platform>/<id>  → the hash (32 bytes)
//	l/<pipeline>/<platform>/<id>  → version 1, remote updated_at and synced
//	                                at (Unix ns, 8 bytes each), the listing
func (k Key) path() (string, error) {
	for _, name := range []string{k.Pipeline, k.Platform} {
		if name == "" || strings.Contains(name, "/") {
			return "", fmt.Errorf("snapshot: invalid name %q", name)
		}
	}
	if k.ID == "" {
		return "", errors.New("snapshot: empty product id")
	}
	return k.Pipeline + "/" + k.Platform + "/" + k.ID, nil
}

const version = 1

// Put stores l as the snapshot at k, in the caller's transaction, and
// returns its hash.
func Put(txn *store.Txn, k Key, l *render.Listing, remoteUpdatedAt, syncedAt time.Time) (Hash, error) {
	path, err := k.path()
	if err != nil {
		return Hash{}, err
	}
	b, err := marshal(l)
	if err != nil {
		return Hash{}, err
	}
	h := Hash(sha256.Sum256(b))
	value := make([]byte, 17, 17+len(b))
	value[0] = version
	binary.BigEndian.PutUint64(value[1:], uint64(unixNano(remoteUpdatedAt)))
	binary.BigEndian.PutUint64(value[9:], uint64(unixNano(syncedAt)))
	value = append(value, b...)
	if err := txn.Set(ns, []byte("h/"+path), h[:]); err != nil {
		return Hash{}, fmt.Errorf("snapshot: put %s: %w", path, err)
	}
	if err := txn.Set(ns, []byte("l/"+path), value); err != nil {
		return Hash{}, fmt.Errorf("snapshot: put %s: %w", path, err)
	}
	return h, nil
}

// Changed reports whether h differs from the hash of the snapshot at k: a
// product never synced has changed.
func Changed(txn *store.Txn, k Key, h Hash) (bool, error) {
	path, err := k.path()
	if err != nil {
		return false, err
	}
	v, err := txn.Get(ns, []byte("h/"+path))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return true, nil
	case err != nil:
		return false, fmt.Errorf("snapshot: hash of %s: %w", path, err)
	}
	return Hash(v) != h, nil
}

// Get returns the snapshot at k, or store.ErrNotFound.
func Get(txn *store.Txn, k Key) (*Snapshot, error) {
	path, err := k.path()
	if err != nil {
		return nil, err
	}
	v, err := txn.Get(ns, []byte("l/"+path))
	if err != nil {
		return nil, fmt.Errorf("snapshot: get %s: %w", path, err)
	}
	if len(v) < 17 || v[0] != version {
		return nil, fmt.Errorf("snapshot: %s: unknown encoding", path)
	}
	l := &render.Listing{}
	if err := proto.Unmarshal(v[17:], l); err != nil {
		return nil, fmt.Errorf("snapshot: decode %s: %w", path, err)
	}
	return &Snapshot{
		Listing:         l,
		Hash:            sha256.Sum256(v[17:]),
		RemoteUpdatedAt: fromUnixNano(int64(binary.BigEndian.Uint64(v[1:]))),
		SyncedAt:        fromUnixNano(int64(binary.BigEndian.Uint64(v[9:]))),
	}, nil
}

// Delete removes the snapshot at k; a missing one is not an error.
func Delete(txn *store.Txn, k Key) error {
	path, err := k.path()
	if err != nil {
		return err
	}
	if err := txn.Delete(ns, []byte("h/"+path)); err != nil {
		return err
	}
	return txn.Delete(ns, []byte("l/"+path))
}

// unixNano keeps the zero time zero.
func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromUnixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}
