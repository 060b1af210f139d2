package syncengine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/marketsync/marketsync/actors/job"
	"github.com/marketsync/marketsync/actors/sync/batch"
	"github.com/marketsync/marketsync/actors/sync/render"
	"github.com/marketsync/marketsync/actors/sync/resolve"
	"github.com/marketsync/marketsync/config"
	"github.com/marketsync/marketsync/daemon/binding"
	"github.com/marketsync/marketsync/daemon/cache"
	"github.com/marketsync/marketsync/daemon/conflict"
	"github.com/marketsync/marketsync/daemon/outbox"
	"github.com/marketsync/marketsync/daemon/store"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/model"
	"github.com/robfig/cron/v3"
	"google.golang.org/protobuf/proto"
)

// Platform is what the engine needs of a platform block: its actor and
// its plugin's declared limits.
type Platform struct {
	PID    *actor.PID
	Plugin string
	Limits sdk.Limits
}

// JobStore is where sync jobs are kept: the agent's job store, so that
// sync jobs are listed and followed like collect jobs.
type JobStore interface {
	Create(j *job.Job, ids []string) error
	Save(j *job.Job) error
	Pending(jobID string) ([]*job.Item, error)
	// CommitWith records items and the job and runs also in the same
	// transaction.
	CommitWith(j *job.Job, items []*job.Item, also func(*store.Txn) error) error
	Unfinished() ([]*job.Job, error)
}

// EventFunc records an event in the caller's transaction (the outbox),
// so an event is stored exactly when what it reports is.
type EventFunc func(txn *store.Txn, t outbox.Type, data any) error

// Options configure an Engine.
type Options struct {
	DB   *store.DB
	Jobs JobStore
	Root *actor.RootContext
	// Pipelines are the validated sync blocks.
	Pipelines []config.Sync
	// Platforms resolves a target platform block's name; false for one
	// that is not configured or whose plugin does not publish.
	Platforms func(name string) (Platform, bool)
	// Cache holds remote products between reads (type remote_product);
	// nil reads them afresh every time.
	Cache *cache.Cache
	// Sizes remembers batch sizes learnt from refusals; nil makes a new
	// memory.
	Sizes *batch.Sizes
	// Events, when set, is called inside the batch transaction for
	// product.synced and conflict.detected, inside the resolving one for
	// conflict.resolved, and inside the last one of a job for
	// job.finished.
	Events EventFunc
	// ChangedWait is how long Changed gathers remote ids before it starts
	// one run for them (default 2 s); ChangedMax starts it sooner once
	// that many are in (default 500).
	ChangedWait time.Duration
	ChangedMax  int
	// CallTimeout bounds one platform call, the actor's retries included
	// (default 10 min).
	CallTimeout time.Duration
	// Attempts bounds the calls one item may be part of (default 3).
	Attempts int
	// Fence, in a cluster, is the fencing token of this node's lease on
	// a target platform, and false when this node does not own it: a
	// pipeline runs only where its target is owned, and every write
	// carries the token. Nil (a lone agent) owns every target, token 0.
	Fence    func(target string) (token uint64, ok bool)
	Observer job.Observer
	Logger   *slog.Logger
}

// Engine runs the sync pipelines. Its methods are safe for concurrent use.
type Engine struct {
	opts      Options
	pipelines map[string]*pipeline
	sizes     *batch.Sizes
	remote    *cache.Typed[*model.Product]

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	cron   *cron.Cron

	mu sync.Mutex
	// active is the job running for each pipeline; queued holds the
	// source ids of targeted re-syncs waiting for it to end.
	active  map[string]*activeRun
	queued  map[string]map[string]bool
	last    map[string]string
	stopped bool
	window  *batch.Window[change]
	// owned is, for each pipeline, whether Fence held its target at the
	// last Start or Reconcile.
	owned map[string]bool
	// ending holds the jobs whose run has let its pipeline go and is
	// recording their end.
	ending map[string]bool
}

// activeRun is the run of a pipeline: its job's id once planned, and a
// copy of the job as it was created, for Run's callers.
type activeRun struct {
	id      string
	created *job.Job
	// cancel stops the run; cancelled says it was asked to by Cancel
	// (not by Stop), and done closes when the run is over.
	cancel    context.CancelFunc
	cancelled bool
	done      chan struct{}
}

