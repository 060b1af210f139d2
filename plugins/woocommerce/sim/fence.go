package sim

import (
	"errors"
	"net/http"

	"github.com/marketsync/marketsync/sdk/simkit"
)

// FencingHeader carries the writer's fencing token. WooCommerce has no
// conditional writes: the simulator models a store that has them (as a
// plugin on the WordPress side could add), so that a cluster's stale
// owner can be seen refused (see the plugin's README).
const FencingHeader = simkit.FencingHeader

// CodeStaleFencingToken is the code of the WordPress error object of a
// write refused for its token, answered 409 Conflict.
const CodeStaleFencingToken = "marketsync_stale_fencing_token"

// Fencing returns what the store's conditional writes saw: writes (every
// request but GET) carried out and refused, by token (0 for one sent
// without).
func (s *Server) Fencing() simkit.FenceState { return s.fence.State() }

// admitWrite decides on a write by its fencing token: done (counting it,
// once carried out or not) when it may go on, the error object of its
// refusal otherwise.
func (s *Server) admitWrite(r *http.Request) (done func(applied bool), refused *apiError) {
	done, err := s.fence.Admit(r.Header.Get(FencingHeader))
	var stale *simkit.StaleTokenError
	switch {
	case errors.As(err, &stale):
		return nil, newError(http.StatusConflict, CodeStaleFencingToken, "Write refused: "+stale.Error()+".")
	case err != nil:
		return nil, newError(http.StatusBadRequest, "rest_invalid_header", err.Error())
	}
	return done, nil
}
