package command

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/marketsync/marketsync/daemon/client"
)

// PlatformsCommand lists the configured platforms and their actors' state.
type PlatformsCommand struct {
	Meta
}

func (c *PlatformsCommand) Synopsis() string { return "List platforms and their limits and load" }

func (c *PlatformsCommand) Help() string {
	return strings.TrimSpace(`
Usage: marketsync platforms [options]

  Lists every configured platform: the plugin serving it and its version,
  its state, what it can do, the rate limit in force (requests per second /
  burst), calls in flight (of the concurrency allowed) and queued, and how
  often its plugin was restarted. Platforms out of service follow the
  table with why: an unauthorized one (the platform rejected its
  credentials) with the settings to check and the platform's message, a
  failed one (its plugin kept crashing, or refused its config) with what
  happened and when it is tried again; fix the platform block and reload
  the agent (marketsync agent reload, or SIGHUP). The last error of each
  platform comes last.

` + generalOptions())
}

func (c *PlatformsCommand) Run(args []string) int {
	_, cl, err := c.connect(c.FlagSet("platforms", true), args, noArgs("platforms"))
	if err != nil {
		return c.exit(err)
	}
	list, err := cl.Platforms().List(context.Background())
	if err != nil {
		return c.exit(err)
	}
	if c.json {
		return c.printJSON(list)
	}
	if len(list) == 0 {
		c.Ui.Output("No platforms configured")
		return 0
	}
	rows := [][]string{{"NAME", "PLUGIN", "VERSION", "STATE", "CAPABILITIES", "RATE/BURST", "IN-FLIGHT", "QUEUED", "BREAKER", "RESTARTS"}}
	var errs, down []string
	for _, p := range list {
		if p.Reason != "" {
			down = append(down, outOfService(p))
		}
		rows = append(rows, []string{
			p.Name, p.Plugin, orDash(p.Version), string(p.State), orDash(strings.Join(p.Capabilities, ",")),
			rateText(p),
			fmt.Sprintf("%d/%d", p.InFlight, p.Concurrency), strconv.Itoa(p.Queued), orDash(p.Breaker), strconv.Itoa(p.Restarts),
		})
		if p.LastError != "" {
			errs = append(errs, lastError(p))
		}
	}
	c.Ui.Output(table(rows))
	if len(down) > 0 {
		c.Ui.Output("\nOut of service")
		c.Ui.Output(strings.Join(down, "\n"))
	}
	if len(errs) > 0 {
		c.Ui.Output("\nLast errors")
		c.Ui.Output(strings.Join(errs, "\n"))
	}
	return 0
}

// rateText is the limiter's rate and burst; an adaptive rate that has
// come down from its ceiling shows the ceiling too ("20.0/10 of 100").
func rateText(p client.Platform) string {
	num := func(f float64) string {
		if f == float64(int64(f)) {
			return strconv.FormatInt(int64(f), 10)
		}
		return strconv.FormatFloat(f, 'f', 1, 64)
	}
	s := num(p.Rate) + "/" + strconv.Itoa(p.Burst)
	if p.Adaptive && p.ConfiguredRate > 0 && p.Rate < p.ConfiguredRate {
		s += " of " + num(p.ConfiguredRate)
	}
	return s
}

func lastError(p client.Platform) string {
	if p.LastErrorAt.IsZero() {
		return fmt.Sprintf("  %s: %s", p.Name, p.LastError)
	}
	return fmt.Sprintf("  %s (%s): %s", p.Name, clock(p.LastErrorAt), p.LastError)
}

// outOfService says why a failed or unauthorized platform refuses calls
// and what happens next.
func outOfService(p client.Platform) string {
	next := "fix the platform block and reload"
	if !p.RetryAt.IsZero() {
		next = "its plugin is tried again at " + clock(p.RetryAt)
	}
	return fmt.Sprintf("  %s (%s): %s; %s", p.Name, p.State, p.Reason, next)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
