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

  Lists every configured platform, one row each:

    NAME          the platform block's name, used by collect, jobs, stats
    PLUGIN        the plugin serving it
    VERSION       the plugin's version ("-" until it has started)
    STATE         starting, ready, restarting (its plugin crashed and is
                  started again), unauthorized (the platform rejected its
                  credentials), failed (its plugin kept crashing or refused
                  its config), stopping
    CAPABILITIES  what its plugin does: collect (a source marketplace),
                  publish (a store)
    RATE/BURST    the rate limit in force, in calls per second, and the
                  burst of its token bucket; an adaptive rate that came
                  down from its ceiling shows the ceiling too ("20/10 of
                  100")
    IN-FLIGHT     calls running now, of the concurrency allowed
    QUEUED        calls waiting for a token or a free slot
    BREAKER       its circuit breaker: closed (calls go through), open
                  (calls fail fast for a while after repeated failures),
                  half-open (a few trial calls go through)
    RESTARTS      how often its plugin was restarted

  Platforms out of service follow the table under "Out of service", with
  why: an unauthorized one with the settings to check and the platform's
  message, a failed one with what happened and when its plugin is tried
  again; fix the platform block and reload the agent's config (send the
  agent SIGHUP: kill -HUP <pid>). The last error of each platform comes last, under
  "Last errors".

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
