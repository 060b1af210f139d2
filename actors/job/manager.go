package job

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/marketsync/marketsync/sdk"
	model "github.com/marketsync/marketsync/sdk/model"
	"google.golang.org/protobuf/proto"
)

// Platform is what a job needs to know of a platform: its actor, its
// plugin's name and whether it collects, the largest batch its plugin
// takes for an operation, and how many calls it runs at once (jobs keep
// about twice that many batches outstanding so the platform actor's queue
// never runs dry).
type Platform struct {
	PID         *actor.PID
	Plugin      string
	Collects    bool
	Limits      sdk.Limits
	Concurrency int
}

// ResolvesURLs says whether the plugin resolves product page URLs: a
// plugin that does declares a batch cap for the operation.
func (p Platform) ResolvesURLs() bool {
	_, ok := p.Limits.Operations[sdk.OpResolveURLs]
	return ok
}

// Observer is told of every job state change, for metrics.
type Observer interface {
	JobChanged(from, to State, isNew bool)
}

// Options configure the job manager and the jobs it runs.
type Options struct {
	Store Store
	// Platforms resolves a platform block's name.
	Platforms func(name string) (Platform, bool)
	// MaxItemAttempts bounds how many calls one item may be part of before
	// it fails (default DefaultMaxItemAttempts; see RETRIES in the package
	// documentation).
	MaxItemAttempts int
	// CallTimeout bounds one batch's call through the platform actor,
	// retries included (default DefaultCallTimeout).
	CallTimeout time.Duration
	Observer    Observer
	Logger      *slog.Logger
}

// Defaults of Options.
const (
	DefaultMaxItemAttempts = 3
	DefaultCallTimeout     = 10 * time.Minute
)

