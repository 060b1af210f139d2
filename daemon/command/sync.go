package command

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/hashicorp/cli"
	"github.com/marketsync/marketsync/daemon/client"
)

// SyncCommand is the parent of the sync commands.
type SyncCommand struct{ Meta }

func (c *SyncCommand) Synopsis() string { return "List, run and follow sync pipelines" }

func (c *SyncCommand) Help() string {
	return strings.TrimSpace(`
Usage: marketsync sync <subcommand> [options] [args]

  Sync pipelines (sync blocks) keep a store in step with the products
  collected from a source platform. They run on their schedule, on demand
  and when a webhook says a product changed.

Subcommands:
    list      List the pipelines, their schedules and their last runs
    run       Run a pipeline now, and follow it with -wait
    status    The same as list
`)
}

func (c *SyncCommand) Run([]string) int { return cli.RunResultHelp }

// SyncListCommand lists the pipelines.
type SyncListCommand struct {
	Meta
	status bool
}

func (c *SyncListCommand) Synopsis() string {
	return "List the sync pipelines, their schedules and runs"
}

func (c *SyncListCommand) Help() string {
	return strings.TrimSpace(`
Usage: marketsync sync list [options]

  Lists every sync pipeline: source and target, schedule and next run, the
  job running now (with its progress) and the last one that finished.

` + generalOptions())
}

func (c *SyncListCommand) Run(args []string) int {
	_, cl, err := c.connect(c.FlagSet("sync list", true), args, noArgs("sync list"))
	if err != nil {
		return c.exit(err)
	}
	list, err := cl.Sync().List(context.Background())
	if err != nil {
		return c.exit(err)
	}
	if c.json {
		return c.printJSON(list)
	}
	if len(list) == 0 {
		c.Ui.Output("No sync pipelines: add a sync block to the agent's config.")
		return 0
	}
	rows := [][]string{{"NAME", "SOURCE", "TARGET", "SCHEDULE", "NEXT", "RUNNING", "LAST"}}
	for _, p := range list {
		rows = append(rows, []string{p.Name, p.Source, p.Target, orDash(p.Schedule), clock(p.Next), syncJobCell(p.Active), syncJobCell(p.Last)})
	}
	c.Ui.Output(table(rows))
	return 0
}

// syncJobCell sums a sync job up in one cell: "01J… succeeded 20/20".
func syncJobCell(j *client.Job) string {
	if j == nil {
		return "-"
	}
	return fmt.Sprintf("%s %s %d/%d, %d writes", j.ID, j.State, j.Succeeded+j.Failed, j.Total, j.Writes.Total())
}

// syncJobText says what a sync job does: "sync 20 products of taobao-to-shopify to shopify".
func syncJobText(j *client.Job) string {
	return fmt.Sprintf("sync %s of %s to %s", count(j.Total, "changed product", "changed products"), j.Pipeline, j.Platform)
}

// SyncRunCommand runs a pipeline now.
type SyncRunCommand struct{ Meta }

func (c *SyncRunCommand) Synopsis() string { return "Run a sync pipeline now" }

func (c *SyncRunCommand) Help() string {
	return strings.TrimSpace(`
Usage: marketsync sync run [options] <name> [source product id ...]

  Starts a run of the pipeline: every product of its source whose listing
  changed since the last sync, or the products given, even if unchanged
  (their store side is checked for conflicts). When the pipeline is
  running already, that run is shown instead, and the products given are
  synced right after it.

  With -wait it follows the job to its end, as job -wait does, and exits
  with how the job ended (0 succeeded, 2 partial, 3 failed, 4 cancelled).

Sync Run Options:

  -wait
    Follow the job until it finishes.

` + generalOptions())
}

func (c *SyncRunCommand) Run(args []string) int {
	f := c.FlagSet("sync run", true)
	wait := f.Bool("wait", false, "")
	rest, cl, err := c.connect(f, args, func(rest []string) error {
		if len(rest) == 0 {
			return usageError("sync run takes the pipeline's name, then any source product ids")
		}
		return nil
	})
	if err != nil {
		return c.exit(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	start := time.Now()
	j, err := cl.Sync().Run(ctx, rest[0], client.SyncRunRequest{IDs: rest[1:]})
	if err != nil {
		return c.exit(err)
	}
	return c.started(ctx, cl, j, start, *wait)
}
