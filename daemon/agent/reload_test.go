package agent_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/marketsync/marketsync/daemon/agent"
	"github.com/marketsync/marketsync/daemon/agent/agenttest"
)

// platformNames lists the platforms the agent's API shows.
func platformNames(t *testing.T, a *agenttest.Agent) []string {
	t.Helper()
	list, err := a.Client.Platforms().List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range list {
		out = append(out, p.Name)
	}
	return out
}

func TestReloadChecksEverythingBeforeChangingAnything(t *testing.T) {
	a := agenttest.New(t, bin, `platform "sandbox" "src" {}`)
	ctx := context.Background()

	// API requests keep coming while the platforms change under them.
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			select {
			case <-stop:
				return
			default:
				_, _ = a.Client.Platforms().List(ctx)
			}
		}
	}()
	defer func() { close(stop); <-stopped }()

	// src would restart, but the new platform's block breaks its plugin's
	// schema: nothing happens.
	_, err := a.Reload(ctx, agenttest.Config(t, bin, `
platform "sandbox" "src" {
  config {
    seed = 2
  }
}
platform "sandbox" "new" {
  config {
    colour = "red"
  }
}`))
	var cerr *agent.ConfigError
	if !errors.As(err, &cerr) {
		t.Fatalf("got %v, want a ConfigError", err)
	}
	if got := platformNames(t, a); !slices.Equal(got, []string{"src"}) {
		t.Fatalf("after a rejected reload: %v", got)
	}

	s, err := a.Reload(ctx, agenttest.Config(t, bin, `
platform "sandbox" "src" {}
platform "sandbox" "new" {}`))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Added, []string{"new"}) || !slices.Equal(s.Unchanged, []string{"src"}) || len(s.Removed)+len(s.Restarted) != 0 {
		t.Errorf("summary %+v", s)
	}
	if got := platformNames(t, a); !slices.Equal(got, []string{"new", "src"}) {
		t.Errorf("after the reload: %v", got)
	}

	// Restarting a platform spawns its actor again under the same name.
	s, err = a.Reload(ctx, agenttest.Config(t, bin, `
platform "sandbox" "src" {
  config {
    seed = 2
  }
}`))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Restarted, []string{"src"}) || !slices.Equal(s.Removed, []string{"new"}) {
		t.Errorf("summary %+v", s)
	}
	list, err := a.Client.Platforms().List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Config["seed"] != float64(2) {
		t.Errorf("after the restart: %+v", list)
	}
}
