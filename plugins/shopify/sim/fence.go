package sim

import (
	"errors"
	"net/http"

	"github.com/marketsync/marketsync/sdk/simkit"
)

// FencingHeader carries the writer's fencing token. Shopify has no
// conditional writes: the simulator models a store that has them, so
// that a cluster's stale owner can be seen refused (see the plugin's
// README).
const FencingHeader = simkit.FencingHeader

// CodeStaleFencingToken is the extensions.code of a mutation document
// refused for its token: a top-level error, as THROTTLED is, since the
// whole document is refused.
const CodeStaleFencingToken = "STALE_FENCING_TOKEN"

// Fencing returns what the store's conditional writes saw: mutation
// documents run and refused, by token (0 for one sent without).
func (s *Server) Fencing() simkit.FenceState { return s.fence.State() }

// admitWrite decides on a mutation document by its fencing token: done
// (counting it, once it ran or not) when it may run, the top-level error
// of its refusal when its token is stale, an error for a malformed token.
func (s *Server) admitWrite(r *http.Request) (done func(ran bool), refused *gqlError, err error) {
	done, err = s.fence.Admit(r.Header.Get(FencingHeader))
	var stale *simkit.StaleTokenError
	if errors.As(err, &stale) {
		return nil, &gqlError{Message: "Write refused: " + stale.Error(), Extensions: map[string]any{"code": CodeStaleFencingToken}}, nil
	}
	return done, nil, err
}