func (o *Options) setDefaults() {
	if o.MaxItemAttempts <= 0 {
		o.MaxItemAttempts = DefaultMaxItemAttempts
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = DefaultCallTimeout
	}
	if o.Observer == nil {
		o.Observer = nopObserver{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

type nopObserver struct{}

func (nopObserver) JobChanged(State, State, bool) {}

// Wake tells the jobs on a platform that it may take calls again (its
// block was reloaded): those paused on it resume now instead of at the
// end of their pause. Send it to the manager.
type Wake struct{ Platform string }

// ManagerProps returns the props of the job manager: the parent of every
// job actor. At start it resumes the jobs the store says are unfinished.
func ManagerProps(opts Options) *actor.Props {
	opts.setDefaults()
	return actor.PropsFromProducer(func() actor.Actor {
		return &manager{opts: opts, jobs: map[string]*actor.PID{}}
	})
}

type manager struct {
	opts     Options
	jobs     map[string]*actor.PID
	draining bool
	waiters  []*actor.PID
	// draining holds the jobs yet to answer Drained (or stop).
	unsettled map[string]bool
}

func (m *manager) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		m.resume(ctx)
	case *SubmitCollect:
		ctx.Respond(m.submit(ctx, msg))
	case *actor.Terminated:
		for id, pid := range m.jobs {
			if pid.Equal(msg.GetWho()) {
				delete(m.jobs, id)
			}
		}
		delete(m.unsettled, msg.GetWho().GetId())
		m.maybeDrained(ctx)
	case *stopped:
		if pid, ok := m.jobs[msg.id]; ok && pid.Equal(msg.pid) {
			delete(m.jobs, msg.id)
		}
		ctx.Poison(msg.pid)
	case *Cancel:
		pid, ok := m.jobs[msg.GetJobId()]
		if !ok {
			// Over, or never run here: the caller reads the store.
			ctx.Respond(&Cancelled{Error: notRunning(msg.GetJobId())})
			return
		}
		ctx.Forward(pid) // the job answers the caller itself
	case *Wake:
		for _, pid := range m.jobs {
			ctx.Send(pid, msg)
		}
	case *Drain:
		m.drain(ctx)
	case *Drained:
		if ctx.Sender() != nil {
			delete(m.unsettled, ctx.Sender().GetId())
		}
		m.maybeDrained(ctx)
	}
}

func (m *manager) resume(ctx actor.Context) {
	jobs, err := m.opts.Store.Unfinished()
	if err != nil {
		m.opts.Logger.Error("cannot list unfinished jobs; none resumed", "error", err)
		return
	}
	for _, j := range jobs {
		if j.GetKind() == Kind_KIND_SYNC {
			continue // the sync engine resumes its own jobs
		}
		m.opts.Logger.Info("resuming job", "job", j.GetId(), "platform", j.GetPlatform(), "done", j.GetSucceeded()+j.GetFailed(), "total", j.GetTotal())
		m.spawn(ctx, j)
	}
}

func (m *manager) submit(ctx actor.Context, msg *SubmitCollect) *Submitted {
	refuse := func(e *model.Error) *Submitted { return &Submitted{Error: e} }
	if m.draining {
		return refuse(model.Unavailable(model.CodeStopping, "the agent is shutting down; submit the job again after it restarts"))
	}
	p, ok := m.opts.Platforms(msg.GetPlatform())
	if !ok {
		return refuse(model.NotFound(model.CodeUnknownPlatform, fmt.Sprintf("no platform named %q is configured", msg.GetPlatform())))
	}
	if !p.Collects {
		return refuse(model.Invalid(CodeUnsupportedOperation, fmt.Sprintf("platform %s (plugin %s) is a store: it cannot collect", msg.GetPlatform(), p.Plugin)))
	}
	now := time.Now()
	j := &Job{
		Id: NewID(now), Kind: Kind_KIND_COLLECT, Platform: msg.GetPlatform(), State: State_STATE_QUEUED,
		CreatedAt: ts(now), UpdatedAt: ts(now), Total: int32(len(msg.GetIds())),
		Step: Step_STEP_COLLECTING,
	}
	switch {
	case msg.GetScope() != "" && len(msg.GetIds()) > 0:
		return refuse(model.Invalid(CodeInvalidRequest, "give ids or a scope, not both"))
	case msg.GetScope() != "":
		j.Step, j.Scope = Step_STEP_LISTING, msg.GetScope()
	default:
		for _, id := range msg.GetIds() {
			if IsURL(id) {
				j.ToResolve++
			}
		}
		if j.ToResolve > 0 && int(j.ToResolve) == len(msg.GetIds()) && !p.ResolvesURLs() {
			// Nothing of the job could succeed: say so now. With some
			// ids among them, the URLs fail as items instead.
			return refuse(model.Invalid(CodeBadURL, fmt.Sprintf("plugin %s does not take product page URLs, such as %s; give product ids instead", p.Plugin, msg.GetIds()[0])))
		}
		if j.ToResolve > 0 {
			j.Step = Step_STEP_RESOLVING
		}
	}
	if err := m.opts.Store.Create(j, msg.GetIds()); err != nil {
		m.opts.Logger.Error("cannot persist job", "error", err)
		return refuse(model.Unavailable(model.CodeStore, fmt.Sprintf("cannot persist the job: %v", err)))
	}
	m.opts.Observer.JobChanged(0, State_STATE_QUEUED, true)
	// The answer carries a copy: the job actor owns j from now on.
	answer := proto.Clone(j).(*Job)
	m.spawn(ctx, j)
	return &Submitted{Job: answer}
}

func (m *manager) spawn(ctx actor.Context, j *Job) {
	props := actor.PropsFromProducer(func() actor.Actor { return &runner{opts: &m.opts, job: j} })
	pid, err := ctx.SpawnNamed(props, "job-"+j.GetId())
	if err != nil {
		m.opts.Logger.Error("cannot start job actor", "job", j.GetId(), "error", err)
		return
	}
	m.jobs[j.GetId()] = pid
}

func (m *manager) drain(ctx actor.Context) {
	if ctx.Sender() != nil {
		m.waiters = append(m.waiters, ctx.Sender())
	}
	if !m.draining {
		m.draining = true
		m.unsettled = map[string]bool{}
		for _, pid := range m.jobs {
			m.unsettled[pid.GetId()] = true
			ctx.Request(pid, &Drain{})
		}
	}
	m.maybeDrained(ctx)
}

func (m *manager) maybeDrained(ctx actor.Context) {
	if !m.draining || len(m.unsettled) > 0 {
		return
	}
	for _, w := range m.waiters {
		ctx.Send(w, &Drained{})
	}
	m.waiters = nil
}

// notRunning is the answer to a Cancel of a job no actor runs.
func notRunning(id string) *model.Error {
	return model.NotFound(model.CodeJobNotRunning, fmt.Sprintf("job %s is not running", id))
}
