package agent_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/marketsync/marketsync/daemon/agent/agenttest"
	"github.com/marketsync/marketsync/daemon/client"
)

// TestScopeListingResumesAfterRestart collects the sandbox's whole
// listing, stopping the agent after a few pages: the next start lists on
// from the last page checkpointed, then collects every id once.
func TestScopeListingResumesAfterRestart(t *testing.T) {
	dir := t.TempDir()
	hcl := fmt.Sprintf(`
data_dir = %q
platform "sandbox" "src" {
  concurrency = 1
  config {
    products = 1000
    latency  = "20ms"
  }
}`, dir)
	a, err := agenttest.Start(t, agenttest.Config(t, bin, hcl))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	j, err := a.Client.Jobs().Collect(ctx, client.CollectRequest{Platform: "src", Scope: "all"})
	if err != nil {
		t.Fatal(err)
	}
	if j.Step != client.JobStepListing || j.Scope != "all" || j.Total != 0 {
		t.Fatalf("queued job %+v", j)
	}
	b, resumed := restartWhen(t, a, hcl, j, func(j *client.Job) bool { return j.ListedPages >= 2 })
	if resumed.ListedPages < 2 || resumed.Total != 100*resumed.ListedPages {
		t.Fatalf("after the restart the job shows %d pages, %d ids; want the pages listed before kept", resumed.ListedPages, resumed.Total)
	}
	done := finish(t, b.Client, resumed)
	if done.State != client.JobSucceeded || done.Total != 1000 || done.Succeeded != 1000 || done.ListedPages != 10 {
		t.Fatalf("resumed job %+v", done)
	}
	page, err := b.Client.Products().List(ctx, client.ProductListOptions{Platform: "src", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Products) != 1000 || page.Next != "" {
		t.Errorf("the catalogue holds %d products (next %q), want the 1000 listed", len(page.Products), page.Next)
	}
}

// restartWhen follows j on a until done says so, stops a, starts an
// agent on hcl again and returns it with the job as it found it.
func restartWhen(t *testing.T, a *agenttest.Agent, hcl string, j *client.Job, done func(*client.Job) bool) (*agenttest.Agent, *client.Job) {
	t.Helper()
	ctx := context.Background()
	var err error
	for !done(j) {
		if j, err = a.Client.Jobs().Watch(ctx, j.ID, client.WaitOptions{Index: j.Index, Wait: time.Minute}); err != nil {
			t.Fatal(err)
		}
	}
	a.Stop(t)
	b, err := agenttest.Start(t, agenttest.Config(t, bin, hcl))
	if err != nil {
		t.Fatal(err)
	}
	resumed, err := b.Client.Jobs().Info(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	return b, resumed
}
