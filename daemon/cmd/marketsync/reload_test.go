package main

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/marketsync/marketsync/daemon/client"
)

// logWatch keeps an agent's log lines so that a test can wait for one.
type logWatch struct {
	mu    sync.Mutex
	lines []string
	added chan struct{} // closed and replaced at every line
}

func newLogWatch() *logWatch { return &logWatch{added: make(chan struct{})} }

func (w *logWatch) add(line string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.lines = append(w.lines, line)
	close(w.added)
	w.added = make(chan struct{})
}

// mark is the number of lines so far: waitFor(mark, ...) sees only
// what is logged after it.
func (w *logWatch) mark() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.lines)
}

// waitFor returns the index and submatches of the first line from index
// from on that matches re, failing the test after 30 seconds.
func (w *logWatch) waitFor(t *testing.T, from int, re *regexp.Regexp) (int, []string) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		w.mu.Lock()
		lines, added := w.lines, w.added
		w.mu.Unlock()
		for i := from; i < len(lines); i++ {
			if m := re.FindStringSubmatch(lines[i]); m != nil {
				return i, m
			}
		}
		from = len(lines)
		select {
		case <-added:
		case <-deadline:
			t.Fatalf("no log line matching %s within 30s", re)
		}
	}
}

// pluginPIDs returns the plugin process started for each platform in the
// lines from index from on (go-plugin logs it at debug level).
func (w *logWatch) pluginPIDs(from int) map[string]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[string]int{}
	for _, line := range w.lines[from:] {
		if m := pluginStarted.FindStringSubmatch(line); m != nil {
			out[m[1]], _ = strconv.Atoi(m[2])
		}
	}
	return out
}

var pluginStarted = regexp.MustCompile(`msg="plugin started" platform=(\S+) .*pid=(\d+)`)

// awaitPlatforms polls the API until check accepts the platforms, failing
// the test after 30 seconds. Errors count as not yet: a platform being
// restarted may not answer for a moment.
func awaitPlatforms(t *testing.T, p *agentProc, what string, check func(map[string]client.Platform) bool) map[string]client.Platform {
	t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(30 * time.Second)
	var last map[string]client.Platform
	for {
		if list, err := p.client.Platforms().List(context.Background()); err == nil {
			last = map[string]client.Platform{}
			for _, pl := range list {
				last[pl.Name] = pl
			}
			if check(last) {
				return last
			}
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("platforms never showed %s; last seen %+v", what, last)
		}
	}
}

func names(m map[string]client.Platform) []string { return slices.Sorted(maps.Keys(m)) }

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

func isChild(t *testing.T, agent, pid int) bool {
	return slices.Contains(children(t, agent), pid)
}

