package command

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
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
	return "Collect products by id, product page URL or whole listing from a platform"
}

func (c *CollectCommand) Help() string {
	return strings.TrimSpace(`
Usage: marketsync collect [options] <platform> <id or URL>...
       marketsync collect [options] <platform> -scope <shop or category>

  Starts a job that fetches the products with the given ids or product
  page URLs from a platform into the catalogue, and prints the job. Each
  id or URL may appear once; one request takes at most 10000; none may
  hold whitespace or control characters. The job first resolves the URLs
  to ids through the platform's plugin: a URL that names no product fails
  alone, and an id and a URL of the same product collect it once.

  With -scope it collects a whole listing instead: the job first pages
  through the platform's listing of that scope (what a scope names is the
  plugin's: see its README), adding the ids of each page, then collects
  them. Platforms give no listing's total, so until the last page the
  progress counts the ids listed so far. A restart of the agent lists on
  from the last page read.

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
    Follow the job until it finishes. If the agent stops meanwhile, the
    job resumes when it is back: -wait keeps trying to reach it for 2
    minutes, then exits 1.

  -scope=<scope>
    Collect the whole listing of this scope (a shop, a seller, a
    category) instead of ids.

  -f=<file>
    Read ids or URLs from a file, one per line (blank lines and lines starting
    with # are skipped); "-" reads standard input. Ids on the command
    line come first.

  -idempotency-key=<key>
    Send the request with this key (up to 255 printable ASCII characters,
    such as a UUID or an order number): run again with the same key and
    the same ids within 24 hours, it prints the job the first run started
    instead of starting another, so a script may retry it safely.

` + generalOptions())
}

