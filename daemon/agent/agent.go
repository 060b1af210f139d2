package agent

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"os"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/hashicorp/hcl/v2"
	"github.com/marketsync/marketsync/actors/job"
	"github.com/marketsync/marketsync/actors/platform"
	"github.com/marketsync/marketsync/actors/platform/retry"
	"github.com/marketsync/marketsync/config"
	"github.com/marketsync/marketsync/daemon/api"
	"github.com/marketsync/marketsync/daemon/events"
	"github.com/marketsync/marketsync/daemon/jobs"
	"github.com/marketsync/marketsync/daemon/stats"
	"github.com/marketsync/marketsync/daemon/store"
	"github.com/marketsync/marketsync/daemon/syncengine"
	"github.com/marketsync/marketsync/daemon/telemetry"
	"github.com/marketsync/marketsync/daemon/webhook"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/host"
)

// ConfigError carries diagnostics found while starting: a plugin config
// block that breaks the plugin's schema, a plugin that is not what the
// block says. The caller prints them with their source snippets.
type ConfigError struct{ Diags hcl.Diagnostics }

func (e *ConfigError) Error() string { return e.Diags.Error() }

// Agent is a running marketsync agent.
type Agent struct {
	// cfg is the configuration the agent started with. A reload changes
	// only the log level, which the caller owns, the platforms, whose
	// blocks in force are in their entries, event sinks and alerting,
	// whose configuration in force is the alert manager's.
	cfg     *config.Config
	log     *slog.Logger
	started time.Time

	db    *store.DB
	stats *stats.Recorder
	jobs  *jobs.Store
	// keyed makes collect requests with an idempotency key take turns
	// (collectOnce).
	keyed   sync.Mutex
	changes *changes
	metrics *telemetry.Metrics
	cache   *agentCache
	cluster *agentCluster // nil without a cluster block
	system  *actor.ActorSystem
	// events emits to the event sinks; webhooks takes platforms'
	// deliveries (events.go, webhooks.go).
	events       *events.Emitter
	webhooks     *webhook.Receiver
	stopWebhooks func()
	stopNotify   func()
	// alerting evaluates the alert rules and sends notifications.
	alerting *agentAlerting

	// platforms is replaced whole by a reload, never changed in place.
	// API requests read it under mu (see guarded). Actors read live, the
	// same map, instead: the job manager answers API requests that hold
	// mu, so it must not wait for mu itself.
	mu        sync.RWMutex
	platforms map[string]*platformEntry
	live      atomic.Pointer[map[string]*platformEntry]
	reloadMu  sync.Mutex // one reload at a time

	manager  *actor.PID
	sync     *syncengine.Engine
	api      *api.Server
	listener net.Listener
	// unix is the listener on api.unix_socket; nil when none is set.
	unix   net.Listener
	served chan struct{}

	shutdownOnce sync.Once
	shutdownErr  error
}

// platformEntry is what the agent keeps of one platform block.
type platformEntry struct {
	cfg    config.Platform
	desc   sdk.Description
	pid    *actor.PID
	config *config.PluginConfig
}

// New starts an agent from cfg: everything but serving the API, which
// Serve begins. On failure every step already taken is undone.
func New(ctx context.Context, cfg *config.Config, logger *slog.Logger) (_ *Agent, err error) {
	a := &Agent{cfg: cfg, log: logger, started: time.Now(), platforms: map[string]*platformEntry{}, served: make(chan struct{}), changes: newChanges()}
	defer func() {
		if err != nil {
			a.teardown(context.Background())
		}
	}()
	for _, step := range []struct {
		name string
		run  func(context.Context) error
	}{
		{"state", a.setupStore},
		{"cache", a.setupCache},
		{"cluster", a.setupCluster},
		{"actors", a.setupActors},
		{"platforms", a.setupPlatforms},
		{"events", a.setupEvents},
		{"webhooks", a.setupWebhooks},
		{"jobs", a.setupJobs},
		{"sync", a.setupSync},
		{"alerting", a.setupAlerting},
		{"api", a.setupAPI},
	} {
		if err := step.run(ctx); err != nil {
			var cerr *ConfigError
			if errors.As(err, &cerr) {
				return nil, err
			}
			return nil, fmt.Errorf("setup %s: %w", step.name, err)
		}
	}
	return a, nil
}

