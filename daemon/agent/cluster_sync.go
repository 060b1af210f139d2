package agent

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/marketsync/marketsync/actors/job"
	"github.com/marketsync/marketsync/daemon/api"
	"github.com/marketsync/marketsync/daemon/binding"
	"github.com/marketsync/marketsync/daemon/client"
	"github.com/marketsync/marketsync/daemon/cluster/jobrec"
	"github.com/marketsync/marketsync/daemon/store"
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

// watchSyncOwnership hands the engine to the adoption of sync runs taken
// over, and reconciles it with ownership every ownershipPoll until the node leaves the cluster (its ownership loop
// ends, releasing every lease: the runs then pause, and resume wherever
// the accounts go); alone it does nothing.
func (a *Agent) watchSyncOwnership(e *syncengine.Engine) {
	c := a.cluster
	if c == nil {
		return
	}
	c.setSyncEngine(e)
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
	if _, mine := a.cluster.owner.Token(resource); mine {
		// This node owns the store but not yet every source of its
		// pipelines (a takeover in progress): nobody else may run it.
		return nil, api.Unavailable(client.CodeUnavailable, fmt.Sprintf("%v; this node owns %s and waits for the leases on the pipeline's sources (a takeover may be under way): ask again in a few seconds", cause, resource))
	}
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
// forwardedRunsKept sync jobs this node forwarded: this is how the node
// asked follows up on the job id it answered with: its status, items and cancel go to the
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
// another node forwarded here (served here, never sent on). Once this
// node's replica of the job table holds the run, the table says where it
// runs (it moves with its store on a failover), and handled is false:
// the job is answered as any job of the table is, from the node that
// runs it now, or from the table while that node is gone (elsewhere). A
// node that keeps no table (not a server) refuses while the node it
// forwarded to is gone, naming it.
func (a *Agent) syncRunner(ctx context.Context, id string) (_ *client.Client, handled bool, _ error) {
	c := a.cluster
	if c == nil || api.ForwardedBy(ctx) != "" {
		return nil, false, nil
	}
	node, ok := c.syncRuns.node(id)
	if !ok {
		return nil, false, nil
	}
	if t := c.node.Jobs(); t != nil {
		if _, ok := t.Get(id); ok {
			return nil, false, nil
		}
	}
	addr := c.memberAPI(node)
	if addr == "" {
		return nil, true, api.Unavailable(client.CodeUnavailable, fmt.Sprintf("sync job %s runs on node %s, which is not alive in the cluster now: the run moves with its store to the node that takes the store over, under the same id; ask that node (marketsync members shows who owns the store)", id, node))
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

// In a cluster a sync run lives with the owner of its pipeline's group
// (the target store and its sources) and moves with it, as collect jobs
// do (see cluster_jobs.go), through the same replicated job table and the
// same fenced write: the run's planned source ids at creation, and at
// each checkpoint its items' outcomes, with, for an item written, the
// store's id of the product and its variants. The table is written
// first, inside the transaction that checkpoints the batch here, so a
// batch the table refused is not recorded here either, and an item
// this node stored as synced is synced in the table too.
//
// The node that gains the group claims the pipeline's unfinished runs
// (adoptSync), rebuilds each in its own store from the claim's answer
// and binds the settled items to the store's products from the record,
// writing nothing to the store for them. The run then collects its
// unsettled source products on this node, as a visible step (the job
// shows paused, with the reason, until the collect ends), because the
// catalogue is each node's own, and resumes under the same id: only the
// unsettled items are written. What can be written twice is the batch
// in flight at the old owner's death: marked attempted in the table
// before it was sent, it is looked up in the store by SKU first (and a
// create carries the same idempotency key on every node), so a product
// the store took is bound, not created again; it may be updated a second
// time.

// collectTimeout bounds the collect of a run's unsettled source products
// on the node that took the run over.
const collectTimeout = 10 * time.Minute

// replicatedSyncStore is the sync engine's job store in a cluster: every
// sync job is written to the cluster's job table first.
type replicatedSyncStore struct {
	syncengine.JobStore
	cj *clusterJobs
	// sources maps each pipeline to its source platform.
	sources map[string]string
}

// clusterSyncStore is s, replicated when the agent is a cluster node.
func (a *Agent) clusterSyncStore(s syncengine.JobStore) syncengine.JobStore {
	if a.cluster == nil || a.cluster.jobs == nil {
		return s
	}
	sources := map[string]string{}
	for _, p := range a.cfg.Syncs {
		sources[p.Name] = p.Source
	}
	a.cluster.jobs.syncSources = sources
	return replicatedSyncStore{JobStore: s, cj: a.cluster.jobs, sources: sources}
}

// lost is err, marked as the engine's not-the-owner when the table
// refused the write because another node owns the target now: the run
// then pauses instead of failing.
func lost(err error) error {
	if errors.Is(err, errNotOwner) {
		return fmt.Errorf("%w: %w", syncengine.ErrNotOwner, err)
	}
	return err
}

func (s replicatedSyncStore) Create(j *job.Job, ids []string) error {
	s.cj.setRunning(j.GetId(), &run{})
	rec := proto.CloneOf(j)
	rec.Total = int32(len(ids))
	if err := s.cj.write(rec, jobrec.Command{Op: jobrec.OpCreate, Kind: jobrec.KindSync, Request: ids}); err != nil {
		s.cj.setRunning(j.GetId(), nil)
		return lost(err)
	}
	return s.JobStore.Create(j, ids)
}

func (s replicatedSyncStore) Save(j *job.Job) error {
	err := s.cj.write(j, jobrec.Command{Op: jobrec.OpCheckpoint})
	if final(j.GetState()) {
		s.cj.setRunning(j.GetId(), nil)
		if errors.Is(err, errNotOwner) {
			// Left unfinished here: the next owner ends it.
			return lost(err)
		}
	}
	return errors.Join(lost(err), s.JobStore.Save(j))
}

// CommitWith writes the batch to the table inside the local transaction,
// after also has settled the items and put their bindings: a refused
// write aborts the transaction.
func (s replicatedSyncStore) CommitWith(j *job.Job, items []*job.Item, also func(*store.Txn) error) error {
	err := s.JobStore.CommitWith(j, items, func(txn *store.Txn) error {
		if also != nil {
			if err := also(txn); err != nil {
				return err
			}
		}
		cmd := jobrec.Command{Op: jobrec.OpCheckpoint}
		for _, it := range items {
			b, err := proto.Marshal(it)
			if err != nil {
				return err
			}
			ri := jobrec.Item{Index: it.GetIndex(), State: int32(it.GetState()), Data: b}
			if it.GetState() == job.ItemState_ITEM_SUCCEEDED {
				bd, err := binding.Get(txn, s.sources[j.GetPipeline()], it.GetId(), j.GetPlatform())
				if err != nil && !errors.Is(err, store.ErrNotFound) {
					return err
				}
				if bd != nil {
					ri.Remote, ri.Variants = bd.RemoteID, bd.Variants
				}
			}
			cmd.Items = append(cmd.Items, ri)
		}
		return s.cj.write(j, cmd)
	})
	if final(j.GetState()) {
		s.cj.setRunning(j.GetId(), nil)
	}
	return lost(err)
}

// Unfinished leaves out sync jobs: in a cluster they resume from the
// table, on the node that owns their pipeline's group (adoptSync).
func (s replicatedSyncStore) Unfinished() ([]*job.Job, error) {
	all, err := s.JobStore.Unfinished()
	return slices.DeleteFunc(all, func(j *job.Job) bool { return j.GetKind() == job.Kind_KIND_SYNC }), err
}

// setSyncEngine hands the sync engine to the adoption loop, which then
// looks for runs to take over at once.
func (c *agentCluster) setSyncEngine(e *syncengine.Engine) {
	if c.jobs == nil {
		return
	}
	c.jobs.engine.Store(e)
	select {
	case c.gained <- struct{}{}:
	default:
	}
}

// adoptSync takes over the sync run rec into the target platform, unless
// this node runs it (or is taking it over) already: it holds the
// pipeline, claims the run, rebuilds it here with the settled items'
// bindings, and hands it to takeOver. A run whose pipeline this node does
// not own as a whole yet, or which another run of the pipeline holds,
// waits for a later round.
func (cj *clusterJobs) adoptSync(ctx context.Context, platform string, rec jobrec.Record) {
	e := cj.engine.Load()
	if e == nil || e.Running(rec.ID) {
		return
	}
	j, err := recordJob(rec)
	if err != nil {
		cj.a.log.Error("cannot read a sync run's record; it is not taken over", "job", rec.ID, "err", err)
		return
	}
	held, err := e.Hold(j)
	if errors.Is(err, syncengine.ErrUnknownPipeline) {
		cj.failSync(ctx, platform, rec, fmt.Sprintf("sync %q is not configured on node %s, which took its store over", j.GetPipeline(), cj.c.node.Name()))
		return
	}
	if err != nil {
		cj.a.log.Debug("a sync run of a store taken over waits", "job", rec.ID, "pipeline", j.GetPipeline(), "err", err)
		return
	}
	source := cj.syncSources[j.GetPipeline()]
	claimed, token, ok := cj.claim(ctx, platform, rec)
	if ok {
		cj.setRunning(rec.ID, &run{token: token})
		j, err = cj.rebuild(claimed, func(txn *store.Txn, items []jobrec.Item) error {
			return bindSettled(txn, source, platform, items)
		})
		if err != nil {
			cj.a.log.Error("cannot rebuild a sync run taken over in this node's store; it is not resumed here", "job", rec.ID, "pipeline", j.GetPipeline(), "err", err)
			ok = false
		}
	}
	if !ok {
		cj.setRunning(rec.ID, nil)
		held.Release()
		return
	}
	cj.a.log.Info("took over a sync run of a store taken over", "job", rec.ID, "pipeline", j.GetPipeline(), "from", rec.Owner,
		"done", claimed.Done(), "total", len(claimed.Request))
	go cj.takeOver(ctx, held, j, source)
}

// failSync claims the run rec and ends it failed for reason: it cannot
// run on this node, which owns its store now.
func (cj *clusterJobs) failSync(ctx context.Context, platform string, rec jobrec.Record, reason string) {
	claimed, token, ok := cj.claim(ctx, platform, rec)
	if !ok {
		return
	}
	cj.setRunning(rec.ID, &run{token: token})
	j, err := cj.rebuild(claimed, nil)
	if err == nil {
		now := timestamppb.Now()
		j.State, j.Error, j.UpdatedAt, j.FinishedAt = job.State_STATE_FAILED, reason, now, now
		err = replicatedSyncStore{JobStore: syncJobStore{Store: cj.a.jobs, changes: cj.a.changes}, cj: cj, sources: cj.syncSources}.Save(j)
	}
	if err != nil {
		cj.setRunning(rec.ID, nil)
		cj.a.log.Error("cannot end a sync run this node cannot run; trying again", "job", rec.ID, "reason", reason, "err", err)
		return
	}
	cj.a.log.Error("sync job failed", "job", rec.ID, "reason", reason)
}

// bindSettled binds each synced item to the store's product the record
// names, as the run that wrote it did.
func bindSettled(txn *store.Txn, source, target string, items []jobrec.Item) error {
	for _, ri := range items {
		if ri.State != jobrec.ItemSucceeded || ri.Remote == "" {
			continue
		}
		var it job.Item
		if err := proto.Unmarshal(ri.Data, &it); err != nil {
			return fmt.Errorf("item %d: %w", ri.Index, err)
		}
		b := &binding.Binding{SourcePlatform: source, SourceID: it.GetId(), Target: target, RemoteID: ri.Remote, Variants: ri.Variants}
		if b.Variants == nil {
			b.Variants = map[string]string{}
		}
		if err := binding.Put(txn, b); err != nil {
			return fmt.Errorf("bind item %d (%s) to %s: %w", ri.Index, it.GetId(), ri.Remote, err)
		}
	}
	return nil
}

// takeOver collects the run's unsettled source products on this node,
// then launches the run: its job shows the collect as a pause with its
// reason meanwhile. Products the collect could not get fail as items
// (not in the catalogue), each with its reason.
func (cj *clusterJobs) takeOver(ctx context.Context, held *syncengine.Held, j *job.Job, source string) {
	a := cj.a
	pending, err := a.jobs.Pending(j.GetId())
	if err != nil {
		a.log.Error("cannot read a sync run's pending items; it resumes without collecting them first", "job", j.GetId(), "err", err)
	}
	ids := make([]string, 0, len(pending))
	for _, it := range pending {
		ids = append(ids, it.GetId())
	}
	if len(ids) > 0 {
		now := time.Now()
		j.UpdatedAt, j.PausedUntil = timestamppb.New(now), timestamppb.New(now.Add(collectTimeout))
		j.PausedReason = fmt.Sprintf("taken over from another node: collecting its %d unsettled source products from %s on this node before it writes them", len(ids), source)
		cj.saveLocal(j)
		cctx, cancel := context.WithTimeout(ctx, collectTimeout)
		err := cj.collect(cctx, source, ids)
		cancel()
		if err != nil {
			a.log.Warn("a sync run taken over could not collect all its source products on this node: those not in the catalogue fail as items", "job", j.GetId(), "source", source, "err", err)
		}
		j.UpdatedAt, j.PausedUntil, j.PausedReason = timestamppb.Now(), nil, ""
		cj.saveLocal(j)
	}
	if ctx.Err() != nil {
		held.Release()
		return
	}
	held.Launch(j)
}

// saveLocal saves the job's record in this node's store alone: the
// table's record of the run moves on at its checkpoints.
func (cj *clusterJobs) saveLocal(j *job.Job) {
	if err := cj.a.jobs.Save(j); err != nil {
		cj.a.log.Warn("cannot save a sync run taken over", "job", j.GetId(), "err", err)
		return
	}
	cj.a.changes.notify()
}

// collect runs collect jobs of ids on source here, at most
// api.MaxCollectIDs at a time, and waits for each to end.
func (cj *clusterJobs) collect(ctx context.Context, source string, ids []string) error {
	a := cj.a
	for chunk := range slices.Chunk(ids, api.MaxCollectIDs) {
		c, err := a.Collect(ctx, client.CollectRequest{Platform: source, IDs: chunk})
		if err != nil {
			return err
		}
		for {
			changed := a.changes.wait() // before the read, so no change is missed
			j, err := a.jobs.Get(c.ID)
			if err != nil {
				return fmt.Errorf("collect job %s: %w", c.ID, err)
			}
			if final(j.GetState()) {
				if j.GetFailed() > 0 || j.GetState() != job.State_STATE_SUCCEEDED {
					return fmt.Errorf("collect job %s ended %s with %d of %d products failed: %s", j.GetId(), j.GetState(), j.GetFailed(), j.GetTotal(), j.GetError())
				}
				break
			}
			select {
			case <-changed:
			case <-ctx.Done():
				return fmt.Errorf("collect job %s: %w", c.ID, ctx.Err())
			}
		}
	}
	return nil
}
