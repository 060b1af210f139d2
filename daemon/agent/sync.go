package agent

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/marketsync/marketsync/actors/job"
	"github.com/marketsync/marketsync/config"
	"github.com/marketsync/marketsync/daemon/alerting"
	"github.com/marketsync/marketsync/daemon/api"
	"github.com/marketsync/marketsync/daemon/binding"
	"github.com/marketsync/marketsync/daemon/client"
	"github.com/marketsync/marketsync/daemon/conflict"
	"github.com/marketsync/marketsync/daemon/jobs"
	"github.com/marketsync/marketsync/daemon/outbox"
	"github.com/marketsync/marketsync/daemon/snapshot"
	"github.com/marketsync/marketsync/daemon/store"
	"github.com/marketsync/marketsync/daemon/syncengine"
	"github.com/marketsync/marketsync/sdk"
)

// setupSync starts the sync engine over the sync blocks: it resumes the
// sync jobs left unfinished and starts their schedules. In a cluster a
// pipeline runs only on the node that owns its target's platform
// account, and every write carries that lease's fencing token.
func (a *Agent) setupSync(context.Context) error {
	var c *syncengine.Engine
	opts := syncengine.Options{
		DB:        a.db,
		Jobs:      a.clusterSyncStore(syncJobStore{Store: a.jobs, changes: a.changes}),
		Root:      a.system.Root,
		Pipelines: a.cfg.Syncs,
		Platforms: a.syncPlatform,
		Events:    a.syncEvents,
		Fence:     a.syncFence(),
		Observer:  a.metrics,
		Logger:    a.log.With("component", "sync"),
	}
	if a.cache != nil {
		opts.Cache = a.cache.Cache
	}
	c, err := syncengine.New(opts)
	if err != nil {
		return err
	}
	if err := c.Start(); err != nil {
		return err
	}
	a.sync = c
	a.watchSyncOwnership(c)
	if a.webhooks != nil {
		a.SetResyncer(c)
	}
	return nil
}

// syncEvents records the sync engine's events in the outbox, in the
// engine's transaction. A sync job's job.finished is left to the job
// store's hook (jobEvents), which emits it for every kind of job in the
// transaction that ends it.
func (a *Agent) syncEvents(txn *store.Txn, t outbox.Type, data any) error {
	if a.events == nil || t == outbox.JobFinished {
		return nil
	}
	return a.events.Emit(txn, t, data)
}

// SyncEngine is the agent's sync engine: Changed on it queues a targeted
// re-sync of the products a store's webhook names.
func (a *Agent) SyncEngine() *syncengine.Engine { return a.sync }

// stopSync stops the engine's schedules and runs; each run checkpoints
// the batch it is writing and resumes at the next start.
func (a *Agent) stopSync(ctx context.Context) {
	if a.sync == nil {
		return
	}
	if err := a.sync.Stop(ctx); err != nil {
		a.log.Warn("sync runs did not stop in time", "error", err)
	}
}

func (a *Agent) syncPlatform(name string) (syncengine.Platform, bool) {
	e, ok := a.current()[name]
	if !ok {
		return syncengine.Platform{}, false
	}
	return syncengine.Platform{PID: e.pid, Plugin: e.cfg.Plugin, Limits: e.desc.Limits}, e.desc.Has(sdk.CapabilityPublish)
}

// syncJobStore is the job store as the sync engine sees it: every write
// wakes the blocking queries on jobs, as the collect jobs' writes do.
type syncJobStore struct {
	*jobs.Store
	changes *changes
}

func (s syncJobStore) Create(j *job.Job, ids []string) error {
	return s.then(s.Store.Create(j, ids))
}

func (s syncJobStore) Save(j *job.Job) error { return s.then(s.Store.Save(j)) }

func (s syncJobStore) CommitWith(j *job.Job, items []*job.Item, also func(*store.Txn) error) error {
	return s.then(s.Store.CommitWith(j, items, also))
}

func (s syncJobStore) then(err error) error {
	if err == nil {
		s.changes.notify()
	}
	return err
}

// syncSource serves the sync routes of the API.
type syncSource struct{ a *Agent }

func (a *Agent) syncSource() api.SyncSource {
	if a.sync == nil {
		return nil
	}
	return syncSource{a}
}

func (s syncSource) jobByID(id string) *client.Job {
	if id == "" {
		return nil
	}
	j, err := s.a.jobs.Get(id)
	if err != nil {
		return nil
	}
	return jobFromRecord(j)
}

// SyncPipelines implements api.SyncSource.
func (s syncSource) SyncPipelines(context.Context) ([]client.SyncPipeline, error) {
	var out []client.SyncPipeline
	for _, p := range s.a.sync.Status() {
		out = append(out, client.SyncPipeline{Name: p.Name, Source: p.Source, Target: p.Target, Schedule: p.Schedule, Next: p.Next,
			Active: s.jobByID(p.ActiveJob), Last: s.jobByID(p.LastJob)})
	}
	return out, nil
}

// RunSync implements api.SyncSource. In a cluster, a pipeline whose
// target another node owns is forwarded to that node.
func (s syncSource) RunSync(ctx context.Context, name string, req client.SyncRunRequest) (*client.Job, error) {
	j, err := s.a.sync.Run(name, req.IDs)
	switch {
	case errors.Is(err, syncengine.ErrNotOwner):
		return s.a.forwardSyncRun(ctx, name, req, err)
	case errors.Is(err, syncengine.ErrUnknownPipeline):
		return nil, api.NotFound(client.CodeUnknownPipeline, fmt.Sprintf("no sync block is named %q", name))
	case errors.Is(err, syncengine.ErrStopping), errors.Is(err, syncengine.ErrPlanning):
		return nil, api.Unavailable(client.CodeUnavailable, err.Error())
	case err != nil:
		return nil, err
	}
	return jobFromRecord(j), nil
}