// pipeline is a sync block with its rendering rules and policy.
type pipeline struct {
	cfg    config.Sync
	rules  render.Rules
	policy resolve.Policy
}

// change is one remote id Changed was told of.
type change struct{ platform, id string }

// New returns an engine for opts; Start runs it.
func New(opts Options) (*Engine, error) {
	if opts.DB == nil || opts.Jobs == nil || opts.Root == nil || opts.Platforms == nil {
		return nil, errors.New("engine: DB, Jobs, Root and Platforms are required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.ChangedWait <= 0 {
		opts.ChangedWait = 2 * time.Second
	}
	if opts.ChangedMax <= 0 {
		opts.ChangedMax = 500
	}
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = job.DefaultCallTimeout
	}
	if opts.Attempts <= 0 {
		opts.Attempts = job.DefaultMaxItemAttempts
	}
	e := &Engine{opts: opts, pipelines: map[string]*pipeline{}, sizes: opts.Sizes,
		active: map[string]*activeRun{}, queued: map[string]map[string]bool{}, last: map[string]string{}, owned: map[string]bool{},
		ending: map[string]bool{}}
	if e.sizes == nil {
		e.sizes = batch.NewSizes()
	}
	for _, s := range opts.Pipelines {
		p := &pipeline{cfg: s, rules: render.RulesOf(&s), policy: resolve.PolicyOf(&s)}
		if err := p.rules.Validate(); err != nil {
			return nil, fmt.Errorf("engine: sync %q: %w", s.Name, err)
		}
		e.pipelines[s.Name] = p
	}
	if opts.Cache != nil {
		t, err := cache.Proto[*model.Product](opts.Cache, cache.RemoteProduct)
		if err != nil {
			return nil, err
		}
		e.remote = t
	}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	e.window = &batch.Window[change]{Max: opts.ChangedMax, MaxWait: opts.ChangedWait, Flush: e.flushChanged}
	return e, nil
}

// Start resumes the sync jobs a previous run of the agent left unfinished
// and starts the pipelines' schedules. In a cluster only the jobs of
// pipelines whose target this node owns resume now; Reconcile resumes
// the others once it owns them.
func (e *Engine) Start() error {
	owned := map[string]bool{}
	for name, p := range e.pipelines {
		_, ok := e.fence(p.cfg.Target)
		owned[name] = ok
	}
	e.mu.Lock()
	maps.Copy(e.owned, owned)
	e.mu.Unlock()
	if err := e.resume(owned); err != nil {
		return err
	}
	e.cron = cron.New()
	for name, p := range e.pipelines {
		spec := p.cfg.Schedule
		if p.cfg.Every > 0 {
			spec = "@every " + p.cfg.Every.String()
		}
		if spec == "" {
			continue
		}
		if _, err := e.cron.AddFunc(spec, func() { e.scheduled(name) }); err != nil {
			return fmt.Errorf("engine: sync %q: schedule %q: %w", name, spec, err)
		}
	}
	e.cron.Start()
	return nil
}

// resume launches the unfinished sync jobs of the pipelines that want
// says, unless the pipeline runs one already.
func (e *Engine) resume(want map[string]bool) error {
	jobs, err := e.opts.Jobs.Unfinished()
	if err != nil {
		return fmt.Errorf("engine: unfinished jobs: %w", err)
	}
	for _, j := range jobs {
		if j.GetKind() != job.Kind_KIND_SYNC {
			continue
		}
		p, ok := e.pipelines[j.GetPipeline()]
		if !ok {
			e.finishUnrunnable(j, fmt.Sprintf("sync %q is no longer configured", j.GetPipeline()))
			continue
		}
		if !want[p.cfg.Name] {
			continue
		}
		a := &activeRun{id: j.GetId(), created: proto.CloneOf(j)}
		e.mu.Lock()
		if _, busy := e.active[p.cfg.Name]; busy || e.stopped {
			e.mu.Unlock()
			continue
		}
		e.active[p.cfg.Name] = a
		e.mu.Unlock()
		e.opts.Logger.Info("resuming sync job", "job", j.GetId(), "pipeline", j.GetPipeline(), "done", j.GetSucceeded()+j.GetFailed(), "total", j.GetTotal())
		e.launch(p, j, a)
	}
	return nil
}

// fence is the token and ownership of target; a lone agent owns all.
func (e *Engine) fence(target string) (uint64, bool) {
	if e.opts.Fence == nil {
		return 0, true
	}
	return e.opts.Fence(target)
}

