package netns

import (
	"context"
	"errors"
	"time"

	"github.com/marketsync/marketsync/daemon/client"
	"github.com/marketsync/marketsync/daemon/cluster/clustertest"
)

// holder is a lock user as an ERP would be, talking to one node's API: it
// tries to acquire the lock every retry, renews a third of the TTL after
// each success, and stops believing it holds the lock a TTL after it sent
// its last successful acquire or renew, by its own clock — the contract of
// client.Lease. Every call goes to the journal, every belief to the
// porcupine history.
type holder struct {
	name, node string
	api        *client.Client
	lock       string
	ttl, retry time.Duration
	hist       *clustertest.LockHistory
	j          *journal
}

func (h *holder) record(kind string, token uint64, call time.Time, err error) {
	h.j.add(event{node: h.node, client: h.name, kind: kind, token: token, call: call, err: err})
}

// run acquires and holds until ctx ends, then releases.
func (h *holder) run(ctx context.Context) {
	retry := time.NewTicker(h.retry)
	defer retry.Stop()
	for ctx.Err() == nil {
		call := time.Now()
		actx, cancel := context.WithTimeout(ctx, h.ttl)
		l, err := h.api.Locks().Acquire(actx, client.LockRequest{Name: h.lock, Holder: h.name, TTLSeconds: h.ttl.Seconds()})
		cancel()
		switch {
		case err == nil:
			ret := time.Now()
			h.hist.Acquired(h.name, l.Token, call, ret)
			h.record("acquire", l.Token, call, nil)
			h.hold(ctx, l.Token, call.Add(h.ttl))
		case isCode(err, client.CodeLockBusy):
			h.record("refused", 0, call, err)
		case ctx.Err() == nil:
			h.record("failed", 0, call, err)
		}
		select {
		case <-ctx.Done():
		case <-retry.C: // the pace of a client's retries
		}
	}
}

// hold renews the grant of token until the lease is lost or ctx ends.
// until is when the holder stops believing, a TTL after it sent its last
// successful acquire or renew.
func (h *holder) hold(ctx context.Context, token uint64, until time.Time) {
	renew := time.NewTicker(h.ttl / 3)
	defer renew.Stop()
	expire := time.NewTimer(time.Until(until))
	defer expire.Stop()
	for {
		select {
		case <-ctx.Done():
			call := time.Now()
			rctx, cancel := context.WithTimeout(context.Background(), h.ttl)
			err := h.api.Locks().Release(rctx, client.LockRequest{Name: h.lock, Holder: h.name, Token: token})
			cancel()
			h.hist.Ended(h.name, call)
			h.record("release", token, call, err)
			return
		case <-expire.C:
			// The lease ran out by the holder's own clock: it stopped
			// believing at until, whatever the timer's delay.
			h.hist.Ended(h.name, until)
			h.j.add(event{at: until, node: h.node, client: h.name, kind: "ended", token: token, call: until})
			return
		case <-renew.C:
			call := time.Now()
			// A renewal answered after until comes too late: the holder
			// has stopped believing by then.
			rctx, cancel := context.WithDeadline(ctx, until)
			_, err := h.api.Locks().Renew(rctx, client.LockRequest{Name: h.lock, Holder: h.name, Token: token})
			cancel()
			if ctx.Err() != nil {
				continue // released above
			}
			h.record("renew", token, call, err)
			switch {
			case err == nil:
				until = call.Add(h.ttl)
				expire.Reset(time.Until(until))
			case isCode(err, client.CodeNotLockHolder):
				h.hist.Ended(h.name, call)
				h.j.add(event{node: h.node, client: h.name, kind: "ended", token: token, call: call, err: err})
				return
			}
		}
	}
}

func isCode(err error, code string) bool {
	var ae *client.APIError
	return errors.As(err, &ae) && ae.Code == code
}