func (a *Agent) setupStore(context.Context) error {
	db, err := store.Open(store.Options{Dir: a.cfg.DataDir, InMemory: a.cfg.InMemory, Logger: a.log,
		BadgerLevel: badgerLevel(a.cfg), AcceptDataLoss: a.cfg.AcceptDataLoss})
	if errors.Is(err, store.ErrDamaged) {
		return fmt.Errorf("%w\nRestore the last snapshot into data_dir with the agent stopped:\n  marketsync operator snapshot restore -data-dir %s FILE\nor start with -accept-data-loss to run on what is left", err, a.cfg.DataDir)
	}
	if err != nil {
		return err
	}
	a.db = db
	if a.stats, err = stats.New(db, stats.Options{Retention: a.cfg.Stats.Retention, Logger: a.log}); err != nil {
		return err
	}
	js, err := jobs.New(db)
	if err != nil {
		return err
	}
	a.jobs = js
	a.metrics = telemetry.New()
	counts, err := js.CountByState()
	if err != nil {
		return err
	}
	a.metrics.SeedJobs(counts)
	return nil
}

// badgerLevel is the lowest level of Badger's own log lines:
// MARKETSYNC_BADGER_LOG_LEVEL when set, else Warn for a -dev agent (in
// memory, nothing of Badger's is worth reading) and every line otherwise.
func badgerLevel(cfg *config.Config) slog.Leveler {
	var l slog.Level
	if err := l.UnmarshalText([]byte(os.Getenv("MARKETSYNC_BADGER_LOG_LEVEL"))); err == nil {
		return l
	}
	if cfg.InMemory {
		return slog.LevelWarn
	}
	return nil
}

func (a *Agent) setupActors(context.Context) error {
	logger := a.log.With("component", "actor")
	a.system = actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return logger }))
	return nil
}

// setupPlatforms starts every platform block's plugin and actor. Every
// problem is collected, so the operator sees all of them in one run.
func (a *Agent) setupPlatforms(ctx context.Context) error {
	ready, err := a.preparePlatforms(ctx, a.cfg.Platforms)
	if err != nil {
		return err
	}
	platforms := make(map[string]*platformEntry, len(ready))
	var diags hcl.Diagnostics
	for _, r := range ready {
		e, d := a.spawn(r)
		if e == nil {
			diags = append(diags, d)
			continue
		}
		platforms[e.cfg.Name] = e
	}
	a.setPlatforms(platforms)
	if diags.HasErrors() {
		return &ConfigError{Diags: diags}
	}
	return nil
}

// prepared is a platform block whose plugin runs and took its config,
// waiting for its actor.
type prepared struct {
	cfg    config.Platform
	plugin *host.Plugin
	config *config.PluginConfig
}

// preparePlatforms launches the plugins of ps at once, checks each block's
// config against the schema its plugin describes and configures the
// plugin. It fails unless every block passed, and then stops every plugin
// it launched.
func (a *Agent) preparePlatforms(ctx context.Context, ps []config.Platform) ([]prepared, error) {
	results := make([]prepared, len(ps))
	errs := make([]error, len(ps))
	diags := make([]hcl.Diagnostics, len(ps))
	var wg sync.WaitGroup
	for i, p := range ps {
		wg.Go(func() {
			plugin, err := a.launch(ctx, p)
			if err != nil {
				errs[i] = fmt.Errorf("platform %q: %w", p.Name, err)
				return
			}
			results[i] = prepared{cfg: p, plugin: plugin}
			results[i].config, diags[i] = checkBlock(ctx, a.cfg, p, plugin)
		})
	}
	wg.Wait()
	var all hcl.Diagnostics
	for _, d := range diags {
		all = append(all, d...)
	}
	err := errors.Join(errs...)
	if err == nil && all.HasErrors() {
		err = &ConfigError{Diags: all}
	}
	if err != nil {
		for _, r := range results {
			if r.plugin != nil {
				r.plugin.Kill()
			}
		}
		return nil, err
	}
	return results, nil
}

func (a *Agent) launch(ctx context.Context, p config.Platform) (*host.Plugin, error) {
	return host.Launch(ctx, host.Options{
		Path:    a.cfg.PluginPath(p.Plugin),
		SHA256:  p.PluginSHA256,
		PassEnv: p.PluginPassEnv,
		Logger:  a.log.With("platform", p.Name, "plugin", p.Plugin),
	})
}

// spawn starts the platform actor on a prepared plugin, named after the
// platform so that its PID stays the same across a reload that restarts
// it: running jobs keep sending to it. It stops the plugin and returns a
// diagnostic when the actor cannot start.
func (a *Agent) spawn(r prepared) (*platformEntry, *hcl.Diagnostic) {
	p, desc := r.cfg, r.plugin.Description()
	pid, err := a.system.Root.SpawnNamed(platform.Props(a.actorOptions(p, r.plugin, r.config)), "platform-"+p.Name)
	if err != nil {
		r.plugin.Kill()
		return nil, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot start platform actor", Detail: err.Error(), Subject: p.DeclRange.Ptr()}
	}
	a.metrics.RegisterPlatform(p.Name)
	a.log.Info("platform ready", "platform", p.Name, "plugin", desc.Name, "version", desc.Version, "config", r.config)
	return &platformEntry{cfg: p, desc: desc, pid: pid, config: r.config}, nil
}

