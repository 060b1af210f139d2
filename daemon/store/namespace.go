package store

import (
	"fmt"
	"strings"
	"sync"
)

// Namespace is a key prefix owned by one package. Only Register makes one,
// and it refuses a prefix that is taken or overlaps another, so the package
// that holds a Namespace (in an unexported variable) is the only one that
// can build keys under it.
type Namespace struct {
	prefix string
}

// Prefix returns the namespace's prefix, e.g. "catalog/".
func (ns Namespace) Prefix() string { return ns.prefix }

// key returns the full key: the prefix followed by k, in a new slice that
// Badger may keep until the transaction ends. The zero Namespace, which
// Register never returns, would reach every key: it panics.
func (ns Namespace) key(k []byte) []byte {
	if ns.prefix == "" {
		panic("store: a Namespace must come from Register")
	}
	full := make([]byte, 0, len(ns.prefix)+len(k))
	return append(append(full, ns.prefix...), k...)
}

var registry struct {
	sync.Mutex
	prefixes []string
}

// Register claims prefix for the calling package and returns its
// Namespace. The prefix must be non-empty and end in "/". Register panics
// if the prefix is malformed, already registered, or overlaps a registered
// one (one is a prefix of the other): that is a programming error, found
// when the program starts because owners call it in a package-level var:
//
//	var ns = store.Register("catalog/")
func Register(prefix string) Namespace {
	if prefix == "" || !strings.HasSuffix(prefix, "/") {
		panic(fmt.Sprintf("store: namespace %q must be non-empty and end in /", prefix))
	}
	registry.Lock()
	defer registry.Unlock()
	for _, p := range registry.prefixes {
		if strings.HasPrefix(p, prefix) || strings.HasPrefix(prefix, p) {
			panic(fmt.Sprintf("store: namespace %q overlaps registered namespace %q", prefix, p))
		}
	}
	registry.prefixes = append(registry.prefixes, prefix)
	return Namespace{prefix: prefix}
}
