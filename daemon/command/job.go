package command

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/marketsync/marketsync/daemon/client"
)

// JobCommand shows one job and its failed items.
type JobCommand struct {
	Meta
}

func (c *JobCommand) Synopsis() string {
	return "Show a job and its failed items, or follow it to its end"
}

func (c *JobCommand) Help() string {
	return strings.TrimSpace(`
Usage: marketsync job [options] <id>

  Shows a job: its state, times, step (listing the scope it was given, or
  resolving the product page URLs it was given, then collecting),
  counters, why it is paused if it is, and the first failed items with the
  platform's error kind, code and message.

  With -wait it follows the job to its end instead, as collect -wait
  does: progress, a summary, and the exit code of how the job ended:

    0  succeeded: every item succeeded
    1  an error (usage, the agent), or waiting stopped (Ctrl-C, or the
       agent gone for 2 minutes); the job goes on
    2  partial: the job finished and some items failed
    3  failed: every item failed, or the job could not run
    4  cancelled: the job was cancelled before it finished

  A job that already finished is summed up at once, with its exit code.

Job Options:

  -failed=<n>
    List at most this many failed items (default 20; 0 lists none).

  -wait
    Follow the job until it finishes.

` + generalOptions())
}

func (c *JobCommand) Run(args []string) int {
	f := c.FlagSet("job", true)
	failed := f.Int("failed", 20, "")
	wait := f.Bool("wait", false, "")
	rest, cl, err := c.connect(f, args, oneArg("job takes one argument, the job id"))
	if err != nil {
		return c.exit(err)
	}
	if *failed < 0 || *failed > 1000 {
		return c.exit(usageError(fmt.Sprintf("-failed must be from 0 to 1000, got %d", *failed)))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	job, err := cl.Jobs().Info(ctx, rest[0])
	if err != nil {
		return c.exit(err)
	}
	if *wait {
		if !c.json && !job.State.Final() {
			c.Ui.Output(fmt.Sprintf("Job %s %s: %s", job.ID, job.State, jobText(job)))
		}
		return c.waitFor(ctx, cl, job, job.CreatedAt)
	}
	if c.json {
		return c.printJSON(job)
	}
	var elapsed, paused string
	if d := job.Elapsed(time.Now()); d > 0 {
		elapsed = d.Round(time.Millisecond).String()
	}
	if job.PausedReason != "" {
		paused = pausedText(job)
	}
	c.Ui.Output(fields(
		"ID", job.ID,
		"Kind", string(job.Kind),
		"Platform", job.Platform,
		"Scope", job.Scope,
		"State", string(job.State),
		"Created", clock(job.CreatedAt),
		"Started", clock(job.StartedAt),
		"Finished", clock(job.FinishedAt),
		"Elapsed", elapsed,
		"Progress", progressText(job),
		"URLs", resolvedText(job),
		"Succeeded", strconv.Itoa(job.Succeeded),
		"Failed", strconv.Itoa(job.Failed),
		"Pending", strconv.Itoa(job.Pending),
		"Calls", strconv.Itoa(job.Calls),
		"Error", job.Error,
		"Paused", paused,
	))
	if job.Failed == 0 || *failed == 0 {
		return 0
	}
	return c.showFailed(ctx, cl, job, *failed)
}

// resolvedText reads "40 of 40 resolved" for a job given URLs, "" for one
// given ids only.
func resolvedText(j *client.Job) string {
	if j.ToResolve == 0 {
		return ""
	}
	return fmt.Sprintf("%d of %d resolved", j.Resolved, j.ToResolve)
}

// showFailed lists the first n failed items of job.
func (m *Meta) showFailed(ctx context.Context, cl *client.Client, job *client.Job, n int) int {
	page, err := cl.Jobs().Items(ctx, job.ID, client.ItemListOptions{State: client.ItemFailed, Limit: n})
	if err != nil {
		return m.exit(err)
	}
	title := "\nFailed items"
	if len(page.Items) < job.Failed {
		title += " (first " + strconv.Itoa(len(page.Items)) + " of " + strconv.Itoa(job.Failed) + ")"
	}
	m.Ui.Output(title)
	m.Ui.Output(itemsTable(page.Items))
	return 0
}

// itemsTable lays out items with their errors.
func itemsTable(items []client.JobItem) string {
	rows := [][]string{{"INDEX", "ID", "KIND", "CODE", "MESSAGE", "ATTEMPTS"}}
	for _, it := range items {
		kind, code, msg := "-", "-", "-"
		if e := it.Error; e != nil {
			kind, code, msg = e.Kind.String(), orDash(e.Code), orDash(e.Message)
		}
		id := it.ID
		if id == "" {
			// A URL that named no product: the ID column shows it, so
			// the message need not say it again.
			id = it.URL
			msg = strings.NewReplacer(strconv.Quote(it.URL), "the URL", it.URL, "the URL").Replace(msg)
		}
		rows = append(rows, []string{strconv.Itoa(it.Index), id, kind, code, msg, strconv.Itoa(it.Attempts)})
	}
	return table(rows)
}