// setPlatforms puts a new platform map in force.
func (a *Agent) setPlatforms(m map[string]*platformEntry) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.platforms = m
	a.live.Store(&m)
}

// current is the platform map in force, for readers that do not hold mu.
func (a *Agent) current() map[string]*platformEntry {
	if m := a.live.Load(); m != nil {
		return *m
	}
	return nil
}

func (a *Agent) actorOptions(p config.Platform, plugin *host.Plugin, pc *config.PluginConfig) platform.Options {
	opts := platform.Options{
		Name: p.Name, Plugin: p.Plugin,
		Conn:        plugin,
		ConfigJSON:  pc.JSON(),
		Launch:      func(ctx context.Context) (platform.Conn, error) { return a.launch(ctx, p) },
		Timeout:     p.Timeout,
		Concurrency: p.Concurrency,
		Retry: platform.Retry{
			MaxAttempts: p.Retry.MaxAttempts,
			Backoff:     retry.Policy{Base: p.Retry.BaseDelay, Max: p.Retry.MaxDelay},
		},
		FixedRate: !p.AdaptiveRate,
		Budget:    platform.BudgetOptions{Percent: p.Retry.BudgetPercent, MinPerSec: p.Retry.BudgetMinPerSec},
		Breaker: platform.BreakerOptions{
			Window: p.CircuitBreaker.Window, MinCalls: p.CircuitBreaker.MinCalls, FailureRatio: p.CircuitBreaker.FailureRatio,
			Cooldown: p.CircuitBreaker.Cooldown, Probes: p.CircuitBreaker.Probes,
		},
		RestartPolicy: platform.RestartPolicy{
			Attempts: p.Restart.Attempts, Interval: p.Restart.Interval, Delay: p.Restart.Delay, Mode: platform.RestartMode(p.Restart.Mode),
		},
		Observer: observers{a.metrics, a.stats},
		Logger:   a.log,
	}
	if p.RateLimit != nil {
		opts.RateLimit = &platform.RateLimit{Rate: p.RateLimit.Rate, Burst: p.RateLimit.Burst}
	}
	return opts
}

func (a *Agent) setupJobs(context.Context) error {
	a.manager = a.system.Root.Spawn(job.ManagerProps(job.Options{
		Store:     a.clusterJobStore(notifyingStore{Store: a.jobs, changes: a.changes}),
		Platforms: a.jobPlatform,
		Observer:  a.metrics,
		Logger:    a.log.With("component", "jobs"),
	}))
	return nil
}

func (a *Agent) jobPlatform(name string) (job.Platform, bool) {
	e, ok := a.current()[name]
	if !ok {
		return job.Platform{}, false
	}
	return job.Platform{PID: e.pid, Plugin: e.cfg.Plugin, Collects: e.desc.Has(sdk.CapabilityCollect), Limits: e.desc.Limits, Concurrency: e.cfg.Concurrency}, true
}

func (a *Agent) setupAPI(context.Context) error {
	if api := a.cfg.API; !api.Loopback() && !api.Guarded() {
		// Validate refuses this unless insecure_bind says it is meant.
		a.log.Warn("INSECURE: the API listens beyond this machine without a token (api.insecure_bind = true): anyone who reaches "+api.Address+" can start and cancel jobs and read the catalogue; set api.token",
			"address", api.Address, "insecure_bind", api.InsecureBind)
	}
	var tlsConfig *tls.Config
	if t := a.cfg.API.TLS; t.Enabled() {
		var err error
		if tlsConfig, err = api.TLSConfig(t.CertFile, t.KeyFile, t.ClientCAFile); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", a.cfg.API.Address)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.cfg.API.Address, err)
	}
	var tokens []api.Token
	for _, t := range a.cfg.API.Tokens {
		tokens = append(tokens, api.Token{Secret: t.Secret.Reveal(), Scope: api.Scope(t.Scope)})
	}
	srv, err := api.New(api.Config{
		TLS:     tlsConfig,
		Tokens:  tokens,
		Backend: guarded{a},
		Token:   a.cfg.API.Token.Reveal(),

		ReadHeaderTimeout: a.cfg.API.ReadHeaderTimeout,
		ReadTimeout:       a.cfg.API.ReadTimeout,
		IdleTimeout:       a.cfg.API.IdleTimeout,
		MaxConns:          a.cfg.API.MaxConns,
		Logger:            a.log.With("component", "api"),
		Metrics:           a.metricsHandler(),
		Alerts:            a.alertSource(),
		Cache:             a.cacheSource(),
		Snapshots:         snapshots{a},
		Webhooks:          a,
		Events:            a,
		Cluster:           a.clusterSource(),
		Sync:              a.syncSource(),
		Stats: statsFrom(a.stats, func(name string) bool {
			_, ok := a.current()[name]
			return ok
		}),
	})
	if err != nil {
		ln.Close()
		return err
	}
	if path := a.cfg.API.UnixSocket; path != "" {
		if a.unix, err = api.ListenUnix(path, a.cfg.API.SocketMode()); err != nil {
			ln.Close()
			return err
		}
	}
	a.api, a.listener = srv, ln
	return nil
}

