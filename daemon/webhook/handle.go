package webhook

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/marketsync/marketsync/daemon/store"
)

// Notify wakes Run.
func (r *Receiver) Notify() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run hands recorded events to the Resyncer until ctx ends: those left
// by a previous run first, then each as it is recorded; it deletes
// expired delivery marks at start and every hour.
func (r *Receiver) Run(ctx context.Context) error {
	nextSweep := r.o.Clock.Now()
	for {
		if now := r.o.Clock.Now(); !now.Before(nextSweep) {
			if n, err := r.Sweep(now); err != nil {
				r.log.Error("cannot delete expired webhook delivery marks", "error", err)
			} else if n > 0 {
				r.log.Debug("deleted expired webhook delivery marks", "count", n)
			}
			nextSweep = now.Add(sweepEvery)
		}
		next, err := r.HandleDue(ctx)
		if err != nil && ctx.Err() == nil {
			r.log.Error("cannot read recorded webhook events", "error", err)
			next = r.o.Clock.Now().Add(r.o.BaseDelay)
		}
		if next.IsZero() || nextSweep.Before(next) {
			next = nextSweep
		}
		if !next.After(r.o.Clock.Now()) {
			// A full batch was read: more events wait.
			if ctx.Err() != nil {
				return ctx.Err()
			}
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-r.wake:
		case <-r.o.Clock.After(next.Sub(r.o.Clock.Now())):
		}
	}
}

// HandleDue hands every recorded event of a platform that is not backing
// off to the Resyncer, one call per platform with the distinct remote
// ids of its events, and deletes them once it accepted them. One round
// takes at most readBatch events; the events of a platform backing off
// are stepped over and do not count toward it, so they never hold up
// another platform's. An entry that cannot be decoded is logged, counted
// (outcome "undecodable") and deleted. It returns when it should run
// again: now when it read a full batch, else when the earliest platform
// backing off is due (zero when none).
func (r *Receiver) HandleDue(ctx context.Context) (time.Time, error) {
	r.handling.Lock()
	defer r.handling.Unlock()
	type group struct {
		keys [][]byte
		ids  []string
		n    int
	}
	groups := map[string]*group{}
	var order []string
	var bad [][]byte
	taken := 0
	now := r.o.Clock.Now()
	err := r.o.DB.View(func(txn *store.Txn) error {
		return txn.Scan(ns, store.Range{Prefix: []byte("q/")}, func(k, v []byte) error {
			var q queued
			if err := json.Unmarshal(v, &q); err != nil {
				r.log.Error("recorded webhook event cannot be decoded; it is deleted", "key", string(k), "error", err)
				bad = append(bad, slices.Clone(k))
				return nil
			}
			if at, ok := r.retryAt[q.Platform]; ok && now.Before(at) {
				return nil
			}
			g := groups[q.Platform]
			if g == nil {
				g = &group{}
				groups[q.Platform] = g
				order = append(order, q.Platform)
			}
			g.keys = append(g.keys, slices.Clone(k))
			g.n++
			for _, id := range q.RemoteIDs {
				if !slices.Contains(g.ids, id) {
					g.ids = append(g.ids, id)
				}
			}
			if taken++; taken == readBatch {
				return store.StopScan
			}
			return nil
		})
	})
	if err != nil {
		return time.Time{}, err
	}
	if len(bad) > 0 {
		if err := r.delete(bad); err != nil {
			return time.Time{}, err
		}
		r.handled("", "undecodable", len(bad))
	}
	rs := r.resyncer.Load()
	for _, platform := range order {
		g := groups[platform]
		switch {
		case len(g.ids) == 0:
			r.log.Debug("webhook events name no product; nothing to re-sync", "platform", platform, "events", g.n)
			r.handled(platform, "no_products", g.n)
		case rs == nil:
			r.log.Info("webhook events recorded, but no sync pipeline handles them", "platform", platform, "events", g.n, "remote_ids", g.ids)
			r.handled(platform, "unhandled", g.n)
		default:
			if err := (*rs).Changed(ctx, platform, g.ids); err != nil {
				if ctx.Err() != nil {
					return time.Time{}, ctx.Err()
				}
				r.backOff(platform, g.n, err)
				continue
			}
			r.handled(platform, "resynced", g.n)
		}
		delete(r.failures, platform)
		delete(r.retryAt, platform)
		if err := r.delete(g.keys); err != nil {
			return time.Time{}, err
		}
	}
	if taken == readBatch {
		return r.o.Clock.Now(), nil
	}
	var next time.Time
	for _, at := range r.retryAt {
		if next.IsZero() || at.Before(next) {
			next = at
		}
	}
	return next, nil
}

// backOff keeps a platform's events for a later round after the
// Resyncer failed them.
func (r *Receiver) backOff(platform string, n int, cause error) {
	r.failures[platform]++
	f := r.failures[platform]
	delay := r.o.BaseDelay
	for i := 1; i < f && delay < r.o.MaxDelay; i++ {
		delay *= 2
	}
	delay = min(delay, r.o.MaxDelay)
	r.retryAt[platform] = r.o.Clock.Now().Add(delay)
	r.handled(platform, "failed", n)
	r.log.Warn("re-sync of webhook events failed; they are kept and tried again", "platform", platform, "events", n,
		"failures", f, "retry_in", delay, "error", cause)
}

// delete removes keys of the namespace (recorded events, delivery
// marks), in transactions of at most readBatch keys.
func (r *Receiver) delete(keys [][]byte) error {
	for chunk := range slices.Chunk(keys, readBatch) {
		if err := r.o.DB.Update(func(txn *store.Txn) error {
			for _, k := range chunk {
				if err := txn.Delete(ns, k); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}
