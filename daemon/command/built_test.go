package command

import (
	"os"
	"sync"
	"testing"

	"github.com/marketsync/marketsync/daemon/agent/agenttest"
)

// firstParty are the plugins under plugins/, every folder of it.
var firstParty = func() []string {
	entries, err := os.ReadDir("../../plugins")
	if err != nil {
		panic(err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return names
}()

var built struct {
	once sync.Once
	dir  string
	err  error
}

// builtDir builds marketsync and the first-party plugins, once for the
// package and only for the tests that need them, and returns the
// directory that holds them, as make build lays out ./bin.
func builtDir(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		if built.dir, built.err = os.MkdirTemp("", "marketsync-command"); built.err == nil {
			built.err = agenttest.Build(built.dir, firstParty...)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.dir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}
