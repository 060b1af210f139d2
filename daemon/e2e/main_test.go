package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/marketsync/marketsync/daemon/agent/agenttest"
	"github.com/marketsync/marketsync/daemon/client"
)

// bin holds marketsync and the four plugins, built once for the package.
var bin string

func TestMain(m *testing.M) { agenttest.Main(m, &bin, plugins...) }

// collect submits a collect job and follows it with blocking queries
// until it is final. It reports failures as errors so that it can run on
// any goroutine.
func collect(c *client.Client, platform string, ids []string) (*client.Job, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	j, err := c.Jobs().Collect(ctx, client.CollectRequest{Platform: platform, IDs: ids})
	if err != nil {
		return nil, fmt.Errorf("collect from %s: %w", platform, err)
	}
	for !j.State.Final() {
		if j, err = c.Jobs().Watch(ctx, j.ID, client.WaitOptions{Index: j.Index, Wait: 30 * time.Second}); err != nil {
			return nil, fmt.Errorf("follow job on %s: %w", platform, err)
		}
	}
	return j, nil
}

// items returns every item of a job, in request order.
func items(tb testing.TB, c *client.Client, id string) []client.JobItem {
	tb.Helper()
	var all []client.JobItem
	opts := client.ItemListOptions{Limit: 1000}
	for {
		page, err := c.Jobs().Items(context.Background(), id, opts)
		if err != nil {
			tb.Fatal(err)
		}
		all = append(all, page.Items...)
		if page.Next == 0 {
			return all
		}
		opts.After = page.Next
	}
}
