package clustertest

import (
	"errors"
	"fmt"
	"sync"
)

// ErrStaleToken is a fenced write refused because a write with a larger
// token was accepted before it.
var ErrStaleToken = errors.New("stale fencing token")

// Write is one write a FencedStore accepted.
type Write struct {
	Resource string
	Writer   string
	Token    uint64
}

// FencedStore is the far side of a fenced write, as a store that supports
// conditional writes behaves: it refuses a token below the largest it has
// accepted for the resource, and counts what it accepted and refused.
type FencedStore struct {
	mu       sync.Mutex
	high     map[string]uint64
	accepted []Write
	refused  map[string]int // by writer
}

// Write applies a write by writer under token.
func (s *FencedStore) Write(resource, writer string, token uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.high == nil {
		s.high, s.refused = map[string]uint64{}, map[string]int{}
	}
	if token < s.high[resource] {
		s.refused[writer]++
		return fmt.Errorf("%w: %d < %d", ErrStaleToken, token, s.high[resource])
	}
	s.high[resource] = token
	s.accepted = append(s.accepted, Write{Resource: resource, Writer: writer, Token: token})
	return nil
}

// Accepted lists the accepted writes in order.
func (s *FencedStore) Accepted() []Write {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Write(nil), s.accepted...)
}

// Refused is how many writes by writer were refused.
func (s *FencedStore) Refused(writer string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refused[writer]
}