func (c *CollectCommand) Run(args []string) int {
	f := c.FlagSet("collect", true)
	wait := f.Bool("wait", false, "")
	file := f.String("f", "", "")
	scope := f.String("scope", "", "")
	key := f.String("idempotency-key", "", "")
	rest, cl, err := c.connect(f, args, func(rest []string) error {
		if len(rest) == 0 {
			return usageError("collect takes a platform and at least one id")
		}
		return nil
	})
	if err != nil {
		return c.exit(err)
	}
	req := client.CollectRequest{Platform: rest[0], IDs: rest[1:], Scope: *scope, IdempotencyKey: *key}
	if *file != "" {
		more, err := c.readIDs(*file)
		if err != nil {
			return c.exit(err)
		}
		req.IDs = append(req.IDs, more...)
	}
	switch {
	case req.Scope != "" && len(req.IDs) > 0:
		return c.exit(usageError("collect takes ids or -scope, not both"))
	case req.Scope == "" && len(req.IDs) == 0:
		return c.exit(usageError("collect takes at least one id after the platform, or -scope"))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	start := time.Now()
	job, err := cl.Jobs().Collect(ctx, req)
	if err != nil {
		return c.exit(err)
	}
	return c.started(ctx, cl, job, start, *wait)
}

// started reports a job just submitted: how to follow it, or, with wait,
// its progress to the end and the exit code of how it ended (waitFor).
func (m *Meta) started(ctx context.Context, cl *client.Client, job *client.Job, start time.Time, wait bool) int {
	if !wait {
		if m.json {
			return m.printJSON(job)
		}
		m.Ui.Output(queuedText(job))
		m.Ui.Output("Follow it with: " + followCommand(job))
		return 0
	}
	if !m.json {
		m.Ui.Output(queuedText(job))
	}
	return m.waitFor(ctx, cl, job, start)
}

// followCommand is the command that follows a job to its end.
func followCommand(job *client.Job) string { return "marketsync job " + job.ID + " -wait" }

// waitFor follows job to its end and reports it as collect -wait does:
// progress, then the summary (or the job as JSON), and the exit code of
// how it ended. start is when the job was submitted.
func (m *Meta) waitFor(ctx context.Context, cl *client.Client, job *client.Job, start time.Time) int {
	job, err := m.follow(ctx, cl, job)
	if errors.Is(err, context.Canceled) {
		m.Ui.Error(fmt.Sprintf("Stopped waiting at %s; job %s goes on. Follow it with: %s", progressText(job), job.ID, followCommand(job)))
		return 1
	}
	if err != nil {
		return m.exit(err)
	}
	code := waitExitCode(job.State)
	if m.json {
		if rc := m.printJSON(job); rc != 0 {
			return rc
		}
		return code
	}
	if rc := m.summary(ctx, cl, job, time.Since(start)); rc != 0 {
		return rc
	}
	return code
}

// queuedText reads "Job <id> queued: collect 4 ids from sandbox", and
// says how many of them are URLs to resolve first, or which listing the
// job collects.
func queuedText(job *client.Job) string {
	return fmt.Sprintf("Job %s queued: %s", job.ID, jobText(job))
}

// jobText says what a job collects: "collect 4 ids from sandbox",
// "collect 1 id from sandbox, resolving 1 URL first", "collect the
// listing "shop:7" from sandbox".
func jobText(job *client.Job) string {
	if job.Kind == client.JobKindSync {
		return syncJobText(job)
	}
	if job.Scope != "" {
		return fmt.Sprintf("collect the listing %q from %s", job.Scope, job.Platform)
	}
	text := fmt.Sprintf("collect %s from %s", count(job.Total, "id", "ids"), job.Platform)
	if job.ToResolve > 0 {
		text += fmt.Sprintf(", %s first", resolvingText(job))
	}
	return text
}

// count reads "1 id" or "4 ids".
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
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
// An agent that stops answering (stopped, restarting) is tried again with
// backoff for Meta.Reconnect, since the job resumes when the agent is
// back.
func (m *Meta) follow(ctx context.Context, cl *client.Client, job *client.Job) (*client.Job, error) {
	show := m.progress(job)
	defer func() { show.close(job.State.Final()) }()
	wait := m.WatchWait
	if wait <= 0 {
		wait = defaultWatchWait
	}
	reason := ""
	var lost time.Time // when the agent stopped answering; zero while it answers
	for tries := 0; !job.State.Final(); {
		next, err := cl.Jobs().Watch(ctx, job.ID, client.WaitOptions{Index: job.Index, Wait: wait})
		if cause := agentGone(err); cause != "" && ctx.Err() == nil {
			if lost.IsZero() {
				lost = time.Now()
				m.Ui.Warn(fmt.Sprintf("Lost the agent at %s (%s). Job %s resumes when the agent is back; waiting for it for up to %s.",
					cl.Address(), cause, job.ID, m.reconnect()))
			}
			if time.Since(lost) >= m.reconnect() {
				return job, fmt.Errorf("the agent at %s has not answered for %s (%s); job %s resumes when it is back: %s",
					cl.Address(), m.reconnect(), cause, job.ID, followCommand(job))
			}
			tries++
			if err := sleep(ctx, min(m.reconnectBackoff(tries), m.reconnect()-time.Since(lost))); err != nil {
				return job, err
			}
			continue
		}
		if err != nil {
			return job, err
		}
		if !lost.IsZero() {
			m.Ui.Warn("The agent is back.")
			lost, tries = time.Time{}, 0
		}
		job = next
		show.update(job)
		if job.PausedReason != reason && !job.State.Final() {
			// Said once per reason, on standard error: the platform
			// refuses calls, often until an operator fixes its block.
			if reason = job.PausedReason; reason != "" {
				m.Ui.Warn("Job " + pausedText(job))
			}
		}
	}
	return job, nil
}

// defaultReconnect is how long -wait keeps trying to reach an agent that
// stopped answering.
const defaultReconnect = 2 * time.Minute

func (m *Meta) reconnect() time.Duration {
	if m.Reconnect > 0 {
		return m.Reconnect
	}
	return defaultReconnect
}

// reconnectBackoff is the wait before the nth try to reach the agent
// again: half a second (less when Reconnect is under 10 seconds),
// doubling, at most 10 seconds.
func (m *Meta) reconnectBackoff(n int) time.Duration {
	base := min(500*time.Millisecond, m.reconnect()/20)
	return min(base<<min(n-1, 5), 10*time.Second)
}

// agentGone says why the agent cannot answer for now: it cannot be
// reached, or it answers 503 (starting, shutting down); "" for any other
// outcome.
func agentGone(err error) string {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		return urlErr.Err.Error()
	}
	var apiErr *client.APIError
	if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusServiceUnavailable {
		return apiErr.Error()
	}
	return ""
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// progressView shows how far a job got. close ends it: a bar is drawn
// full only for a job that finished.
type progressView interface {
	update(j *client.Job)
	close(final bool)
}

// progress returns a bar when stdout is a terminal, plain lines otherwise,
// and nothing for -json.
func (m *Meta) progress(job *client.Job) progressView {
	switch {
	case m.json:
		return quietView{}
	case isTerminal(m.Stdout):
		return newBarView(m.Stdout, job)
	}
	return &lineView{ui: *m, last: *job}
}

type quietView struct{}

func (quietView) update(*client.Job) {}
func (quietView) close(bool)         {}

// barView shows "listing "shop:7"" or "resolving 40 URLs" while the job
// does, then the collect's progress, on one bar of the job's items.
type barView struct {
	bar  *progressbar.ProgressBar
	out  io.Writer
	text string
}

func (v *barView) update(j *client.Job) {
	if text := barText(j); text != v.text {
		v.text = text
		v.bar.Describe(text)
	}
	if j.Total != v.bar.GetMax() {
		v.bar.ChangeMax(j.Total) // a listing grows page by page
	}
	_ = v.bar.Set(j.Done())
}

func barText(j *client.Job) string {
	switch {
	case j.Listing():
		return listingText(j)
	case j.Resolving():
		return resolvingText(j)
	}
	return "collect " + j.Platform
}

func newBarView(w io.Writer, job *client.Job) *barView {
	return &barView{out: w, text: barText(job), bar: progressbar.NewOptions(job.Total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(barText(job)),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("products"),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
	)}
}

// close ends the bar's line: completed for a job that finished, left where
// the job is otherwise (waiting stopped, the job goes on).
func (v *barView) close(final bool) {
	if final {
		_ = v.bar.Finish()
	} else {
		_ = v.bar.Exit()
	}
	fmt.Fprintln(v.out)
}

// lineView prints a line each time the state or the counters change.
type lineView struct {
	ui   Meta
	last client.Job
}

func (v *lineView) update(j *client.Job) {
	if j.State == v.last.State && j.Succeeded == v.last.Succeeded && j.Failed == v.last.Failed &&
		j.Step == v.last.Step && j.Resolved == v.last.Resolved && j.Total == v.last.Total {
		return
	}
	v.last = *j
	v.ui.Ui.Output(fmt.Sprintf("%s: %s, %d succeeded, %d failed", j.State, progressText(j), j.Succeeded, j.Failed))
}

func (v *lineView) close(bool) {}

// summary prints how the job ended. wall is the time since submission, used
// when the job carries no start and finish times.
func (m *Meta) summary(ctx context.Context, cl *client.Client, job *client.Job, wall time.Duration) int {
	elapsed := job.Elapsed(job.FinishedAt)
	if elapsed <= 0 {
		elapsed = wall
	}
	rate := "-"
	if secs := elapsed.Seconds(); secs > 0 {
		rate = fmt.Sprintf("%.1f products/s", float64(job.Succeeded)/secs)
	}
	m.Ui.Output("")
	m.Ui.Output(fmt.Sprintf("Job %s %s", job.ID, job.State))
	m.Ui.Output(fields(
		"Succeeded", fmt.Sprintf("%d of %d", job.Succeeded, job.Total),
		"Failed", fmt.Sprint(job.Failed),
		"Elapsed", elapsed.Round(time.Millisecond).String(),
		"Rate", rate,
		"Error", job.Error,
	))
	if job.Failed == 0 {
		return 0
	}
	if rc := m.showFailed(ctx, cl, job, summaryFailed); rc != 0 {
		return rc
	}
	m.Ui.Output("All failed items: marketsync job " + job.ID)
	return 0
}