// Bindings implements api.SyncSource: the source product's binding on
// the target of every pipeline that reads its platform.
func (s syncSource) Bindings(_ context.Context, platform, id string) ([]client.Binding, error) {
	var out []client.Binding
	err := s.a.db.View(func(txn *store.Txn) error {
		for _, p := range s.a.cfg.Syncs {
			if p.Source != platform {
				continue
			}
			b, err := binding.Get(txn, platform, id, p.Target)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			cb := client.Binding{SourcePlatform: b.SourcePlatform, SourceID: b.SourceID, Target: b.Target, RemoteID: b.RemoteID, Variants: b.Variants, Pipeline: p.Name}
			if snap, err := snapshot.Get(txn, snapshot.Key{Pipeline: p.Name, Platform: platform, ID: id}); err == nil {
				cb.SyncedAt = snap.SyncedAt
			}
			out = append(out, cb)
		}
		return nil
	})
	return out, err
}

// History implements api.SyncSource.
func (s syncSource) History(_ context.Context, platform, id string) ([]client.Decision, error) {
	var out []client.Decision
	err := s.a.db.View(func(txn *store.Txn) error {
		list, err := conflict.History(txn, platform, id)
		for _, d := range list {
			out = append(out, client.Decision(*d))
		}
		return err
	})
	return out, err
}

// Conflicts implements api.SyncSource.
func (s syncSource) Conflicts(_ context.Context, state string) ([]client.Conflict, error) {
	var out []client.Conflict
	err := s.a.db.View(func(txn *store.Txn) error {
		list, err := conflict.List(txn, state)
		for _, c := range list {
			out = append(out, client.Conflict(*c))
		}
		return err
	})
	return out, err
}

// Conflict implements api.SyncSource.
func (s syncSource) Conflict(_ context.Context, id string) (*client.Conflict, error) {
	var out *client.Conflict
	err := s.a.db.View(func(txn *store.Txn) error {
		c, err := conflict.Get(txn, id)
		if err != nil {
			return err
		}
		cc := client.Conflict(*c)
		out = &cc
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, api.NotFound(client.CodeConflictNotFound, fmt.Sprintf("no conflict %q", id))
	}
	return out, err
}

// ResolveConflict implements api.SyncSource.
func (s syncSource) ResolveConflict(ctx context.Context, id string, req client.ConflictResolution) (*client.Conflict, error) {
	ctx, cancel := context.WithTimeout(ctx, askTimeout)
	defer cancel()
	c, err := s.a.sync.ResolveConflict(ctx, id, req.Take, req.Value)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, api.NotFound(client.CodeConflictNotFound, fmt.Sprintf("no conflict %q", id))
	case errors.Is(err, conflict.ErrResolved):
		return nil, api.Conflict(client.CodeConflictResolved, fmt.Sprintf("conflict %s was resolved already (take %s at %s)", id, c.Take, c.ResolvedAt.Format(time.RFC3339)))
	case c == nil && err != nil:
		return nil, api.BadRequest(client.CodeInvalidRequest, err.Error())
	}
	if err != nil {
		s.a.log.Error("a resolved conflict's re-sync did not start", "conflict", id, "error", err)
	}
	cc := client.Conflict(*c)
	return &cc, nil
}

// cancelSync cancels a running sync job through the engine, which answers
// once the batch in flight is checkpointed.
func (a *Agent) cancelSync(id string) (*client.Job, error) {
	if a.sync == nil {
		return nil, api.Conflict(client.CodeJobFinished, "sync is not running on this agent")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := a.sync.Cancel(ctx, id)
	j, gerr := a.jobs.Get(id)
	switch {
	case gerr != nil:
		return nil, gerr
	case errors.Is(err, syncengine.ErrNotRunning):
		return nil, api.JobFinished(id, jobFromRecord(j).State)
	case err != nil:
		return nil, api.Unavailable(client.CodeUnavailable, fmt.Sprintf("the sync job did not stop: %v", err))
	}
	return jobFromRecord(j), nil
}

// syncAlerts answers the alert function conflicts_pending: the open
// conflicts of each sync pipeline, 0 for a pipeline without any.
type syncAlerts struct{ a *Agent }

// syncProviders are the alert providers of the sync engine: none when it
// does not run.
func (a *Agent) syncProviders() []alerting.Provider {
	if a.sync == nil {
		return nil
	}
	return []alerting.Provider{syncAlerts{a}}
}

// Functions implements alerting.Provider.
func (syncAlerts) Functions() []string { return []string{"conflicts_pending"} }

// Eval implements alerting.Provider.
func (s syncAlerts) Eval(_ context.Context, call *config.AlertCall) ([]alerting.Sample, error) {
	counts := map[string]int{}
	for _, p := range s.a.cfg.Syncs {
		counts[p.Name] = 0
	}
	err := s.a.db.View(func(txn *store.Txn) error {
		open, err := conflict.List(txn, conflict.StateOpen)
		for _, c := range open {
			if _, ok := counts[c.Pipeline]; ok {
				counts[c.Pipeline]++
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	var out []alerting.Sample
	for name, n := range counts {
		if re := call.Args["sync"].Regexp; re != nil && !re.MatchString(name) {
			continue
		}
		out = append(out, alerting.Sample{Labels: map[string]string{"sync": name}, Value: float64(n)})
	}
	return out, nil
}
