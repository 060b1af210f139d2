package command

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/marketsync/marketsync/config"
	"github.com/marketsync/marketsync/daemon/agent"
	"github.com/marketsync/marketsync/daemon/client"
	"github.com/marketsync/marketsync/daemon/version"
)

// shutdownGrace bounds a graceful shutdown: jobs checkpoint, calls in
// flight finish. A second signal cuts it short.
const shutdownGrace = 30 * time.Second

// AgentCommand runs the agent.
type AgentCommand struct {
	Meta
}

func (c *AgentCommand) Synopsis() string { return "Run the marketsync agent" }

func (c *AgentCommand) Help() string {
	return strings.TrimSpace(`
Usage: marketsync agent [-dev] [-config PATH]... [-api-addr HOST:PORT] [-log-level LEVEL] [-accept-data-loss]

  Runs the agent: one plugin process and platform actor per platform block,
  the job runner, Badger state in data_dir and the HTTP API.

  SIGINT or SIGTERM stops it gracefully: the API stops, jobs checkpoint the
  batches in flight, platforms finish their calls, Badger closes. A second
  signal exits at once; unfinished jobs resume at the next start.

  SIGHUP reloads the config: the same -config paths and flags are read
  and checked as at start-up. New platform blocks start, removed ones are
  drained and stop, changed ones restart, the others run on untouched;
  log_level changes too. Settings such as data_dir or api.address need a
  restart and are only logged. A config with errors is logged and ignored.

Options:

  -dev
    Development mode: in-memory state, a sandbox marketplace ("sandbox"),
    a sandbox store ("sandbox-store") and a sync pipeline between them
    ("sandbox-to-store", run on demand), the API on 127.0.0.1:8787. Files
    given with -config are merged on top.

  -config PATH
    A config file or a directory of *.hcl files; repeat to merge several,
    later ones winning.

  -api-addr HOST:PORT
    Listen here instead of api.address (run several agents side by side).

  -log-level LEVEL
    debug, info, warn or error, instead of log_level.

  -accept-data-loss
    Start even when data_dir holds fewer records than at its last stop
    (see marketsync-state.json there) or its value log is damaged: the
    problems are logged and the agent runs on what is left. Without it
    the agent refuses such a data_dir; restore a snapshot instead with
    marketsync operator snapshot restore.

Environment:

  GOMEMLIMIT
    The Go runtime's soft memory limit; 28MiB for an agent with state on
    disk when unset.

  MARKETSYNC_BADGER_LOG_LEVEL
    The lowest level of Badger's own log lines (debug, info, warn, error).
    Unset, Badger logs at every level the agent does, except under -dev,
    where it logs from warn.`)
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func (c *AgentCommand) Run(args []string) int {
	var (
		dev      bool
		paths    stringList
		apiAddr  string
		logLevel string
		loss     bool
	)
	f := flag.NewFlagSet("agent", flag.ContinueOnError)
	f.SetOutput(io.Discard)
	f.BoolVar(&dev, "dev", false, "")
	f.Var(&paths, "config", "")
	f.StringVar(&apiAddr, "api-addr", "", "")
	f.StringVar(&logLevel, "log-level", "", "")
	f.BoolVar(&loss, "accept-data-loss", false, "")
	if _, err := c.parse(f, args, noArgs("agent")); err != nil {
		return c.exit(err)
	}
	if !dev && len(paths) == 0 {
		return c.exit(usageError("give -config PATH (or -dev for a development agent)"))
	}

	load := func() (*config.Config, *config.Sources, hcl.Diagnostics) {
		return loadAgentConfig(dev, paths, apiAddr, logLevel)
	}
	cfg, sources, diags := load()
	if diags.HasErrors() {
		return c.diagnostics(sources, diags)
	}
	cfg.AcceptDataLoss = loss

	level := new(slog.LevelVar)
	logger, err := newLogger(os.Stderr, level, cfg.LogLevel, cfg.LogFormat)
	if err != nil {
		return c.exit(err)
	}
	slog.SetDefault(logger)
	setMemoryLimit(cfg)
	logger.Info("starting marketsync", "version", version.Version, "config", cfg)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	a, err := agent.New(ctx, cfg, logger)
	cancel()
	var cerr *agent.ConfigError
	if errors.As(err, &cerr) {
		return c.diagnostics(sources, cerr.Diags)
	}
	if err != nil {
		return c.exit(err)
	}

	served := make(chan error, 1)
	go func() { served <- a.Serve() }()
	if dev {
		c.Ui.Output(devBanner(a.Addr().String(), commandName(), readyPlatforms(a, logger)))
	}
	return c.wait(a, served, logger, func() { reload(a, load, level, logger) })
}

// loadAgentConfig reads the config files as the agent's flags say, the
// flags winning over the files, and validates the result. Start-up and
// every reload go through it, so a reload sees what a restart would.
func loadAgentConfig(dev bool, paths []string, apiAddr, logLevel string) (*config.Config, *config.Sources, hcl.Diagnostics) {
	load := config.Load
	if dev {
		load = config.LoadDev
	}
	cfg, sources, diags := load(paths...)
	if apiAddr != "" {
		cfg.API.Address = apiAddr
	}
	if logLevel != "" {
		cfg.LogLevel = logLevel
	}
	if !diags.HasErrors() {
		diags = append(diags, cfg.Validate()...)
	}
	return cfg, sources, diags
}

// wait runs until a signal or the API server failing, then shuts down.
// SIGHUP reloads the config and keeps running.
func (c *AgentCommand) wait(a *agent.Agent, served <-chan error, logger *slog.Logger, reload func()) int {
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(signals)
	code := 0
running:
	for {
		select {
		case sig := <-signals:
			if sig == syscall.SIGHUP {
				reload()
				continue
			}
			logger.Info("shutting down gracefully; send the signal again to exit at once", "signal", sig.String())
			break running
		case err := <-served:
			if err != nil {
				logger.Error("API server failed", "error", err)
				code = 1
			}
			break running
		}
	}
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		done <- a.Shutdown(ctx)
	}()
	for {
		select {
		case err := <-done:
			if err != nil {
				logger.Error("shutdown", "error", err)
				return 1
			}
			return code
		case sig := <-signals:
			if sig == syscall.SIGHUP {
				logger.Warn("not reloading the config: shutting down")
				continue
			}
			logger.Warn("second signal: exiting at once", "signal", sig.String())
			return 1
		}
	}
}

