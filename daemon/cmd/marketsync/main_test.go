package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/marketsync/marketsync/daemon/agent/agenttest"
	"github.com/marketsync/marketsync/daemon/client"
	"github.com/marketsync/marketsync/plugins/sandbox/market"
	"golang.org/x/sys/unix"
)

// These tests run the built marketsync binary as an operator would.

var bin string

func TestMain(m *testing.M) { agenttest.Main(m, &bin, "sandbox") }

// agentProc is a marketsync agent process.
type agentProc struct {
	cmd    *exec.Cmd
	addr   string
	client *client.Client
	exited chan error
}

// startAgent runs `marketsync agent args...` and returns once its API
// listens, read from its log.
func startAgent(t testing.TB, args ...string) *agentProc {
	t.Helper()
	return startAgentWatching(t, nil, args...)
}

// startAgentWatching is startAgent that also hands every log line to
// watch, when not nil; every line is logged to the test too.
func startAgentWatching(t testing.TB, watch func(line string), args ...string) *agentProc {
	t.Helper()
	pr := agenttest.StartProcess(t, bin, func(line string) {
		t.Log(line)
		if watch != nil {
			watch(line)
		}
	}, args...)
	return &agentProc{cmd: pr.Cmd, addr: pr.Addr, client: pr.Client, exited: pr.Exited}
}

// cli runs a client command against the agent and returns its stdout.
func (p *agentProc) cli(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(filepath.Join(bin, "marketsync"), args...)
	cmd.Env = append(os.Environ(), "MARKETSYNC_ADDR=http://"+p.addr)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if stderr.Len() > 0 {
		t.Logf("%s stderr: %s", args[0], stderr.String())
	}
	return string(out), code
}

func ids(from, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = strconv.Itoa(from + i)
	}
	return out
}

func TestDevAgentCollectsThroughTheCLI(t *testing.T) {
	p := startAgent(t, "-dev", "-api-addr", "127.0.0.1:0")
	out, code := p.cli(t, append([]string{"collect", "-wait", "-json", "sandbox"}, ids(100001, 200)...)...)
	if code != 0 {
		t.Fatalf("collect exited %d:\n%s", code, out)
	}
	var job client.Job
	if err := json.Unmarshal([]byte(out), &job); err != nil {
		t.Fatalf("collect -json printed %q: %v", out, err)
	}
	if job.State != client.JobSucceeded || job.Succeeded != 200 {
		t.Fatalf("job %+v", job)
	}
	catalog := market.Catalog{Seed: 1, Count: 5000}
	ctx := context.Background()
	for _, id := range ids(100001, 200) {
		got, err := p.client.Products().Info(ctx, "sandbox:"+id)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := catalog.Product(id)
		if got.Title["zh-CN"] != want.Title["zh-CN"] || len(got.Variants) != len(want.Variants) || got.Variants[0].Price != want.Variants[0].Price {
			t.Fatalf("product %s: got %+v, want %+v", id, got.Product, *want)
		}
	}
	// The human form of a product read back.
	text, code := p.cli(t, "product", "sandbox:100001")
	if code != 0 || !strings.Contains(text, "zh-CN") || !strings.Contains(text, "CNY") {
		t.Errorf("product exited %d:\n%s", code, text)
	}

	// The dev pipeline lists what was collected on the sandbox store; run
	// again, it has nothing to write.
	for i, want := range []int{200, 0} {
		out, code = p.cli(t, "sync", "run", "-wait", "-json", "sandbox-to-store")
		if code != 0 {
			t.Fatalf("sync run %d exited %d:\n%s", i+1, code, out)
		}
		var run client.Job
		if err := json.Unmarshal([]byte(out), &run); err != nil {
			t.Fatalf("sync run -json printed %q: %v", out, err)
		}
		if run.State != client.JobSucceeded || run.Succeeded != want {
			t.Fatalf("sync run %d: %+v, want %d synced", i+1, run, want)
		}
	}
	if text, code := p.cli(t, "bindings", "sandbox:100001"); code != 0 || !strings.Contains(text, "sandbox-store") {
		t.Errorf("bindings exited %d:\n%s", code, text)
	}

	// SIGTERM drains and exits cleanly.
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := <-p.exited; err != nil {
		t.Errorf("agent exit after SIGTERM: %v", err)
	}
}

// children returns the pids whose parent is pid.
func children(t testing.TB, pid int) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// Fields after the command, which is in parentheses: state, ppid.
		rest := string(stat[strings.LastIndexByte(string(stat), ')')+2:])
		var state string
		var ppid int
		if _, err := fmt.Sscan(rest, &state, &ppid); err == nil && ppid == pid {
			out = append(out, child)
		}
	}
	return out
}

