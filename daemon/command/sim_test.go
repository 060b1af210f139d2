package command

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/cli"
	"github.com/marketsync/marketsync/daemon/agent/agenttest"
	"github.com/marketsync/marketsync/daemon/client"
)

// TestSimFeedsTheRealPlugin serves each marketplace's simulator as
// "marketsync sim" does, gives the block it prints to an agent running the
// real plugin, and collects the products it says to try.
func TestSimFeedsTheRealPlugin(t *testing.T) {
	bin := builtDir(t)
	for _, plugin := range simNames() {
		t.Run(plugin, func(t *testing.T) {
			block, hints := startSim(t, plugin)
			a := agenttest.New(t, bin, block)
			m := regexp.MustCompile(`marketsync collect (\S+) ((?:\d+ )+)-wait`).FindStringSubmatch(hints)
			if m == nil || m[1] != plugin+"-sim" {
				t.Fatalf("the hints do not say what to collect:\n%s", hints)
			}
			ids := strings.Fields(m[2])
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			j, err := a.Client.Jobs().Collect(ctx, client.CollectRequest{Platform: m[1], IDs: ids})
			if err != nil {
				t.Fatal(err)
			}
			for !j.State.Final() {
				if j, err = a.Client.Jobs().Watch(ctx, j.ID, client.WaitOptions{Index: j.Index, Wait: 30 * time.Second}); err != nil {
					t.Fatal(err)
				}
			}
			if j.State != client.JobSucceeded || j.Succeeded != len(ids) {
				t.Fatalf("job %s: %d of %d succeeded", j.State, j.Succeeded, len(ids))
			}
			p, err := a.Client.Products().Info(ctx, m[1]+":"+ids[0])
			if err != nil || p.ID != ids[0] || len(p.Variants) == 0 {
				t.Fatalf("product %s: %+v, %v", ids[0], p, err)
			}
			// Both timeouts show: the block's and the plugin's own.
			list, err := a.Client.Platforms().List(ctx)
			if err != nil || len(list) != 1 || list[0].Timeout != "30s" || list[0].Config["timeout"] != "30s" {
				t.Errorf("platforms: %+v, %v; want the block's and the plugin's timeout", list, err)
			}
		})
	}
}

// startSim runs "marketsync sim -addr 127.0.0.1:0 PLUGIN" in-process until
// the test ends, and returns the block it printed and its hints.
func startSim(t *testing.T, plugin string) (block, hints string) {
	t.Helper()
	ui := cli.NewMockUi()
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan string, 1)
	cmd := &SimCommand{Meta: Meta{Ui: ui, Stdout: ui.OutputWriter}, ctx: ctx, started: func(b string) { started <- b }}
	done := make(chan int, 1)
	go func() { done <- cmd.Run([]string{"-addr", "127.0.0.1:0", plugin}) }()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("sim exited %d: %s", code, ui.ErrorWriter.String())
		}
	})
	select {
	case block = <-started:
	case code := <-done:
		done <- code
		t.Fatalf("sim exited %d before serving: %s", code, ui.ErrorWriter.String())
	}
	if out := ui.OutputWriter.String(); strings.TrimSpace(out) != block {
		t.Errorf("sim printed more than the block on standard output:\n%s", out)
	}
	return block, ui.ErrorWriter.String()
}

func TestSimNamesTheSimulators(t *testing.T) {
	r := runCLI(t, "", "sim", "shopify")
	r.wantUsage(t, `no simulator for "shopify": there are alibaba1688, aliexpress, pinduoduo, taobao`, "sim")
}