// Reconcile brings the runs in line with what this node owns: a pipeline
// whose target it no longer owns has its run stopped at once (the batch in
// flight is checkpointed, the job stays unfinished), and one whose target
// it has come to own has its unfinished jobs resumed. The agent calls it
// when ownership may have changed; without Fence it does nothing.
func (e *Engine) Reconcile() {
	if e.opts.Fence == nil {
		return
	}
	gained := map[string]bool{}
	for name, p := range e.pipelines {
		_, ok := e.fence(p.cfg.Target)
		e.mu.Lock()
		was, a, stopped := e.owned[name], e.active[name], e.stopped
		e.owned[name] = ok
		if !ok && a != nil && a.cancel != nil && !stopped {
			a.cancel()
		}
		e.mu.Unlock()
		switch {
		case stopped:
		case was && !ok:
			e.opts.Logger.Warn("this node no longer owns the sync target: its run stops and resumes where the target is owned", "pipeline", name, "target", p.cfg.Target)
		case !was && ok:
			e.opts.Logger.Info("this node owns the sync target: its unfinished jobs resume", "pipeline", name, "target", p.cfg.Target)
			gained[name] = true
		}
	}
	if len(gained) > 0 {
		if err := e.resume(gained); err != nil {
			e.opts.Logger.Error("cannot resume the sync jobs of a target this node now owns", "error", err)
		}
	}
}

// resumeIfOwned resumes a pipeline's unfinished jobs when this node owns
// its target again by the time a paused run has wound down: Reconcile
// saw the target come back while that run still held the pipeline.
func (e *Engine) resumeIfOwned(name string) {
	_, ok := e.fence(e.pipelines[name].cfg.Target)
	e.mu.Lock()
	owned := ok && e.owned[name] && !e.stopped
	e.mu.Unlock()
	if owned {
		if err := e.resume(map[string]bool{name: true}); err != nil {
			e.opts.Logger.Error("cannot resume a paused sync job", "pipeline", name, "error", err)
		}
	}
}

// scheduled starts a pipeline's run on its schedule, unless one runs or
// another node owns its target.
func (e *Engine) scheduled(name string) {
	if _, started, err := e.start(name, nil, false); errors.Is(err, ErrNotOwner) {
		e.opts.Logger.Debug("scheduled sync skipped: another node owns its target", "pipeline", name)
	} else if err != nil {
		e.opts.Logger.Error("scheduled sync did not start", "pipeline", name, "error", err)
	} else if !started {
		e.opts.Logger.Info("scheduled sync skipped: the previous run is still going", "pipeline", name)
	}
}

// Stop stops the schedules and the runs: each finishes the batch it is
// writing, checkpoints it and stays unfinished in the store, to resume at
// the next Start. It returns when they are all stopped or ctx ends.
func (e *Engine) Stop(ctx context.Context) error {
	e.mu.Lock()
	e.stopped = true
	e.mu.Unlock()
	if e.cron != nil {
		<-e.cron.Stop().Done()
	}
	e.cancel()
	done := make(chan struct{})
	go func() { e.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("engine: sync runs still stopping: %w", ctx.Err())
	}
}

// ErrUnknownPipeline is returned for a name no sync block has.
var ErrUnknownPipeline = errors.New("engine: no such sync pipeline")

// ErrPlanning is returned by Run while the pipeline's run is still
// planning and has no job yet.
var ErrPlanning = errors.New("engine: the pipeline's run is being planned; ask again in a moment")

// ErrStopping is returned once Stop was called.
var ErrStopping = errors.New("engine: the sync engine is stopping")

// ErrNotOwner is returned, wrapped in a NotOwnerError, for a pipeline
// whose target another node of the cluster owns: that node runs it.
var ErrNotOwner = errors.New("engine: not the owner of the sync target")

// NotOwnerError names the pipeline and the target this node does not own.
type NotOwnerError struct{ Pipeline, Target string }

func (e *NotOwnerError) Error() string {
	return fmt.Sprintf("not the owner of platform %s: sync %q runs on the node that owns it", e.Target, e.Pipeline)
}

// Is makes errors.Is(err, ErrNotOwner) hold.
func (e *NotOwnerError) Is(target error) bool { return target == ErrNotOwner }

