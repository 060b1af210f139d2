package agenttest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/marketsync/marketsync/config"
	"github.com/marketsync/marketsync/daemon/agent"
	"github.com/marketsync/marketsync/daemon/client"
	"github.com/marketsync/marketsync/sdk/plugintest"
)

// Main builds the marketsync binary and the named first-party plugins
// into a temporary directory, sets *dir to it, runs the tests and removes
// it. A test package's TestMain is this one line:
//
//	func TestMain(m *testing.M) { agenttest.Main(m, &bin, "sandbox") }
func Main(m *testing.M, dir *string, plugins ...string) {
	tmp, err := os.MkdirTemp("", "marketsync-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := Build(tmp, plugins...); err != nil {
		os.RemoveAll(tmp)
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	*dir = tmp
	code := m.Run()
	os.RemoveAll(tmp)
	os.Exit(code)
}

// Build compiles the marketsync binary and the named first-party plugins
// (folders under plugins/) into dir, in one go build so that the
// packages compile in parallel. It goes through plugintest.BuildShared,
// so the test packages of a checkout that all need the agent and the
// sandbox link them once between them.
func Build(dir string, plugins ...string) error {
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	root, err := plugintest.ModuleRoot(wd)
	if err != nil {
		return err
	}
	names := map[string]string{"marketsync": "marketsync"}
	pkgs := []string{"./daemon/cmd/marketsync"}
	for _, p := range plugins {
		names[p] = "marketsync-plugin-" + p
		pkgs = append(pkgs, "./plugins/"+p)
	}
	return plugintest.BuildShared(root, pkgs, func(out string) error {
		for built, name := range names {
			if err := plugintest.CopyExecutable(filepath.Join(out, built), filepath.Join(dir, name)); err != nil {
				return err
			}
		}
		return nil
	})
}

// Agent is a running test agent.
type Agent struct {
	*agent.Agent
	Config *config.Config
	Client *client.Client
	served chan error
}

// New starts an agent from the HCL config text, as an operator's file
// would give it, with plugin_dir set to pluginDir and the API on a free
// port of 127.0.0.1. Without a data_dir its state is in memory. The agent
// is shut down when the test ends.
func New(t testing.TB, pluginDir, hcl string) *Agent {
	t.Helper()
	a, err := Start(t, Config(t, pluginDir, hcl))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// Config loads and validates the HCL config text as New does.
func Config(t testing.TB, pluginDir, hcl string) *config.Config {
	t.Helper()
	path := filepath.Join(t.TempDir(), "agent.hcl")
	text := fmt.Sprintf("plugin_dir = %q\nlog_level = \"debug\"\n", pluginDir) + hcl
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _, diags := config.Load(path)
	cfg.API.Address = "127.0.0.1:0" // as -api-addr would
	if cfg.DataDir == "" {
		cfg.InMemory = true
	}
	if !diags.HasErrors() {
		diags = append(diags, cfg.Validate()...)
	}
	if diags.HasErrors() {
		t.Fatalf("test agent config: %v", diags)
	}
	return cfg
}

// Start starts an agent from cfg as it is, logging into the test's log.
func Start(t testing.TB, cfg *config.Config) (*Agent, error) {
	t.Helper()
	return StartLogging(t, cfg, testWriter{t})
}

// StartLogging is Start with the agent's log (text, info and above)
// written to w.
func StartLogging(t testing.TB, cfg *config.Config, w io.Writer) (*Agent, error) {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	a, err := agent.New(ctx, cfg, logger)
	if err != nil {
		return nil, err
	}
	ta := &Agent{Agent: a, Config: cfg, served: make(chan error, 1)}
	go func() { ta.served <- a.Serve() }()
	ta.Client, err = client.New(client.Config{Address: "http://" + a.Addr().String(), Token: cfg.API.Token.Reveal()})
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { ta.Stop(t) })
	return ta, nil
}

// Stop shuts the agent down gracefully; later calls do nothing.
func (a *Agent) Stop(t testing.TB) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := a.Shutdown(ctx); err != nil {
		t.Errorf("agent shutdown: %v", err)
	}
}

// testWriter sends log lines to the test's log, so they show only when a
// test fails.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