func TestSIGHUPReloadsTheConfig(t *testing.T) {
	dir := t.TempDir()
	confDir := filepath.Join(dir, "conf.d")
	if err := os.Mkdir(confDir, 0o700); err != nil {
		t.Fatal(err)
	}
	agentFile, platformsFile := filepath.Join(confDir, "agent.hcl"), filepath.Join(confDir, "platforms.hcl")
	agentHCL := func(dataDir, level string) string {
		return fmt.Sprintf("data_dir = %q\nplugin_dir = %q\nlog_level = %q\n", filepath.Join(dir, dataDir), bin, level)
	}
	writeFile(t, agentFile, agentHCL("data", "debug"))
	writeFile(t, platformsFile, `
platform "sandbox" "keep" {}
platform "sandbox" "change" {
  concurrency = 1
  config {
    latency = "100ms"
  }
}
platform "sandbox" "drop" {}
`)
	logs := newLogWatch()
	p := startAgentWatching(t, logs.add, "-config", confDir, "-api-addr", "127.0.0.1:0")
	agentPID := p.cmd.Process.Pid
	before := logs.pluginPIDs(0)
	if len(before) != 3 {
		t.Fatalf("plugin processes at start: %v", before)
	}
	awaitPlatforms(t, p, "three ready platforms", func(m map[string]client.Platform) bool {
		return len(m) == 3 && m["keep"].State == client.PlatformReady && m["change"].State == client.PlatformReady
	})

	// A job on the platform about to restart: it must carry on.
	ctx := context.Background()
	const total = 600
	j, err := p.client.Jobs().Collect(ctx, client.CollectRequest{Platform: "change", IDs: ids(100001, total)})
	if err != nil {
		t.Fatal(err)
	}
	for j.Succeeded == 0 {
		if j, err = p.client.Jobs().Watch(ctx, j.ID, client.WaitOptions{Index: j.Index, Wait: time.Minute}); err != nil {
			t.Fatal(err)
		}
	}

	// keep only moves and gains a comment; change gets another plugin
	// config and a rate limit; drop goes; add comes. data_dir cannot
	// change while running.
	writeFile(t, agentFile, agentHCL("elsewhere", "info"))
	// The block change becomes.
	const changed = `
platform "sandbox" "change" {
  concurrency = 1
  rate_limit {
    rate  = 50
    burst = 5
  }
  config {
    latency = "20ms"
  }
}
`
	writeFile(t, platformsFile, `
platform "sandbox" "add" {}
`+changed+`
# Unchanged, only moved.
platform "sandbox" "keep" {}
`)
	mark := logs.mark()
	if err := syscall.Kill(agentPID, syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	after := awaitPlatforms(t, p, "add, change (restarted) and keep", func(m map[string]client.Platform) bool {
		return slices.Equal(names(m), []string{"add", "change", "keep"}) &&
			m["change"].Rate == 50 && m["change"].Config["latency"] == "20ms" &&
			m["change"].State == client.PlatformReady && m["add"].State == client.PlatformReady
	})
	logs.waitFor(t, mark, regexp.MustCompile(`reloaded config: 1 platforms added, 1 removed, 1 restarted, 1 unchanged`))
	logs.waitFor(t, mark, regexp.MustCompile(`level=WARN .*needs a restart.* setting=data_dir`))
	if after["keep"].Restarts != 0 {
		t.Errorf("keep restarted its plugin: %+v", after["keep"])
	}
	started := logs.pluginPIDs(mark)
	if _, ok := started["keep"]; ok || started["change"] == 0 || started["add"] == 0 {
		t.Errorf("plugins started by the reload: %v; want change and add only", started)
	}
	if !isChild(t, agentPID, before["keep"]) {
		t.Errorf("keep's plugin process %d is gone", before["keep"])
	}
	waitGone(t, before["change"])
	waitGone(t, before["drop"])
	if _, err := p.client.Jobs().Collect(ctx, client.CollectRequest{Platform: "drop", IDs: ids(100001, 1)}); err == nil {
		t.Error("a removed platform still takes jobs")
	}

	// The job on the restarted platform finishes on the new actor.
	for !j.State.Final() {
		if j, err = p.client.Jobs().Watch(ctx, j.ID, client.WaitOptions{Index: j.Index, Wait: time.Minute}); err != nil {
			t.Fatal(err)
		}
	}
	if j.State != client.JobSucceeded || j.Succeeded != total {
		t.Errorf("job across the restart: %+v", j)
	}

	// A config the plugin's schema rejects changes nothing.
	writeFile(t, platformsFile, `
platform "sandbox" "add" {}
platform "sandbox" "keep" {
  config {
    no_such_setting = 1
  }
}
`)
	mark = logs.mark()
	if err := syscall.Kill(agentPID, syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	logs.waitFor(t, mark, regexp.MustCompile(`level=ERROR .*no_such_setting`))
	logs.waitFor(t, mark, regexp.MustCompile(`level=ERROR msg="config reload failed; still running on the previous config"`))
	awaitPlatforms(t, p, "the same three platforms", func(m map[string]client.Platform) bool {
		return slices.Equal(names(m), []string{"add", "change", "keep"}) && m["change"].Rate == 50
	})
	if !isChild(t, agentPID, before["keep"]) || !isChild(t, agentPID, started["change"]) {
		t.Errorf("a rejected reload touched plugin processes")
	}

	// The log level reloaded to info: adding a platform logs it ready, but
	// not go-plugin's debug line that comes before.
	writeFile(t, platformsFile, `
platform "sandbox" "add" {}
`+changed+`
platform "sandbox" "keep" {}
platform "sandbox" "late" {}
`)
	mark = logs.mark()
	if err := syscall.Kill(agentPID, syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	logs.waitFor(t, mark, regexp.MustCompile(`reloaded config: 1 platforms added, 0 removed, 0 restarted, 3 unchanged`))
	if debug := logs.pluginPIDs(mark); len(debug) != 0 {
		t.Errorf("debug lines logged at log_level info: %v", debug)
	}
	awaitPlatforms(t, p, "late", func(m map[string]client.Platform) bool { return len(m) == 4 })

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := <-p.exited; err != nil {
		t.Errorf("agent exit after SIGTERM: %v", err)
	}
}
