package command

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/marketsync/marketsync/daemon/client"
)

// StatsCommand shows what the plugin calls of recent minutes did.
type StatsCommand struct {
	Meta
}

func (c *StatsCommand) Synopsis() string { return "Show plugin call statistics per platform" }

func (c *StatsCommand) Help() string {
	return strings.TrimSpace(`
Usage: marketsync stats [options]

  Shows what the plugin calls of a recent window did, per platform and
  operation and in total: the calls (every attempt counts), the share that
  succeeded and the share the platform refused for its rate limit, the
  retries, the latency quantiles (rate-limit waits excluded) and the failed
  calls by outcome. The window covers the range and the current minute so
  far.

Stats Options:

  -platform=<name>
    Only the calls of this platform.

  -operation=<name>
    Only the calls of this operation: ` + strings.Join(client.StatsOperations, ", ") + `.

  -range=<duration>
    How far back to look, such as 5m, 1h or 24h: from 1m to how long the
    agent keeps stats (24h unless configured). Default: 1h.

` + generalOptions())
}

func (c *StatsCommand) Run(args []string) int {
	var q client.StatsQuery
	f := c.FlagSet("stats", true)
	f.StringVar(&q.Platform, "platform", "", "")
	f.StringVar(&q.Operation, "operation", "", "")
	f.DurationVar(&q.Range, "range", 0, "")
	_, cl, err := c.connect(f, args, noArgs("stats"))
	if err != nil {
		return c.exit(err)
	}
	st, err := cl.Stats().Get(context.Background(), q)
	if err != nil {
		return c.exit(err)
	}
	if c.json {
		return c.printJSON(st)
	}
	c.Ui.Output(fmt.Sprintf("Plugin calls from %s to %s", clock(st.From), clock(st.To)))
	if st.Total.Calls == 0 {
		c.Ui.Output("No calls")
		return 0
	}
	rows := [][]string{{"PLATFORM", "OPERATION", "CALLS", "SUCCESS", "RATE-LIMITED", "RETRIES", "P50", "P95", "P99", "ERRORS"}}
	for _, r := range st.Rows {
		rows = append(rows, statsCells(r))
	}
	total := statsCells(st.Total)
	total[0], total[1] = "total", ""
	c.Ui.Output(table(append(rows, total)))
	return 0
}

func statsCells(r client.StatsRow) []string {
	return []string{
		r.Platform, r.Operation, strconv.FormatInt(r.Calls, 10),
		percent(r.SuccessRate, r.Calls), percent(r.RateLimitedShare, r.Calls), strconv.FormatInt(r.Retries, 10),
		latency(r.Latency.P50, r.Calls), latency(r.Latency.P95, r.Calls), latency(r.Latency.P99, r.Calls),
		errorCounts(r.Errors),
	}
}

// percent reads "98.5%", "100%"; "-" without calls.
func percent(share float64, calls int64) string {
	if calls == 0 {
		return "-"
	}
	return strings.Replace(strconv.FormatFloat(100*share, 'f', 1, 64)+"%", ".0%", "%", 1)
}

// latency reads seconds to three significant digits in the unit that
// suits: "850µs", "12.3ms", "1.23s"; "-" without calls.
func latency(seconds float64, calls int64) string {
	if calls == 0 {
		return "-"
	}
	d := time.Duration(seconds * float64(time.Second))
	unit := time.Duration(1)
	for unit*1000 <= d {
		unit *= 10
	}
	return d.Round(unit).String()
}

// errorCounts reads "unavailable=3 timeout=1", most frequent first; "-"
// when there are none.
func errorCounts(errs map[string]int64) string {
	if len(errs) == 0 {
		return "-"
	}
	names := slices.SortedFunc(maps.Keys(errs), func(a, b string) int {
		return cmp.Or(cmp.Compare(errs[b], errs[a]), cmp.Compare(a, b))
	})
	parts := make([]string, len(names))
	for i, name := range names {
		parts[i] = fmt.Sprintf("%s=%d", name, errs[name])
	}
	return strings.Join(parts, " ")
}
