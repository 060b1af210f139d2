package command

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/marketsync/marketsync/daemon/client"
	"github.com/schollz/progressbar/v3"
)

// Exit codes of collect -wait beyond 0 (every item succeeded) and 1 (an
// error: usage, the agent, or waiting stopped): one per way a job ends.
const (
	// exitItemsFailed: the job finished, some items failed (partial).
	exitItemsFailed = 2
	// exitJobFailed: every item failed, or the job could not run.
	exitJobFailed = 3
	// exitJobCancelled: the job was cancelled before it finished.
	exitJobCancelled = 4
)

// waitExitCode is the exit code of -wait for a job that ended in state.
func waitExitCode(state client.JobState) int {
	switch state {
	case client.JobSucceeded:
		return 0
	case client.JobPartial:
		return exitItemsFailed
	case client.JobCancelled:
		return exitJobCancelled
	}
	return exitJobFailed
}

// summaryFailed is how many failed items the summary of collect -wait lists.
const summaryFailed = 5

// CollectCommand starts a collect job and can follow it to its end.
type CollectCommand struct {
	Meta
}

func (c *CollectCommand) Synopsis() string {
	return "Collect products by id or product page URL from a platform"
}

func (c *CollectCommand) Help() string {
	return strings.TrimSpace(`
Usage: marketsync collect [options] <platform> <id or URL>...

  Starts a job that fetches the products with the given ids or product
  page URLs from a platform into the catalogue, and prints the job. Each
  id or URL may appear once; one request takes at most 10000. The job
  first resolves the URLs to ids through the platform's plugin: a URL
  that names no product fails alone, and an id and a URL of the same
  product collect it once.

  With -wait it follows the job to its end, showing progress (a bar when
  the output is a terminal, a line per change otherwise), then prints a
  summary: items succeeded and failed, time taken, products per second,
  and the first failed items with the platform's error. A job paused
  because its platform refuses calls (rejected credentials, a failed
  plugin) shows why, and goes on once the platform's block is fixed and
  reloaded. The exit code says how the job ended:

    0  succeeded: every item succeeded
    1  an error (usage, the agent), or waiting stopped (Ctrl-C); the job
       goes on
    2  partial: the job finished and some items failed
    3  failed: every item failed, or the job could not run
    4  cancelled: the job was cancelled before it finished

Collect Options:

  -wait
    Follow the job until it finishes.

  -f=<file>
    Read ids or URLs from a file, one per line (blank lines and lines starting
    with # are skipped); "-" reads standard input. Ids on the command
    line come first.

` + generalOptions())
}

