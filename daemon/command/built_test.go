package command

import (
	"os"
	"sync"
	"testing"

	"github.com/marketsync/marketsync/daemon/agent/agenttest"
)

// firstParty are the plugins under plugins/.
var firstParty = []string{"sandbox", "taobao", "alibaba1688", "pinduoduo", "aliexpress"}

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
