package agent

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/marketsync/marketsync/daemon/api"
	"github.com/marketsync/marketsync/daemon/client"
	"github.com/marketsync/marketsync/daemon/syncengine"
)

// ownershipPoll is how often the sync engine is brought in line with the
// store accounts this node owns. Ownership changes at the owner's steps
// and also by time alone (a lease this node no longer trusts), which no
// event reports; the engine's write path checks the lease before every
// call anyway, so this only bounds how late a run stops writing nothing
// or a regained account's jobs resume.
const ownershipPoll = 200 * time.Millisecond

// syncFence is the sync engine's Fence in a cluster: the fencing token of
// this node's lease on the target's platform account ("platform/<name>"),
// false when it does not own it, or does not also own the source account
// of every pipeline into that target. Ownership ranks a pipeline's
// accounts as one group, but a takeover or a handover moves their leases
// one by one: while the source's lease is still elsewhere, this node's
// catalogue of it is not the one being collected, so its pipelines
// write nothing and their runs pause until it holds both. Alone, the
// agent has none (nil).
func (a *Agent) syncFence() func(target string) (uint64, bool) {
	if a.cluster == nil {
		return nil
	}
	owner := a.cluster.owner
	sources := map[string][]string{}
	for _, s := range a.cfg.Syncs {
		sources[s.Target] = append(sources[s.Target], platformResource(s.Source))
	}
	var mu sync.Mutex
	waiting := map[string]bool{}
	return func(target string) (uint64, bool) {
		resource := platformResource(target)
		token, ok := owner.TokenWith(resource, sources[target])
		_, ownsTarget := owner.Token(resource)
		mu.Lock()
		defer mu.Unlock()
		// The engine's pause names only the target: say once why.
		if wait := ownsTarget && !ok; wait != waiting[target] {
			waiting[target] = wait
			switch {
			case wait:
				a.log.Warn("this node owns the sync target but not yet every source its pipelines read: they write nothing until it owns those too", "target", target, "sources", sources[target])
			case ok:
				a.log.Info("this node owns the sync target's sources too now", "target", target)
			}
		}
		return token, ok
	}
}

// watchSyncOwnership reconciles the engine with ownership every
// ownershipPoll until the node leaves the cluster (its ownership loop
// ends, releasing every lease: the runs then pause, and resume wherever
// the accounts go); alone it does nothing.
func (a *Agent) watchSyncOwnership(e *syncengine.Engine) {
	c := a.cluster
	if c == nil {
		return
	}
	go func() {
		tick := time.NewTicker(ownershipPoll)
		defer tick.Stop()
		for {
			select {
			case <-c.done:
				e.Reconcile()
				return
			case <-tick.C:
				e.Reconcile()
			}
		}
	}()
}

// forwardSyncRun asks the agent that owns the pipeline's target to run
// it, as gossip says who owns it; cause is why this node did not. Right
// after an election or a failover the owner's claim may not have reached
// this node yet: it waits for one up to leaderHold, as lock requests wait
// for a leader. The job lives with that agent: its id is followed there.
func (a *Agent) forwardSyncRun(ctx context.Context, name string, req client.SyncRunRequest, cause error) (*client.Job, error) {
	var ne *syncengine.NotOwnerError
	if a.cluster == nil || !errors.As(cause, &ne) {
		return nil, api.Unavailable(client.CodeUnavailable, cause.Error())
	}
	resource := platformResource(ne.Target)
	owner, addr := a.storeOwner(resource)
	if owner == "" {
		hold := time.NewTimer(leaderHold)
		defer hold.Stop()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		noOwner := func(waited string) error {
			return api.Unavailable(client.CodeUnavailable, fmt.Sprintf("%v; no node owns %s at the moment (%s; a failover may be under way): ask again in a few seconds", cause, resource, waited))
		}
		for owner == "" {
			select {
			case <-ctx.Done():
				return nil, noOwner("the request ended while waiting: " + ctx.Err().Error())
			case <-hold.C:
				return nil, noOwner("waited " + leaderHold.String())
			case <-tick.C:
				owner, addr = a.storeOwner(resource)
			}
		}
	}
	if by := api.ForwardedBy(ctx); by != "" {
		// Never forwarded twice: see ownerClient.
		return nil, api.Unavailable(client.CodeUnavailable, fmt.Sprintf("%v; node %s forwarded this run here, but this node sees %s as the owner of %s: ask again in a few seconds", cause, by, owner, resource))
	}
	cl, err := a.cluster.dial(addr)
	if err != nil {
		return nil, err
	}
	j, err := cl.Sync().Run(ctx, name, req)
	var ae *client.APIError
	switch {
	case errors.As(err, &ae) && ae.Code != "":
		return nil, &api.Error{Status: ae.StatusCode, Code: ae.Code, Message: fmt.Sprintf("node %s, which owns %s: %s", owner, resource, ae.Message)}
	case err != nil:
		return nil, api.Unavailable(client.CodeUnavailable, fmt.Sprintf("%v; forwarding to node %s, which owns %s, failed: %v", cause, owner, resource, err))
	}
	a.log.Info("sync run forwarded to the owner of its target", "pipeline", name, "owner", owner, "job", j.ID)
	return j, nil
}

// storeOwner is the alive node, other than this one, that gossips owning
// resource, and its API address; "" when none does.
func (a *Agent) storeOwner(resource string) (name, apiAddr string) {
	self := a.cfg.Cluster.NodeName
	for _, m := range a.cluster.node.Membership().Alive() {
		if m.Name != self && m.Meta.APIAddr != "" && slices.Contains(m.Meta.Owned, resource) {
			return m.Name, m.Meta.APIAddr
		}
	}
	return "", ""
}
