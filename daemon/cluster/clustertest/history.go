package clustertest

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"
)

// LockHistory records, per client, when it believed it held a lock: from
// the call of an acquire that succeeded to the moment it stopped
// believing (a release, or its own reckoning that its lease ran out).
// Check runs porcupine's linearizability checker over it with a model of
// a mutual-exclusion lock whose grants carry increasing fencing tokens.
type LockHistory struct {
	mu      sync.Mutex
	ops     []porcupine.Operation
	clients map[string]int
}

type lockInput struct {
	acquire bool
	client  string
	token   uint64
}

type lockState struct {
	holder string
	token  uint64
	last   string // who was granted token
}

func (h *LockHistory) client(name string) int {
	if h.clients == nil {
		h.clients = map[string]int{}
	}
	id, ok := h.clients[name]
	if !ok {
		id = len(h.clients)
		h.clients[name] = id
	}
	return id
}

// Acquired records a successful acquire called at call that returned at
// ret with token.
func (h *LockHistory) Acquired(client string, token uint64, call, ret time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ops = append(h.ops, porcupine.Operation{ClientId: h.client(client), Input: lockInput{acquire: true, client: client, token: token},
		Call: call.UnixNano(), Return: ret.UnixNano()})
}

// Ended records that client stopped believing it held the lock at.
func (h *LockHistory) Ended(client string, at time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ops = append(h.ops, porcupine.Operation{ClientId: h.client(client), Input: lockInput{client: client},
		Call: at.UnixNano(), Return: at.UnixNano()})
}

// Len is how many operations were recorded.
func (h *LockHistory) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.ops)
}

var lockModel = porcupine.Model{
	Init: func() any { return lockState{} },
	Step: func(state, input, _ any) (bool, any) {
		s, in := state.(lockState), input.(lockInput)
		if in.acquire {
			// A client may stop believing before the leader expires its
			// lease (its renewals failed) and get the same grant back.
			fresh := in.token > s.token || in.token == s.token && in.client == s.last
			return s.holder == "" && fresh, lockState{holder: in.client, token: in.token, last: in.client}
		}
		return s.holder == in.client, lockState{token: s.token, last: s.last}
	},
}

// String lists the operations, for a failure message.
func (h *LockHistory) String() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var b strings.Builder
	for _, op := range h.ops {
		in := op.Input.(lockInput)
		if in.acquire {
			fmt.Fprintf(&b, "%s acquired token %d [%s, %s]\n", in.client, in.token, time.Unix(0, op.Call).UTC().Format(time.StampMilli), time.Unix(0, op.Return).UTC().Format(time.StampMilli))
		} else {
			fmt.Fprintf(&b, "%s ended at %s\n", in.client, time.Unix(0, op.Call).UTC().Format(time.StampMilli))
		}
	}
	return b.String()
}

// Check says whether the history is linearizable: no two clients believed
// they held the lock at once, and tokens grew with every grant.
func (h *LockHistory) Check() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return porcupine.CheckOperations(lockModel, h.ops)
}
