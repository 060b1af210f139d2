package binding

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/marketsync/marketsync/daemon/store"
)

var ns = store.Register("binding/")

// Binding ties a source product to its remote product on one target.
type Binding struct {
	SourcePlatform string // the source platform block, e.g. "taobao"
	SourceID       string // the product's id there
	Target         string // the target platform block, e.g. "eu-store"
	RemoteID       string // the remote product's id
	// Variants maps each SKU to the remote variant's id.
	Variants map[string]string
}

// Keys, all relative to the namespace. Platform names never hold "/" and
// ids never hold NUL, so the id comes last or is followed by NUL:
//
//	s/<source>/<source id> NUL <target>   → the Binding (JSON)
//	r/<target>/<remote id>                → the forward key
//	v/<target>/<remote variant id>        → the forward key NUL the SKU
func forwardKey(source, id, target string) []byte {
	return []byte("s/" + source + "/" + id + "\x00" + target)
}

func remoteKey(target, remoteID string) []byte { return []byte("r/" + target + "/" + remoteID) }

func variantKey(target, variantID string) []byte { return []byte("v/" + target + "/" + variantID) }

// Put stores b, replacing the binding of the same source product and
// target: reverse entries for a remote id or variants it no longer has are
// removed. A remote product or variant already bound to another source
// product is an error, and nothing is written.
func Put(txn *store.Txn, b *Binding) error {
	if err := b.check(); err != nil {
		return err
	}
	fwd := forwardKey(b.SourcePlatform, b.SourceID, b.Target)
	owned := func(key []byte, want string) error {
		v, err := txn.Get(ns, key)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if owner, _, _ := strings.Cut(string(v), "\x00\x00"); owner != string(fwd) {
			return fmt.Errorf("binding: %s is already bound to %s", want, describe(owner))
		}
		return nil
	}
	if err := owned(remoteKey(b.Target, b.RemoteID), "remote product "+b.RemoteID+" on "+b.Target); err != nil {
		return err
	}
	for sku, vid := range b.Variants {
		if err := owned(variantKey(b.Target, vid), "remote variant "+vid+" (SKU "+sku+") on "+b.Target); err != nil {
			return err
		}
	}
	if old, err := get(txn, fwd); err == nil {
		if err := old.deleteReverse(txn, b); err != nil {
			return err
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	value, err := json.Marshal(b)
	if err != nil {
		return err
	}
	if err := txn.Set(ns, fwd, value); err != nil {
		return fmt.Errorf("binding: put %s: %w", describe(string(fwd)), err)
	}
	if err := txn.Set(ns, remoteKey(b.Target, b.RemoteID), fwd); err != nil {
		return err
	}
	for sku, vid := range b.Variants {
		if err := txn.Set(ns, variantKey(b.Target, vid), []byte(string(fwd)+"\x00\x00"+sku)); err != nil {
			return err
		}
	}
	return nil
}

// Get returns the binding of a source product on target, or
// store.ErrNotFound.
func Get(txn *store.Txn, source, id, target string) (*Binding, error) {
	if err := checkNames(source, target, id); err != nil {
		return nil, err
	}
	return get(txn, forwardKey(source, id, target))
}

// ByRemote returns the binding of a remote product, or store.ErrNotFound.
func ByRemote(txn *store.Txn, target, remoteID string) (*Binding, error) {
	if err := checkNames(target, target, remoteID); err != nil {
		return nil, err
	}
	fwd, err := txn.Get(ns, remoteKey(target, remoteID))
	if err != nil {
		return nil, fmt.Errorf("binding: remote product %s on %s: %w", remoteID, target, err)
	}
	return get(txn, fwd)
}

// ByRemoteVariant returns the binding that holds a remote variant and the
// variant's SKU, or store.ErrNotFound.
func ByRemoteVariant(txn *store.Txn, target, variantID string) (*Binding, string, error) {
	if err := checkNames(target, target, variantID); err != nil {
		return nil, "", err
	}
	v, err := txn.Get(ns, variantKey(target, variantID))
	if err != nil {
		return nil, "", fmt.Errorf("binding: remote variant %s on %s: %w", variantID, target, err)
	}
	fwd, sku, _ := strings.Cut(string(v), "\x00\x00")
	b, err := get(txn, []byte(fwd))
	return b, sku, err
}

// Delete removes the binding of a source product on target and its
// reverse entries; deleting a missing binding is not an error.
func Delete(txn *store.Txn, source, id, target string) error {
	b, err := Get(txn, source, id, target)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := b.deleteReverse(txn, nil); err != nil {
		return err
	}
	return txn.Delete(ns, forwardKey(source, id, target))
}

// deleteReverse removes b's reverse entries that next (nil: none) does
// not have.
func (b *Binding) deleteReverse(txn *store.Txn, next *Binding) error {
	if next == nil || next.RemoteID != b.RemoteID {
		if err := txn.Delete(ns, remoteKey(b.Target, b.RemoteID)); err != nil {
			return err
		}
	}
	keep := map[string]bool{}
	if next != nil {
		for _, vid := range next.Variants {
			keep[vid] = true
		}
	}
	for _, vid := range b.Variants {
		if !keep[vid] {
			if err := txn.Delete(ns, variantKey(b.Target, vid)); err != nil {
				return err
			}
		}
	}
	return nil
}

func get(txn *store.Txn, fwd []byte) (*Binding, error) {
	v, err := txn.Get(ns, fwd)
	if err != nil {
		return nil, fmt.Errorf("binding: %s: %w", describe(string(fwd)), err)
	}
	var b Binding
	if err := json.Unmarshal(v, &b); err != nil {
		return nil, fmt.Errorf("binding: decode %s: %w", describe(string(fwd)), err)
	}
	return &b, nil
}

func (b *Binding) check() error {
	if b == nil {
		return errors.New("binding: nil binding")
	}
	if err := checkNames(b.SourcePlatform, b.Target, b.SourceID, b.RemoteID); err != nil {
		return err
	}
	for sku, vid := range b.Variants {
		if sku == "" || vid == "" || strings.Contains(vid, "\x00") {
			return fmt.Errorf("binding: SKU %q with remote variant %q: both must be non-empty, without NUL", sku, vid)
		}
	}
	return nil
}

// checkNames checks the two platform names and the ids.
func checkNames(source, target string, ids ...string) error {
	for _, p := range []string{source, target} {
		if p == "" || strings.Contains(p, "/") {
			return fmt.Errorf("binding: invalid platform name %q", p)
		}
	}
	for _, id := range ids {
		if id == "" || strings.Contains(id, "\x00") {
			return fmt.Errorf("binding: invalid id %q", id)
		}
	}
	return nil
}

// describe turns a forward key into "taobao/123 → eu-store" for messages.
func describe(fwd string) string {
	rest := strings.TrimPrefix(fwd, "s/")
	src, target, _ := strings.Cut(rest, "\x00")
	return src + " → " + target
}