// diagnostics prints config diagnostics with their source snippets and
// returns the exit code.
func (c *Meta) diagnostics(sources *config.Sources, diags hcl.Diagnostics) int {
	_ = sources.WriteDiagnostics(os.Stderr, diags, isTerminal(os.Stderr))
	if diags.HasErrors() {
		return 1
	}
	return 0
}

// newLogger returns a logger at level, which it sets to the named level:
// a reload changes it there.
func newLogger(w io.Writer, level *slog.LevelVar, name, format string) (*slog.Logger, error) {
	if err := level.UnmarshalText([]byte(name)); err != nil {
		return nil, fmt.Errorf("log level %q: %w", name, err)
	}
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}

// readyPlatforms waits, for a bounded time, until no platform is still
// starting, and lists them; the banner then tells the truth about them.
func readyPlatforms(a *agent.Agent, logger *slog.Logger) []client.Platform {
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		ps, err := a.Platforms(context.Background())
		if err != nil {
			logger.Warn("cannot list the platforms for the banner", "error", err)
			return nil
		}
		starting := slices.ContainsFunc(ps, func(p client.Platform) bool { return p.State == client.PlatformStarting })
		if !starting || time.Now().After(deadline) {
			return ps
		}
		<-tick.C
	}
}

// commandName is how the operator ran this binary ("./bin/marketsync"),
// so the commands the banner suggests can be pasted as they are.
func commandName() string {
	if name := os.Args[0]; strings.ContainsRune(name, filepath.Separator) {
		if wd, err := os.Getwd(); err == nil {
			if rel, err := filepath.Rel(wd, name); err == nil && !strings.HasPrefix(rel, "..") {
				return "./" + rel
			}
		}
		return name
	}
	return "marketsync"
}

func devBanner(addr, cmd string, platforms []client.Platform) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n==> marketsync agent running in -dev mode (state in memory, lost on exit)\n\n")
	fmt.Fprintf(&b, "    API:        http://%s   (metrics at /metrics)\n", addr)
	for i, p := range platforms {
		label := "Platforms:"
		if i > 0 {
			label = ""
		}
		fmt.Fprintf(&b, "    %-11s %-14s %s (%s), %s\n", label, p.Name, p.Plugin, strings.Join(p.Capabilities, ", "), p.State)
	}
	fmt.Fprintf(&b, "\n    In another terminal:\n\n      export MARKETSYNC_ADDR=http://%s\n      %s platforms\n", addr, cmd)
	if slices.ContainsFunc(platforms, func(p client.Platform) bool { return p.Name == "sandbox" }) {
		fmt.Fprintf(&b, "      %[1]s collect sandbox 100001 100002 100003 100004 100005 -wait\n      %[1]s product sandbox:100001\n", cmd)
	}
	return b.String()
}