// Addr is the address the API listens on.
func (a *Agent) Addr() net.Addr { return a.listener.Addr() }

// Serve answers API requests until Shutdown.
func (a *Agent) Serve() error {
	defer close(a.served)
	a.log.Info("API listening", "address", a.Addr().String())
	if a.unix != nil {
		a.log.Info("API listening", "unix_socket", a.cfg.API.UnixSocket, "mode", a.cfg.API.UnixSocketMode)
		go func() {
			if err := a.api.Serve(a.unix); err != nil {
				a.log.Error("API on the Unix socket stopped", "error", err)
			}
		}()
	}
	return a.api.Serve(a.listener)
}

// Shutdown stops the agent gracefully within ctx: the API first, then the
// jobs (which checkpoint what is in flight), then the platforms (which
// finish their calls and stop their plugins), then Badger.
func (a *Agent) Shutdown(ctx context.Context) error {
	a.shutdownOnce.Do(func() { a.shutdownErr = a.teardown(ctx) })
	return a.shutdownErr
}

func (a *Agent) teardown(ctx context.Context) error {
	var errs []error
	if a.api != nil {
		if err := a.api.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("api: %w", err))
		}
	}
	if a.listener != nil {
		a.listener.Close() // Serve may never have run
	}
	if a.unix != nil {
		a.unix.Close() // and removes the socket file
	}
	a.stopAlerting()
	if err := a.closeCluster(); err != nil {
		errs = append(errs, fmt.Errorf("leave the cluster: %w", err))
	}
	if a.system != nil {
		a.stopSync(ctx)
		if a.manager != nil {
			a.drain(ctx, a.manager, &job.Drain{})
			_ = a.system.Root.PoisonFuture(a.manager).Wait()
		}
		all := slices.Collect(maps.Values(a.current()))
		a.drainPlatforms(ctx, all)
		a.stopPlatforms(all)
		a.system.Shutdown()
	}
	a.closeEvents()
	a.closeCache()
	if a.stats != nil {
		if err := a.stats.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close stats: %w", err))
		}
	}
	if a.db != nil {
		if err := a.db.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close state: %w", err))
		}
	}
	a.log.Info("agent stopped")
	return errors.Join(errs...)
}

// drainPlatforms drains the platforms' actors at once: queued calls fail
// as "stopping", calls in flight finish, plugins stop.
func (a *Agent) drainPlatforms(ctx context.Context, entries []*platformEntry) {
	var wg sync.WaitGroup
	for _, e := range entries {
		wg.Go(func() { a.drain(ctx, e.pid, &platform.Drain{}) })
	}
	wg.Wait()
}

// stopPlatforms stops the platforms' actors and waits until they are gone,
// which frees their names.
func (a *Agent) stopPlatforms(entries []*platformEntry) {
	for _, e := range entries {
		_ = a.system.Root.PoisonFuture(e.pid).Wait()
	}
}

// drain asks an actor to finish its work and waits for the answer until
// ctx ends.
func (a *Agent) drain(ctx context.Context, pid *actor.PID, msg any) {
	timeout := 30 * time.Second
	if dl, ok := ctx.Deadline(); ok {
		timeout = max(time.Until(dl), time.Millisecond)
	}
	if _, err := a.system.Root.RequestFuture(pid, msg, timeout).Result(); err != nil {
		a.log.Warn("drain did not finish", "actor", pid.GetId(), "error", err)
	}
}

// platformNames returns the configured platform names in order. The
// caller holds mu, as every API request does (see guarded).
func (a *Agent) platformNames() []string {
	names := make([]string, 0, len(a.platforms))
	for n := range a.platforms {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// observers hands what the platform actors report to every consumer:
// Prometheus metrics and the stored per-minute statistics.
type observers []platform.Observer

func (o observers) CallFinished(r platform.CallRecord) {
	for _, x := range o {
		x.CallFinished(r)
	}
}

func (o observers) PluginRestarted(name, reason string) {
	for _, x := range o {
		x.PluginRestarted(name, reason)
	}
}

func (o observers) BreakerChanged(name, state string) {
	for _, x := range o {
		x.BreakerChanged(name, state)
	}
}

func (o observers) StateChanged(name string, state platform.State, reason string) {
	for _, x := range o {
		if so, ok := x.(platform.StateObserver); ok {
			so.StateChanged(name, state, reason)
		}
	}
}