func (c *CollectCommand) Run(args []string) int {
	f := c.FlagSet("collect", true)
	wait := f.Bool("wait", false, "")
	file := f.String("f", "", "")
	rest, cl, err := c.connect(f, args, func(rest []string) error {
		if len(rest) == 0 {
			return usageError("collect takes a platform and at least one id")
		}
		return nil
	})
	if err != nil {
		return c.exit(err)
	}
	req := client.CollectRequest{Platform: rest[0], IDs: rest[1:]}
	if *file != "" {
		more, err := c.readIDs(*file)
		if err != nil {
			return c.exit(err)
		}
		req.IDs = append(req.IDs, more...)
	}
	if len(req.IDs) == 0 {
		return c.exit(usageError("collect takes at least one id after the platform"))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	start := time.Now()
	job, err := cl.Jobs().Collect(ctx, req)
	if err != nil {
		return c.exit(err)
	}
	if !*wait {
		if c.json {
			return c.printJSON(job)
		}
		c.Ui.Output(queuedText(job))
		c.Ui.Output("Follow it with: marketsync job " + job.ID)
		return 0
	}
	if !c.json {
		c.Ui.Output(queuedText(job))
	}
	job, err = c.follow(ctx, cl, job)
	if errors.Is(err, context.Canceled) {
		c.Ui.Error(fmt.Sprintf("Stopped waiting; job %s goes on. Follow it with: marketsync job %s", job.ID, job.ID))
		return 1
	}
	if err != nil {
		return c.exit(err)
	}
	code := waitExitCode(job.State)
	if c.json {
		if rc := c.printJSON(job); rc != 0 {
			return rc
		}
		return code
	}
	if rc := c.summary(ctx, cl, job, time.Since(start)); rc != 0 {
		return rc
	}
	return code
}

// queuedText reads "Job <id> queued: collect 4 ids from sandbox", and
// says how many of them are URLs to resolve first.
func queuedText(job *client.Job) string {
	text := fmt.Sprintf("Job %s queued: collect %d ids from %s", job.ID, job.Total, job.Platform)
	if job.ToResolve > 0 {
		text += fmt.Sprintf(", %s first", resolvingText(job))
	}
	return text
}

// readIDs reads ids one per line from path, or standard input for "-".
func (c *CollectCommand) readIDs(path string) ([]string, error) {
	var r io.Reader = c.Stdin
	if r == nil {
		r = os.Stdin
	}
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	var ids []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line != "" && !strings.HasPrefix(line, "#") {
			ids = append(ids, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read ids from %s: %w", path, err)
	}
	return ids, nil
}

// follow watches job until it is final, showing its progress: each
// request is a blocking query that the agent answers when the job changes.
func (c *CollectCommand) follow(ctx context.Context, cl *client.Client, job *client.Job) (*client.Job, error) {
	show := c.progress(job)
	defer show.close()
	wait := c.WatchWait
	if wait <= 0 {
		wait = defaultWatchWait
	}
	reason := ""
	for !job.State.Final() {
		next, err := cl.Jobs().Watch(ctx, job.ID, client.WaitOptions{Index: job.Index, Wait: wait})
		if err != nil {
			return job, err
		}
		job = next
		show.update(job)
		if job.PausedReason != reason && !job.State.Final() {
			// Said once per reason, on standard error: the platform
			// refuses calls, often until an operator fixes its block.
			if reason = job.PausedReason; reason != "" {
				c.Ui.Warn("Job " + pausedText(job))
			}
		}
	}
	return job, nil
}

// progressView shows how far a job got.
type progressView interface {
	update(j *client.Job)
	close()
}

// progress returns a bar when stdout is a terminal, plain lines otherwise,
// and nothing for -json.
func (c *CollectCommand) progress(job *client.Job) progressView {
	switch {
	case c.json:
		return quietView{}
	case isTerminal(c.Stdout):
		return newBarView(c.Stdout, job)
	}
	return &lineView{ui: c.Meta, last: *job}
}

type quietView struct{}

func (quietView) update(*client.Job) {}
func (quietView) close()             {}

// barView shows "resolving 40 URLs" while the job resolves, then the
// collect's progress, on one bar of the job's items.
type barView struct {
	bar       *progressbar.ProgressBar
	out       io.Writer
	resolving bool
}

func (v *barView) update(j *client.Job) {
	if v.resolving != j.Resolving() {
		v.resolving = j.Resolving()
		v.bar.Describe(barText(j))
	}
	_ = v.bar.Set(j.Done())
}

func barText(j *client.Job) string {
	if j.Resolving() {
		return resolvingText(j)
	}
	return "collect " + j.Platform
}

func newBarView(w io.Writer, job *client.Job) *barView {
	return &barView{out: w, resolving: job.Resolving(), bar: progressbar.NewOptions(job.Total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(barText(job)),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("products"),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
	)}
}

// close completes the bar and ends its line.
func (v *barView) close() {
	_ = v.bar.Finish()
	fmt.Fprintln(v.out)
}

// lineView prints a line each time the state or the counters change.
type lineView struct {
	ui   Meta
	last client.Job
}

func (v *lineView) update(j *client.Job) {
	if j.State == v.last.State && j.Succeeded == v.last.Succeeded && j.Failed == v.last.Failed &&
		j.Step == v.last.Step && j.Resolved == v.last.Resolved {
		return
	}
	v.last = *j
	v.ui.Ui.Output(fmt.Sprintf("%s: %s, %d succeeded, %d failed", j.State, progressText(j), j.Succeeded, j.Failed))
}

func (v *lineView) close() {}

// summary prints how the job ended. wall is the time since submission, used
// when the job carries no start and finish times.
func (c *CollectCommand) summary(ctx context.Context, cl *client.Client, job *client.Job, wall time.Duration) int {
	elapsed := job.Elapsed(job.FinishedAt)
	if elapsed <= 0 {
		elapsed = wall
	}
	rate := "-"
	if secs := elapsed.Seconds(); secs > 0 {
		rate = fmt.Sprintf("%.1f products/s", float64(job.Succeeded)/secs)
	}
	c.Ui.Output("")
	c.Ui.Output(fmt.Sprintf("Job %s %s", job.ID, job.State))
	c.Ui.Output(fields(
		"Succeeded", fmt.Sprintf("%d of %d", job.Succeeded, job.Total),
		"Failed", fmt.Sprint(job.Failed),
		"Elapsed", elapsed.Round(time.Millisecond).String(),
		"Rate", rate,
		"Error", job.Error,
	))
	if job.Failed == 0 {
		return 0
	}
	if rc := c.showFailed(ctx, cl, job, summaryFailed); rc != 0 {
		return rc
	}
	c.Ui.Output("All failed items: marketsync job " + job.ID)
	return 0
}
