package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"

	"github.com/marketsync/marketsync/daemon/client"
)

// Scope is what a token may do. Each scope includes the ones before it:
//
//   - ScopeRead: every GET route (jobs, items, products, platforms,
//     stats, cache statistics, metrics) but the snapshot;
//   - ScopeWrite: also start and cancel jobs (POST /v1/collect,
//     POST /v1/jobs/{id}/cancel);
//   - ScopeOperator: everything, such as purging the cache; what a route
//     does not list needs it.
type Scope string

const (
	ScopeRead     Scope = "read"
	ScopeWrite    Scope = "write"
	ScopeOperator Scope = "operator"
)

// Scopes lists the scopes, each including those before it.
var Scopes = []Scope{ScopeRead, ScopeWrite, ScopeOperator}

func (s Scope) rank() int {
	for i, v := range Scopes {
		if v == s {
			return i
		}
	}
	return -1
}

// Token is a bearer token limited to a scope.
type Token struct {
	Secret string
	Scope  Scope
}

// tokenHash is a token as the server keeps it.
type tokenHash struct {
	sum   [sha256.Size]byte
	scope Scope
}

// writeScopes are the routes other than GET that a write token may call;
// any other route that is not a GET needs ScopeOperator.
var writeScopes = map[string]bool{
	"POST /v1/collect":                true,
	"POST /v1/jobs/{id}/cancel":       true,
	"POST /v1/sync/{name}/run":        true,
	"POST /v1/conflicts/{id}/resolve": true,
	"POST /v1/locks/acquire":          true,
	"POST /v1/locks/renew":            true,
	"POST /v1/locks/release":          true,
	"POST /v1/cluster/jobs":           true,
}

// operatorReads are the GET routes that need ScopeOperator: a snapshot
// holds every record of the agent.
var operatorReads = map[string]bool{
	"GET /v1/operator/snapshot": true,
}

// scopeFor is the scope a request needs, by the route it matches.
func (s *Server) scopeFor(r *http.Request) Scope {
	_, pattern := s.mux.Handler(r)
	if operatorReads[pattern] {
		return ScopeOperator
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return ScopeRead
	}
	switch {
	case pattern == "":
		return ScopeRead // no route: the answer is a 404 or 405
	case writeScopes[pattern]:
		return ScopeWrite
	}
	return ScopeOperator
}

// authenticate checks the bearer token, when tokens are configured, and
// that its scope covers the request. Both sides are hashed first, and
// every token is compared, so the time taken says nothing of which token
// matched or of the length of the one sent.
func (s *Server) authenticate(r *http.Request) error {
	if !s.hasToken {
		return nil
	}
	h := r.Header.Get("Authorization")
	if h == "" {
		return &Error{Status: http.StatusUnauthorized, Code: client.CodeUnauthorized,
			Message: "this agent requires a token: send Authorization: Bearer <token> (the CLI reads -token or MARKETSYNC_TOKEN)"}
	}
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return &Error{Status: http.StatusUnauthorized, Code: client.CodeUnauthorized,
			Message: "the Authorization header must use the Bearer scheme: Authorization: Bearer <token>"}
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(token)))
	var scope Scope
	for _, t := range s.tokens {
		if subtle.ConstantTimeCompare(sum[:], t.sum[:]) == 1 && t.scope.rank() > scope.rank() {
			scope = t.scope
		}
	}
	if scope == "" {
		return &Error{Status: http.StatusUnauthorized, Code: client.CodeUnauthorized, Message: "the token is not valid for this agent"}
	}
	if need := s.scopeFor(r); scope.rank() < need.rank() {
		return &Error{Status: http.StatusForbidden, Code: client.CodeInsufficientScope,
			Message: fmt.Sprintf("%s %s needs a token of scope %q or above; this token's scope is %q", r.Method, r.URL.Path, need, scope)}
	}
	return nil
}
