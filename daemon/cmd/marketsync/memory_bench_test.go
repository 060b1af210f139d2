package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/marketsync/marketsync/daemon/api"
	"github.com/marketsync/marketsync/daemon/client"
)

// BenchmarkAgentMemory runs the agent on disk against a sandbox
// marketplace of N products and collects all of them, in jobs of 10,000
// ids (the most a request takes), then collects them all again: the
// steady state of an agent that keeps its catalogue fresh. It samples the
// agent process's resident set (VmRSS, which counts the pages of Badger's
// mapped files the process touched) every 100 ms and reports its peak
// during the first pass, with the largest anonymous (Go heap, memtables)
// and file-backed (the executable, about 21 MB, and Badger's mapped files)
// parts; its median and largest value during the second, with the same
// parts; and products
// collected per second. N comes from the sub-benchmark's name:
//
//	make bench-memory
//	make bench-memory BENCH_MEMORY_N=1000000
//
// It runs only with MARKETSYNC_BENCH_MEMORY set, as make bench-memory
// sets it: it takes minutes, too long for make bench.
func BenchmarkAgentMemory(b *testing.B) {
	if os.Getenv("MARKETSYNC_BENCH_MEMORY") == "" {
		b.Skip("set MARKETSYNC_BENCH_MEMORY=1, or run make bench-memory")
	}
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			for b.Loop() {
				agentMemory(b, n)
			}
		})
	}
}

func agentMemory(b *testing.B, n int) {
	dir := b.TempDir()
	cfgPath := filepath.Join(dir, "agent.hcl")
	cfg := fmt.Sprintf(`
data_dir   = %q
plugin_dir = %q
platform "sandbox" "src" {
  config {
    products = %d
  }
}
`, filepath.Join(dir, "data"), bin, n)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		b.Fatal(err)
	}
	p := startAgent(b, "-config", cfgPath, "-api-addr", "127.0.0.1:0", "-log-level", "info")
	pid := p.cmd.Process.Pid
	sampler := sampleRSS(b, pid)

	start := time.Now()
	collectAll(b, p.client, n)
	first := time.Since(start)
	collecting := sampler.stop()
	peak := procKB(b, pid, "VmHWM")

	sampler = sampleRSS(b, pid)
	start = time.Now()
	collectAll(b, p.client, n)
	second := time.Since(start)
	steady := sampler.stop()

	b.ReportMetric(float64(peak)/1024, "peak-RSS-MB")
	b.ReportMetric(float64(slices.Max(collecting.rss))/1024, "collect-RSS-MB")
	b.ReportMetric(float64(slices.Max(collecting.anon))/1024, "collect-anon-MB")
	b.ReportMetric(float64(slices.Max(collecting.file))/1024, "collect-file-MB")
	b.ReportMetric(float64(median(steady.rss))/1024, "steady-RSS-MB")
	b.ReportMetric(float64(slices.Max(steady.rss))/1024, "steady-max-RSS-MB")
	b.ReportMetric(float64(slices.Max(steady.anon))/1024, "steady-anon-MB")
	b.ReportMetric(float64(slices.Max(steady.file))/1024, "steady-file-MB")
	for _, kind := range []string{"anon", "exe", "sst", "vlog", "mem", "file"} {
		b.ReportMetric(float64(collecting.atMax[kind])/1024, "collect-max-"+kind+"-MB")
		b.ReportMetric(float64(steady.atMax[kind])/1024, "steady-max-"+kind+"-MB")
	}
	b.ReportMetric(float64(n)/first.Seconds(), "products/s")
	b.ReportMetric(float64(n)/second.Seconds(), "recollect-products/s")
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		b.Fatal(err)
	}
	<-p.exited
}

// collectAll collects ids 100001 to 100000+n in jobs of as many ids as
// a request takes, one after the other, and fails unless every item
// succeeds.
func collectAll(b *testing.B, c *client.Client, n int) {
	const perJob = api.MaxCollectIDs
	ctx := context.Background()
	for from := 0; from < n; from += perJob {
		j, err := c.Jobs().Collect(ctx, client.CollectRequest{Platform: "src", IDs: ids(100001+from, min(perJob, n-from))})
		if err != nil {
			b.Fatal(err)
		}
		for !j.State.Final() {
			if j, err = c.Jobs().Watch(ctx, j.ID, client.WaitOptions{Index: j.Index, Wait: time.Minute}); err != nil {
				b.Fatal(err)
			}
		}
		if j.State != client.JobSucceeded || j.Succeeded != j.Total {
			b.Fatalf("job %+v", j)
		}
	}
}

// rssSampler records a process's resident set every 100 ms: the whole
// (VmRSS), its anonymous part and its file-backed part.
type rssSampler struct {
	done    chan struct{}
	samples chan rssSamples
}

type rssSamples struct {
	rss, anon, file []int
	// atMax is the resident kB by kind of mapping (smaps) at the
	// largest VmRSS sample.
	atMax map[string]int
}

func sampleRSS(b *testing.B, pid int) *rssSampler {
	s := &rssSampler{done: make(chan struct{}), samples: make(chan rssSamples, 1)}
	go func() {
		var r rssSamples
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			for _, f := range []struct {
				name string
				to   *[]int
			}{{"VmRSS", &r.rss}, {"RssAnon", &r.anon}, {"RssFile", &r.file}} {
				if v, err := readProcKB(pid, f.name); err == nil {
					*f.to = append(*f.to, v)
				}
			}
			if n := len(r.rss); n > 0 && r.rss[n-1] == slices.Max(r.rss) {
				if m, err := smapsByKind(pid); err == nil {
					r.atMax = m
				}
			}
			select {
			case <-s.done:
				s.samples <- r
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

func (s *rssSampler) stop() rssSamples {
	close(s.done)
	return <-s.samples
}

func median(s []int) int {
	s = slices.Sorted(slices.Values(s))
	return s[len(s)/2]
}

func procKB(b *testing.B, pid int, field string) int {
	v, err := readProcKB(pid, field)
	if err != nil {
		b.Fatal(err)
	}
	return v
}

// readProcKB reads one kB field of /proc/<pid>/status.
func readProcKB(pid int, field string) (int, error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			return strconv.Atoi(strings.Fields(rest)[0])
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

// smapsByKind sums the resident kB of a process's mappings by kind: the
// value log, tables, other files, the executable and anonymous memory.
func smapsByKind(pid int) (map[string]int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps", pid))
	if err != nil {
		return nil, err
	}
	exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	out := map[string]int{}
	kind := "anon"
	for line := range strings.SplitSeq(string(b), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 5 && strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":"):
			kind = "anon"
			if len(f) >= 6 {
				switch p := f[5]; {
				case p == exe:
					kind = "exe"
				case strings.HasSuffix(p, ".vlog"):
					kind = "vlog"
				case strings.HasSuffix(p, ".sst"):
					kind = "sst"
				case strings.HasSuffix(p, ".mem"):
					kind = "mem"
				case strings.HasPrefix(p, "/"):
					kind = "file"
				}
			}
		case len(f) == 3 && f[0] == "Rss:":
			v, _ := strconv.Atoi(f[1])
			out[kind] += v
		}
	}
	return out, nil
}
