package command

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/marketsync/marketsync/daemon/client"
)

// JobsCommand lists jobs.
type JobsCommand struct {
	Meta
}

func (c *JobsCommand) Synopsis() string { return "List jobs, newest first" }

func (c *JobsCommand) Help() string {
	return strings.TrimSpace(`
Usage: marketsync jobs [options]

  Lists jobs, newest first, with their progress. Running jobs that are
  paused because their platform refuses calls for now (open circuit
  breaker, rate-limit ban, rejected credentials, failed plugin) follow the
  table with the reason; they resume on their own, or when the platform's
  block is fixed and reloaded.

Jobs Options:

  -state=<state>
    Only jobs in this state: queued, running, succeeded, partial, failed
    or cancelled.

  -platform=<name>
    Only jobs on this platform; a name no platform block has is an error,
    as for stats.

  -limit=<n>
    At most this many jobs, from 1 to 1000 (the agent's default is 50).
    0 is refused, as the API refuses limit=0: there is no "no limit".

` + generalOptions())
}

func (c *JobsCommand) Run(args []string) int {
	var opts client.JobListOptions
	f := c.FlagSet("jobs", true)
	f.Func("state", "", func(s string) error { opts.State = client.JobState(s); return nil })
	f.StringVar(&opts.Platform, "platform", "", "")
	f.IntVar(&opts.Limit, "limit", 0, "")
	_, cl, err := c.connect(f, args, noArgs("jobs"))
	if err != nil {
		return c.exit(err)
	}
	if err := checkLimit(f, opts.Limit); err != nil {
		return c.exit(err)
	}
	list, err := cl.Jobs().List(context.Background(), opts)
	if err != nil {
		return c.exit(err)
	}
	if c.json {
		return c.printJSON(list)
	}
	if len(list) == 0 {
		c.Ui.Output("No jobs")
		return 0
	}
	rows := [][]string{{"ID", "KIND", "PLATFORM", "STATE", "PROGRESS", "SUCCEEDED", "FAILED", "CREATED"}}
	var paused []string
	for _, j := range list {
		if j.PausedReason != "" {
			paused = append(paused, "  "+j.ID+": "+pausedText(&j))
		}
		rows = append(rows, []string{
			j.ID, string(j.Kind), j.Platform, string(j.State), progressText(&j),
			strconv.Itoa(j.Succeeded), strconv.Itoa(j.Failed), clock(j.CreatedAt),
		})
	}
	c.Ui.Output(table(rows))
	if len(paused) > 0 {
		c.Ui.Output("\nPaused")
		c.Ui.Output(strings.Join(paused, "\n"))
	}
	return 0
}

// checkLimit refuses a -limit given outside 1 to the API's maximum, with
// the words of the API's own refusal of that limit.
func checkLimit(f *flag.FlagSet, limit int) error {
	set := false
	f.Visit(func(fl *flag.Flag) { set = set || fl.Name == "limit" })
	if set && (limit < 1 || limit > maxListLimit) {
		return usageError(fmt.Sprintf("limit must be a whole number from 1 to %d, got \"%d\"", maxListLimit, limit))
	}
	return nil
}

// maxListLimit is the API's largest page (api.MaxListLimit).
const maxListLimit = 1000

// pausedText reads "paused: <reason> (until 15:04:05)".
func pausedText(j *client.Job) string {
	return fmt.Sprintf("paused: %s (until %s)", j.PausedReason, clock(j.PausedUntil))
}

// progressText reads "listing "shop:7": 300 ids in 3 pages so far" while
// the job lists its scope, "resolving 40 URLs (10/40)" while it resolves
// the URLs it was given, then "40/100 (40%)".
func progressText(j *client.Job) string {
	switch {
	case j.Listing():
		return listingText(j)
	case j.Resolving():
		return fmt.Sprintf("%s (%d/%d)", resolvingText(j), j.Resolved, j.ToResolve)
	}
	return fmt.Sprintf("%d/%d (%.0f%%)", j.Done(), j.Total, 100*j.Progress())
}

// listingText reads "listing "shop:7": 300 ids in 3 pages so far". The
// plugin protocol gives no listing's total, so there is no "of".
func listingText(j *client.Job) string {
	return fmt.Sprintf("listing %q: %s in %s so far", j.Scope, count(j.Total, "id", "ids"), count(j.ListedPages, "page", "pages"))
}

// resolvingText reads "resolving 40 URLs".
func resolvingText(j *client.Job) string { return "resolving " + count(j.ToResolve, "URL", "URLs") }
