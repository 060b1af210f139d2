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
	a.cluster.syncRuns.add(j.ID, owner)
	a.log.Info("sync run forwarded to the owner of its target", "pipeline", name, "owner", owner, "job", j.ID)
	return j, nil
}

// forwardedRunsKept bounds how many forwarded sync runs a node remembers.
const forwardedRunsKept = 1024

// forwardedRuns remembers which node runs each of the last
// forwardedRunsKept sync jobs this node forwarded. Sync jobs are not in
// the cluster's job table, so this is how the node asked follows up on
// the job id it answered with: its status, items and cancel go to the
// node that runs it (syncRunner). The zero value is ready.
type forwardedRuns struct {
	mu     sync.Mutex
	runner map[string]string
	order  []string
}

func (f *forwardedRuns) add(id, node string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.runner == nil {
		f.runner = map[string]string{}
	}
	if _, ok := f.runner[id]; !ok {
		f.order = append(f.order, id)
	}
	f.runner[id] = node
	if len(f.order) > forwardedRunsKept {
		delete(f.runner, f.order[0])
		f.order = f.order[1:]
	}
}

func (f *forwardedRuns) node(id string) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n, ok := f.runner[id]
	return n, ok
}

// syncRunner is a client of the node that runs a sync job this node
// forwarded; handled is false for any other job, and for a request
// another node forwarded here (served here, never sent on). While that
// node is gone the job waits in its store, so the request is refused.
func (a *Agent) syncRunner(ctx context.Context, id string) (_ *client.Client, handled bool, _ error) {
	c := a.cluster
	if c == nil || api.ForwardedBy(ctx) != "" {
		return nil, false, nil
	}
	node, ok := c.syncRuns.node(id)
	if !ok {
		return nil, false, nil
	}
	addr := c.memberAPI(node)
	if addr == "" {
		return nil, true, api.Unavailable(client.CodeUnavailable, fmt.Sprintf("sync job %s runs on node %s, which is not alive in the cluster now: a sync job lives only in the store of the node that runs it, and resumes there when it comes back", id, node))
	}
	cl, err := c.dial(addr)
	return cl, true, err
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