// Run starts a run of the pipeline called name over ids (nil: every
// product of its source in the catalogue) and returns its job. When the
// pipeline is already running, the running job is returned and ids, if
// any, are synced by a run that follows it.
func (e *Engine) Run(name string, ids []string) (*job.Job, error) {
	j, _, err := e.start(name, ids, len(ids) > 0)
	return j, err
}

// start plans and launches a run unless one is active for the pipeline;
// force syncs ids even when their listing did not change (a targeted
// re-sync: the store may have).
func (e *Engine) start(name string, ids []string, force bool) (*job.Job, bool, error) {
	p, ok := e.pipelines[name]
	if !ok {
		return nil, false, fmt.Errorf("%w: %q", ErrUnknownPipeline, name)
	}
	e.mu.Lock()
	if e.stopped {
		e.mu.Unlock()
		return nil, false, ErrStopping
	}
	// Owned both now and as Reconcile last saw it: a target regained
	// since is Reconcile's to take back, which resumes the unfinished job
	// first; a run started in between would leave that job behind.
	if _, owned := e.fence(p.cfg.Target); !owned || e.opts.Fence != nil && !e.owned[name] {
		e.mu.Unlock()
		return nil, false, &NotOwnerError{Pipeline: name, Target: p.cfg.Target}
	}
	if a, ok := e.active[name]; ok {
		if len(ids) > 0 {
			q := e.queued[name]
			if q == nil {
				q = map[string]bool{}
				e.queued[name] = q
			}
			for _, id := range ids {
				q[id] = true
			}
		}
		e.mu.Unlock()
		if a.created == nil {
			return nil, false, ErrPlanning
		}
		return proto.CloneOf(a.created), false, nil
	}
	// Reserve the pipeline while planning.
	e.active[name] = &activeRun{}
	e.mu.Unlock()

	j, err := e.plan(p, ids, force)
	e.mu.Lock()
	if err != nil {
		delete(e.active, name)
		e.mu.Unlock()
		return nil, false, err
	}
	a := &activeRun{id: j.GetId(), created: proto.CloneOf(j)}
	e.active[name] = a
	e.mu.Unlock()
	e.launch(p, j, a)
	return proto.CloneOf(a.created), true, nil
}

func (e *Engine) launch(p *pipeline, j *job.Job, a *activeRun) {
	ctx, cancel := context.WithCancel(e.ctx)
	e.mu.Lock()
	a.cancel, a.done = cancel, make(chan struct{})
	e.mu.Unlock()
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		defer close(a.done)
		defer cancel()
		r := &run{e: e, p: p, job: j, log: e.opts.Logger.With("job", j.GetId(), "pipeline", p.cfg.Name),
			cancelled: func() bool {
				e.mu.Lock()
				defer e.mu.Unlock()
				return a.cancelled
			}}
		r.loop(ctx)
		e.ended(p.cfg.Name, j)
		if r.paused {
			e.resumeIfOwned(p.cfg.Name)
		}
	}()
}

// Running says whether a run of this engine works on the job (or is
// recording its end), or holds its pipeline for it (Hold).
func (e *Engine) Running(jobID string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ending[jobID] {
		return true
	}
	for _, a := range e.active {
		if a.id == jobID {
			return true
		}
	}
	return false
}

// ErrBusy is returned by Hold while another run has the pipeline.
var ErrBusy = errors.New("engine: another run of the pipeline is active")

// Held is a pipeline held for an unfinished job that another node of the
// cluster ran: Run answers with that job and starts no other run until
// the job is launched or let go.
type Held struct {
	e *Engine
	p *pipeline
	a *activeRun
}

// Hold holds j's pipeline for j, which is in the job store (Pending reads
// its items), before it runs here: the node taking the job over gets the
// job's source products first. It fails with ErrBusy while another run
// has the pipeline, ErrNotOwner when this node does not own its target.
func (e *Engine) Hold(j *job.Job) (*Held, error) {
	p, ok := e.pipelines[j.GetPipeline()]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownPipeline, j.GetPipeline())
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case e.stopped:
		return nil, ErrStopping
	case e.active[p.cfg.Name] != nil:
		return nil, ErrBusy
	}
	if _, owned := e.fence(p.cfg.Target); !owned {
		return nil, &NotOwnerError{Pipeline: p.cfg.Name, Target: p.cfg.Target}
	}
	a := &activeRun{id: j.GetId(), created: proto.CloneOf(j)}
	e.active[p.cfg.Name] = a
	return &Held{e: e, p: p, a: a}, nil
}

