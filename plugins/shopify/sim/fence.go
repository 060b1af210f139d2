package sim

import (
	"fmt"
	"maps"
	"net/http"
	"strconv"
)

// FencingHeader carries the writer's fencing token. Shopify has no
// conditional writes: this models a store that has them, so that a
// cluster's stale owner can be seen refused (see the plugin's README).
const FencingHeader = "X-Marketsync-Fencing-Token"

// CodeStaleFencingToken is the extensions.code of a mutation document
// refused for its token, a top-level error as THROTTLED is.
const CodeStaleFencingToken = "STALE_FENCING_TOKEN"

// Fencing is what the store's conditional writes saw, by token (0 for a
// document sent without one). It counts mutation documents.
type Fencing struct {
	// High is the largest token the store has let through.
	High uint64
	// Accepted counts the mutation documents run; Refused those turned
	// away because their token was below High.
	Accepted, Refused map[uint64]int64
}

// fence is the store's fencing state; its mutex is held across the
// check and the run of a fenced document, so that a document let through
// runs before any with a larger token can, as a store applying
// conditional writes atomically would.
type fence struct {
	run   chan struct{} // a one-slot lock, held while a fenced document runs
	state Fencing
}

func newFence() *fence {
	return &fence{run: make(chan struct{}, 1), state: Fencing{Accepted: map[uint64]int64{}, Refused: map[uint64]int64{}}}
}

// Fencing returns a copy of what the conditional writes saw.
func (s *Server) Fencing() Fencing {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.fence.state
	f.Accepted, f.Refused = maps.Clone(f.Accepted), maps.Clone(f.Refused)
	return f
}

// admitWrite decides on a mutation document by its fencing token. A
// token below the largest seen is refused with a top-level error (a
// missing one counts as 0, so once fenced writers came, an unfenced one
// is refused too); otherwise the document may run, and done, called once
// it ran, counts it. A document without a token, to a store that has
// seen none, is a plain write and runs unserialised.
func (s *Server) admitWrite(r *http.Request) (done func(ran bool), refused *gqlError, err error) {
	var token uint64
	if h := r.Header.Get(FencingHeader); h != "" {
		if token, err = strconv.ParseUint(h, 10, 64); err != nil || token == 0 {
			return nil, nil, fmt.Errorf("%s must be a positive integer, not %q", FencingHeader, h)
		}
	}
	if token > 0 {
		s.fence.run <- struct{}{}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f := &s.fence.state
	if token < f.High {
		f.Refused[token]++
		if token > 0 {
			<-s.fence.run
		}
		return nil, &gqlError{
			Message:    fmt.Sprintf("Write refused: fencing token %d is below %d, which this shop has accepted", token, f.High),
			Extensions: map[string]any{"code": CodeStaleFencingToken},
		}, nil
	}
	f.High = token
	return func(ran bool) {
		s.mu.Lock()
		if ran {
			f.Accepted[token]++
		}
		s.mu.Unlock()
		if token > 0 {
			<-s.fence.run
		}
	}, nil, nil
}

