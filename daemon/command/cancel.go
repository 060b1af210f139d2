package command

import (
	"context"
	"strconv"
	"strings"
)

// CancelCommand stops a job.
type CancelCommand struct {
	Meta
}

func (c *CancelCommand) Synopsis() string { return "Stop a queued or running job" }

func (c *CancelCommand) Help() string {
	return strings.TrimSpace(`
Usage: marketsync cancel [options] <job-id>

  Stops a job: no new batch is sent to the platform, the batches already
  in flight are kept, and the items left stay pending. The job ends in the
  state "cancelled" and is not resumed when the agent restarts.

` + generalOptions())
}

func (c *CancelCommand) Run(args []string) int {
	f := c.FlagSet("cancel", true)
	rest, cl, err := c.connect(f, args, oneArg("cancel takes one argument, the job id"))
	if err != nil {
		return c.exit(err)
	}
	job, err := cl.Jobs().Cancel(context.Background(), rest[0])
	if err != nil {
		return c.exit(err)
	}
	if c.json {
		return c.printJSON(job)
	}
	c.Ui.Output(fields(
		"ID", job.ID,
		"State", string(job.State),
		"Succeeded", strconv.Itoa(job.Succeeded)+" of "+strconv.Itoa(job.Total),
		"Failed", strconv.Itoa(job.Failed),
		"Left pending", strconv.Itoa(job.Pending),
	))
	return 0
}
