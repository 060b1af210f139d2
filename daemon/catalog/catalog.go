package catalog

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/marketsync/marketsync/daemon/store"
	"github.com/marketsync/marketsync/sdk/model"
)

var ns = store.Register("catalog/")

// Entry is a product as stored: the platform block it was collected from
// and when.
type Entry struct {
	Platform    string
	Product     *model.Product
	CollectedAt time.Time
}

// Put stores p under platform, replacing what was stored for the same id:
// putting the same product twice leaves one entry.
func Put(txn *store.Txn, platform string, p *model.Product, collectedAt time.Time) error {
	if err := checkPlatform(platform); err != nil {
		return err
	}
	switch {
	case p == nil:
		return errors.New("catalog: nil product")
	case p.GetId() == "":
		return fmt.Errorf("catalog: product without an id on %q", platform)
	case collectedAt.IsZero():
		return fmt.Errorf("catalog: %s/%s: no collection time", platform, p.GetId())
	}
	value, err := model.MarshalProductRecord(p, collectedAt)
	if err != nil {
		return fmt.Errorf("catalog: encode %s/%s: %w", platform, p.GetId(), err)
	}
	if err := txn.Set(ns, key(platform, p.GetId()), value); err != nil {
		return fmt.Errorf("catalog: put %s/%s: %w", platform, p.GetId(), err)
	}
	return nil
}

// Get returns the product with id on platform, or store.ErrNotFound.
func Get(txn *store.Txn, platform, id string) (*Entry, error) {
	if err := checkPlatform(platform); err != nil {
		return nil, err
	}
	value, err := txn.Get(ns, key(platform, id))
	if err != nil {
		return nil, fmt.Errorf("catalog: get %s/%s: %w", platform, id, err)
	}
	return decode(platform, value)
}

// List returns up to limit products of platform in id order (byte-wise),
// starting after the id after ("" for the first page), and the cursor of
// the next page, "" when this one is the last. A limit of 0 returns all.
func List(txn *store.Txn, platform, after string, limit int) ([]*Entry, string, error) {
	if err := checkPlatform(platform); err != nil {
		return nil, "", err
	}
	if limit < 0 {
		return nil, "", fmt.Errorf("catalog: negative limit %d", limit)
	}
	r := store.Range{Prefix: key(platform, "")}
	if after != "" {
		r.After = key(platform, after)
	}
	if limit > 0 {
		r.Limit = limit + 1 // one more, to know whether there is a next page
	}
	var entries []*Entry
	err := txn.Scan(ns, r, func(_, value []byte) error {
		e, err := decode(platform, value)
		if err == nil {
			entries = append(entries, e)
		}
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("catalog: list %s: %w", platform, err)
	}
	if limit > 0 && len(entries) > limit {
		entries = entries[:limit]
		return entries, entries[limit-1].Product.GetId(), nil
	}
	return entries, "", nil
}

// Count returns how many products are stored for platform. It reads keys
// only.
func Count(txn *store.Txn, platform string) (int, error) {
	if err := checkPlatform(platform); err != nil {
		return 0, err
	}
	n := 0
	err := txn.Scan(ns, store.Range{Prefix: key(platform, ""), KeysOnly: true}, func(_, _ []byte) error {
		n++
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("catalog: count %s: %w", platform, err)
	}
	return n, nil
}

// key is platform "/" id. Platform names cannot contain "/", so the
// products of one platform are exactly the keys under platform "/"; ids
// may contain anything.
func key(platform, id string) []byte {
	return []byte(platform + "/" + id)
}

func checkPlatform(platform string) error {
	if platform == "" || strings.Contains(platform, "/") {
		return fmt.Errorf("catalog: invalid platform name %q", platform)
	}
	return nil
}

// decode reads a stored record of any schema version this build knows
// (model.UnmarshalProductRecord migrates older ones).
func decode(platform string, value []byte) (*Entry, error) {
	rec, err := model.UnmarshalProductRecord(value)
	if err != nil {
		return nil, fmt.Errorf("catalog: decode a %s product: %w", platform, err)
	}
	return &Entry{Platform: platform, Product: rec.GetProduct(), CollectedAt: rec.GetCollectedAt().AsTime()}, nil
}