// waitGone blocks until process pid has exited, through a pidfd, which
// becomes readable when the process ends.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	fd, err := unix.PidfdOpen(pid, 0)
	if err == unix.ESRCH {
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	n, err := unix.Poll(fds, int((10 * time.Second).Milliseconds()))
	if err != nil || n == 0 {
		t.Fatalf("plugin process %d still running 10s after its agent was killed (%v)", pid, err)
	}
}

func TestSIGKILLMidJobLosesNothing(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "agent.hcl")
	cfg := fmt.Sprintf(`
data_dir   = %q
plugin_dir = %q
platform "sandbox" "src" {
  concurrency = 1
  config {
    latency = "25ms"
  }
}
`, filepath.Join(dir, "data"), bin)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	const total = 1500
	p := startAgent(t, "-config", cfgPath, "-api-addr", "127.0.0.1:0", "-log-level", "info")
	ctx := context.Background()
	j, err := p.client.Jobs().Collect(ctx, client.CollectRequest{Platform: "src", IDs: ids(100001, total)})
	if err != nil {
		t.Fatal(err)
	}
	for j.Succeeded < 300 {
		if j, err = p.client.Jobs().Watch(ctx, j.ID, client.WaitOptions{Index: j.Index, Wait: time.Minute}); err != nil {
			t.Fatal(err)
		}
	}
	plugins := children(t, p.cmd.Process.Pid)
	if len(plugins) == 0 {
		t.Fatal("found no plugin process under the agent")
	}
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-p.exited
	for _, pid := range plugins {
		waitGone(t, pid)
	}

	q := startAgent(t, "-config", cfgPath, "-api-addr", "127.0.0.1:0", "-log-level", "info")
	resumed, err := q.client.Jobs().Info(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if resumed.Succeeded < 300 || resumed.State.Final() {
		t.Fatalf("after the kill the job shows %+v; want its checkpoints kept and the rest to do", resumed)
	}
	for !resumed.State.Final() {
		if resumed, err = q.client.Jobs().Watch(ctx, j.ID, client.WaitOptions{Index: resumed.Index, Wait: time.Minute}); err != nil {
			t.Fatal(err)
		}
	}
	if resumed.State != client.JobSucceeded || resumed.Succeeded != total || resumed.Failed != 0 || resumed.Pending != 0 {
		t.Fatalf("resumed job %+v, want all %d succeeded once", resumed, total)
	}
	// Every item is recorded once and succeeded, and every product is in
	// the catalogue.
	seen := map[string]bool{}
	for after := 0; ; {
		page, err := q.client.Jobs().Items(ctx, j.ID, client.ItemListOptions{After: after, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			if it.State != client.ItemSucceeded || seen[it.ID] {
				t.Fatalf("item %+v (seen before: %v)", it, seen[it.ID])
			}
			seen[it.ID] = true
		}
		if page.Next == 0 {
			break
		}
		after = page.Next
	}
	if len(seen) != total {
		t.Fatalf("%d items recorded, want %d", len(seen), total)
	}
	for _, id := range ids(100001, total) {
		if _, err := q.client.Products().Info(ctx, "src:"+id); err != nil {
			t.Fatalf("product %s lost: %v", id, err)
		}
	}
}

// rssKB reads a process's resident set size from /proc.
func rssKB(b *testing.B, pid int) int {
	b.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.Atoi(strings.Fields(rest)[0])
			if err != nil {
				b.Fatal(err)
			}
			return kb
		}
	}
	b.Fatal("no VmRSS")
	return 0
}

// BenchmarkAgentRSS starts the agent in -dev mode (two sandbox plugin
// processes, Badger in memory), waits until its API answers, and reports
// the resident memory of the agent process alone and of its plugins.
func BenchmarkAgentRSS(b *testing.B) {
	for b.Loop() {
		p := startAgent(b, "-dev", "-api-addr", "127.0.0.1:0")
		if _, err := p.client.Platforms().List(context.Background()); err != nil {
			b.Fatal(err)
		}
		agent := rssKB(b, p.cmd.Process.Pid)
		plugins := 0
		for _, pid := range children(b, p.cmd.Process.Pid) {
			plugins += rssKB(b, pid)
		}
		b.ReportMetric(float64(agent)/1024, "agent-RSS-MB")
		b.ReportMetric(float64(plugins)/1024, "plugins-RSS-MB")
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		<-p.exited
	}
}
