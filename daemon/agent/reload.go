package agent

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/marketsync/marketsync/actors/job"
	"github.com/marketsync/marketsync/config"
	"github.com/marketsync/marketsync/daemon/client"
)

// ReloadSummary says what a reload did, platforms by name.
type ReloadSummary struct {
	Added, Removed, Restarted, Unchanged []string
	// NeedsRestart lists the settings that changed in the files but keep
	// their running values until the agent restarts ("data_dir").
	NeedsRestart []string
}

func (s ReloadSummary) String() string {
	return fmt.Sprintf("%d platforms added, %d removed, %d restarted, %d unchanged",
		len(s.Added), len(s.Removed), len(s.Restarted), len(s.Unchanged))
}

// Reload puts next, a configuration loaded and validated as for New, in
// force without stopping the agent. Platform blocks that are new start,
// those gone are drained and stopped, and those with any setting changed
// (their config {} block included) are drained and restarted on a new
// plugin process; the others keep running untouched. Settings that need a
// restart (config.Config.Reloadable) keep their running values and are
// logged. The log level is the caller's: it owns the logger.
//
// Everything that can fail is checked before anything changes: a config
// block that does not decode, a plugin that does not start or refuses its
// config fails the reload with a ConfigError or an error, and the agent
// runs on as it was. Jobs in progress against a restarted platform keep
// going: the new actor has the old one's name, hence its PID, and the
// calls that the drain failed are retried as any refused call is. Jobs
// paused on it (its credentials were rejected, its plugin failed) are
// woken at once.
func (a *Agent) Reload(ctx context.Context, next *config.Config) (*ReloadSummary, error) {
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	next, frozen := a.cfg.Reloadable(next)
	sinks, err := eventSinks(next.EventSinks)
	if err != nil {
		return nil, err
	}
	alerts, err := a.prepareAlerting(next.Alerting)
	if err != nil {
		return nil, err
	}
	running := a.current()
	diff, diags := diffPlatforms(running, next.Platforms)
	if diags.HasErrors() {
		return nil, &ConfigError{Diags: diags}
	}
	starting := slices.Concat(diff.added, diff.restarted)
	ready, err := a.preparePlatforms(ctx, slices.DeleteFunc(slices.Clone(next.Platforms), func(p config.Platform) bool {
		return !slices.Contains(starting, p.Name)
	}))
	if err != nil {
		return nil, err
	}

	for _, key := range frozen {
		a.log.Warn("config setting changed; it needs a restart, keeping the running value", "setting", key)
	}
	stopping := make([]*platformEntry, 0, len(diff.removed)+len(diff.restarted))
	for _, name := range slices.Concat(diff.removed, diff.restarted) {
		stopping = append(stopping, running[name])
	}
	// Drained outside mu, which would hold up every API request for as
	// long as the slowest call in flight; stopped and replaced under it,
	// so no request finds a platform's actor gone.
	a.drainPlatforms(ctx, stopping)
	a.mu.Lock()
	a.stopPlatforms(stopping)
	platforms := maps.Clone(running)
	for _, e := range stopping {
		delete(platforms, e.cfg.Name)
	}
	for _, r := range ready {
		e, d := a.spawn(r)
		if e == nil {
			// The old actor is gone, so its name is free: this does not
			// happen short of a bug. Leave the platform out, as a missing
			// plugin would.
			a.log.Error("platform not restarted", "platform", r.cfg.Name, "error", d.Detail)
			continue
		}
		platforms[e.cfg.Name] = e
	}
	a.platforms = platforms
	a.live.Store(&platforms)
	a.mu.Unlock()
	// Jobs paused on a restarted platform (unauthorized, failed) try it
	// again now rather than at the end of their pause.
	for _, name := range diff.restarted {
		a.system.Root.Send(a.manager, &job.Wake{Platform: name})
	}

	for _, name := range diff.removed {
		a.metrics.ForgetPlatform(name)
	}
	a.setSinks(sinks)
	a.reloadAlerting(alerts, next.Alerting)
	a.reloadCluster(next)
	a.registerWebhooks()

	s := &ReloadSummary{Added: diff.added, Removed: diff.removed, Restarted: diff.restarted, Unchanged: diff.unchanged, NeedsRestart: frozen}
	a.log.Info("reloaded config: "+s.String(), "added", s.Added, "removed", s.Removed, "restarted", s.Restarted)
	return s, nil
}

// guarded is the agent as the API sees it: the requests that read the
// platforms hold mu, so that a reload never replaces them mid-request.
type guarded struct{ *Agent }

func (g guarded) Platforms(ctx context.Context) ([]client.Platform, error) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.Agent.Platforms(ctx)
}

func (g guarded) Collect(ctx context.Context, req client.CollectRequest) (*client.Job, error) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.Agent.Collect(ctx, req)
}

func (g guarded) Product(ctx context.Context, platform, id string) (*client.Product, error) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.Agent.Product(ctx, platform, id)
}