// Launch runs the held job j from its pending items, as a restart
// resumes one.
func (h *Held) Launch(j *job.Job) {
	h.e.mu.Lock()
	stopped := h.e.stopped
	h.e.mu.Unlock()
	if stopped {
		// It resumes from its record wherever the target is owned next.
		h.Release()
		return
	}
	h.e.opts.Logger.Info("resuming sync job", "job", j.GetId(), "pipeline", j.GetPipeline(), "done", j.GetSucceeded()+j.GetFailed(), "total", j.GetTotal())
	h.e.launch(h.p, j, h.a)
}

// Release lets the pipeline go without running the job.
func (h *Held) Release() {
	h.e.mu.Lock()
	defer h.e.mu.Unlock()
	if h.e.active[h.p.cfg.Name] == h.a {
		delete(h.e.active, h.p.cfg.Name)
	}
}

// ErrNotRunning is returned by Cancel for a job no run of this engine
// works on.
var ErrNotRunning = errors.New("engine: the sync job is not running")

// Cancel stops a running sync job: the batch being written is
// checkpointed, the items left stay pending and the job ends CANCELLED.
// It returns once the job is over, or when ctx ends.
func (e *Engine) Cancel(ctx context.Context, jobID string) error {
	e.mu.Lock()
	var a *activeRun
	for _, r := range e.active {
		if r.id == jobID && r.done != nil {
			a = r
		}
	}
	if a == nil {
		e.mu.Unlock()
		return ErrNotRunning
	}
	a.cancelled = true
	a.cancel()
	e.mu.Unlock()
	select {
	case <-a.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ended clears the pipeline's active job, if its end has not already, and
// starts the targeted re-sync queued meanwhile.
func (e *Engine) ended(name string, j *job.Job) {
	ids, stopped := e.release(name, j.GetId())
	e.startQueued(name, ids, stopped)
}

// release clears the pipeline's active run when it is job id's (a run
// releases the pipeline before it records its end, so that a run asked
// for the moment a client sees the end is a new run, not this one) and
// takes the ids queued meanwhile.
func (e *Engine) release(name, id string) (ids []string, stopped bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if a, ok := e.active[name]; ok && a.id == id {
		delete(e.active, name)
	}
	e.last[name] = id
	for id := range e.queued[name] {
		ids = append(ids, id)
	}
	delete(e.queued, name)
	return ids, e.stopped
}

// startQueued starts the targeted re-sync of ids queued while a run was
// active.
func (e *Engine) startQueued(name string, ids []string, stopped bool) {
	if len(ids) > 0 && !stopped {
		slices.Sort(ids)
		if _, _, err := e.start(name, ids, true); err != nil {
			e.opts.Logger.Error("queued re-sync did not start", "pipeline", name, "products", len(ids), "error", err)
		}
	}
}

// Changed queues a targeted re-sync (and conflict check) of the products
// bound to remoteIDs on platform, for every pipeline whose target is that
// platform, and of the products remoteIDs name for every pipeline whose
// source it is. It returns at once: the ids are gathered for up to
// Options.ChangedWait and then synced by one run per pipeline. The cached
// copies of those remote products are dropped now.
func (e *Engine) Changed(ctx context.Context, platform string, remoteIDs []string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	e.mu.Lock()
	stopped := e.stopped
	e.mu.Unlock()
	if stopped {
		return ErrStopping
	}
	for _, id := range remoteIDs {
		if e.remote != nil {
			if err := e.remote.Invalidate(platform + "/" + id); err != nil {
				e.opts.Logger.Warn("cannot drop a cached remote product", "platform", platform, "remote_id", id, "error", err)
			}
		}
		e.window.Add(change{platform: platform, id: id})
	}
	return nil
}

// flushChanged maps gathered remote ids to the source products of each
// pipeline and starts their runs.
func (e *Engine) flushChanged(changes []change) {
	targets := map[string][]string{}
	err := e.opts.DB.View(func(txn *store.Txn) error {
		for _, c := range changes {
			for name, p := range e.pipelines {
				switch c.platform {
				case p.cfg.Target:
					b, err := binding.ByRemote(txn, c.platform, c.id)
					if errors.Is(err, store.ErrNotFound) {
						continue // not a product this pipeline made
					}
					if err != nil {
						return err
					}
					if b.SourcePlatform == p.cfg.Source {
						targets[name] = append(targets[name], b.SourceID)
					}
				case p.cfg.Source:
					targets[name] = append(targets[name], c.id)
				}
			}
		}
		return nil
	})
	if err != nil {
		e.opts.Logger.Error("targeted re-sync: cannot read bindings", "error", err)
		return
	}
	for name, ids := range targets {
		slices.Sort(ids)
		ids = slices.Compact(ids)
		if _, _, err := e.start(name, ids, true); errors.Is(err, ErrNotOwner) {
			e.opts.Logger.Info("targeted re-sync left to the node that owns the target", "pipeline", name, "products", len(ids), "error", err)
		} else if err != nil && !errors.Is(err, ErrStopping) {
			e.opts.Logger.Error("targeted re-sync did not start", "pipeline", name, "products", len(ids), "error", err)
		}
	}
}

// PipelineStatus is a pipeline as Status reports it.
type PipelineStatus struct {
	Name, Source, Target string
	Schedule             string // cron spec, "@every 10m", or "" (on demand)
	Next                 time.Time
	// ActiveJob is the id of the running job, if any; LastJob that of the
	// last job this agent ran to its end. Read them from the job store.
	ActiveJob, LastJob string
}

// Status reports every pipeline, in name order.
func (e *Engine) Status() []PipelineStatus {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []PipelineStatus
	for name, p := range e.pipelines {
		s := PipelineStatus{Name: name, Source: p.cfg.Source, Target: p.cfg.Target, Schedule: p.cfg.Schedule, LastJob: e.last[name]}
		if p.cfg.Every > 0 {
			s.Schedule = "@every " + p.cfg.Every.String()
		}
		if s.Schedule != "" {
			if sched, err := cron.ParseStandard(s.Schedule); err == nil {
				s.Next = sched.Next(time.Now())
			}
		}
		if j := e.active[name]; j != nil {
			s.ActiveJob = j.id
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b PipelineStatus) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// ResolveConflict settles a manual conflict (see conflict.Resolve) and
// queues a re-sync of its product, which writes the value chosen.
func (e *Engine) ResolveConflict(ctx context.Context, id, take, value string) (*conflict.Conflict, error) {
	var c *conflict.Conflict
	err := e.opts.DB.Update(func(txn *store.Txn) error {
		var err error
		if c, err = conflict.Resolve(txn, id, take, value, time.Now()); err != nil {
			return err
		}
		if err := conflict.Record(txn, c.SourcePlatform, c.SourceID, &conflict.Decision{
			Pipeline: c.Pipeline, Target: c.Target, Field: c.Field, Base: c.Base, Source: c.Source, Remote: c.Remote,
			Chosen: c.Chosen(), Rule: "manual:" + take, Pushed: take != conflict.TakeRemote,
		}); err != nil {
			return err
		}
		return e.event(txn, outbox.ConflictResolved, c)
	})
	if err != nil {
		return c, err
	}
	if _, ok := e.pipelines[c.Pipeline]; ok {
		if _, _, err := e.start(c.Pipeline, []string{c.SourceID}, true); err != nil {
			return c, fmt.Errorf("the conflict is resolved, but its product's re-sync did not start: %w", err)
		}
	}
	return c, ctx.Err()
}

func (e *Engine) event(txn *store.Txn, t outbox.Type, data any) error {
	if e.opts.Events == nil {
		return nil
	}
	return e.opts.Events(txn, t, data)
}

// finishUnrunnable ends a job that cannot run at all.
func (e *Engine) finishUnrunnable(j *job.Job, reason string) {
	from := j.GetState()
	j.State, j.Error = job.State_STATE_FAILED, reason
	j.FinishedAt = ts(time.Now())
	if err := e.opts.Jobs.Save(j); err != nil {
		e.opts.Logger.Error("cannot save failed sync job", "job", j.GetId(), "error", err)
	}
	e.observe(from, j.GetState(), false)
	e.opts.Logger.Error("sync job failed", "job", j.GetId(), "reason", reason)
}

func (e *Engine) observe(from, to job.State, isNew bool) {
	if e.opts.Observer != nil && (from != to || isNew) {
		e.opts.Observer.JobChanged(from, to, isNew)
	}
}
