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

	"github.com/hashicorp/cli"
	"github.com/marketsync/marketsync/daemon/client"
)

// AlertsCommand lists the alerts and how the receivers are doing.
type AlertsCommand struct {
	Meta
}

func (c *AlertsCommand) Synopsis() string { return "List alerts and receivers" }

func (c *AlertsCommand) Help() string {
	return strings.TrimSpace(`
Usage: marketsync alerts [options]
       marketsync alerts history [options]
       marketsync alerts test <receiver>

  Lists the alerts that are pending, firing or lately resolved, each with
  its labels, value and since when, and whether a silence or an inhibition
  mutes it; then the receivers with the notifications they sent, the ones
  that failed (retries spent) or were retried, and their last error.

` + generalOptions())
}

func (c *AlertsCommand) Run(args []string) int {
	f := c.FlagSet("alerts", true)
	_, cl, err := c.connect(f, args, noArgs("alerts"))
	if err != nil {
		return c.exit(err)
	}
	out, err := cl.Alerts().List(context.Background())
	if err != nil {
		return c.exit(err)
	}
	if c.json {
		return c.printJSON(out)
	}
	if len(out.Alerts) == 0 {
		c.Ui.Output("No alerts")
	} else {
		rows := [][]string{{"STATE", "RULE", "LABELS", "VALUE", "SINCE", "MUTED"}}
		for _, a := range out.Alerts {
			muted := ""
			switch {
			case len(a.SilencedBy) > 0:
				muted = "silenced by " + strings.Join(a.SilencedBy, ",")
			case a.Inhibited:
				muted = "inhibited"
			}
			rows = append(rows, []string{a.State, a.Rule, labelText(a.Labels), strconv.FormatFloat(a.Value, 'g', 4, 64), clock(a.ActiveAt), muted})
		}
		c.Ui.Output(table(rows))
	}
	if len(out.Receivers) > 0 {
		c.Ui.Output("")
		rows := [][]string{{"RECEIVER", "KIND", "SENT", "FAILED", "RETRIED", "MERGED", "LAST ERROR"}}
		for _, r := range out.Receivers {
			last := ""
			if r.LastError != "" {
				last = clock(r.LastErrorAt) + " " + r.LastError
			}
			rows = append(rows, []string{r.Name, r.Kind, strconv.Itoa(r.Sent), strconv.Itoa(r.Failed), strconv.Itoa(r.Retried), strconv.Itoa(r.Merged), last})
		}
		c.Ui.Output(table(rows))
	}
	return 0
}

// labelText writes labels as k=v, without the alert's name and severity.
func labelText(l map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(l)) {
		if k != "alertname" {
			parts = append(parts, k+"="+l[k])
		}
	}
	return strings.Join(parts, " ")
}

// AlertsHistoryCommand lists recent alert state changes.
type AlertsHistoryCommand struct {
	Meta
}

func (c *AlertsHistoryCommand) Synopsis() string { return "List recent alert state changes" }

func (c *AlertsHistoryCommand) Help() string {
	return strings.TrimSpace(`
Usage: marketsync alerts history [options]

  Lists the alerts' state changes, newest first (kept 7 days).

History Options:

  -limit=<n>
    How many changes to show (default 100, at most 1000).

` + generalOptions())
}

func (c *AlertsHistoryCommand) Run(args []string) int {
	f := c.FlagSet("alerts history", true)
	limit := f.Int("limit", 0, "")
	_, cl, err := c.connect(f, args, noArgs("alerts history"))
	if err != nil {
		return c.exit(err)
	}
	out, err := cl.Alerts().History(context.Background(), *limit)
	if err != nil {
		return c.exit(err)
	}
	if c.json {
		return c.printJSON(out)
	}
	if len(out) == 0 {
		c.Ui.Output("No alert history")
		return 0
	}
	rows := [][]string{{"AT", "RULE", "LABELS", "FROM", "TO", "VALUE"}}
	for _, e := range out {
		rows = append(rows, []string{clock(e.At), e.Rule, labelText(e.Labels), cmp.Or(e.From, "inactive"), e.To, strconv.FormatFloat(e.Value, 'g', 4, 64)})
	}
	c.Ui.Output(table(rows))
	return 0
}

// AlertsTestCommand sends a test message to a receiver.
type AlertsTestCommand struct {
	Meta
}

func (c *AlertsTestCommand) Synopsis() string { return "Send a test message to a receiver" }

func (c *AlertsTestCommand) Help() string {
	return strings.TrimSpace(`
Usage: marketsync alerts test [options] <receiver>

  Sends a test message to the receiver block of that name and prints what
  the platform answered (for DingTalk, WeCom and Feishu their JSON answer,
  errcode and errmsg included). Exits 1 when the platform refused it.

` + generalOptions())
}

func (c *AlertsTestCommand) Run(args []string) int {
	f := c.FlagSet("alerts test", true)
	rest, cl, err := c.connect(f, args, oneArg("alerts test takes one argument, the receiver's name"))
	if err != nil {
		return c.exit(err)
	}
	out, err := cl.Alerts().TestReceiver(context.Background(), rest[0])
	if err != nil {
		return c.exit(err)
	}
	if c.json {
		c.printJSON(out)
	} else {
		if out.Status != 0 {
			c.Ui.Output(fmt.Sprintf("HTTP %d", out.Status))
		}
		c.Ui.Output(out.Answer)
	}
	if !out.OK {
		c.Ui.Error("Error: " + out.Error)
		return 1
	}
	return 0
}

// SilenceCommand groups the silence subcommands.
type SilenceCommand struct {
	Meta
}

func (c *SilenceCommand) Synopsis() string { return "Add, list and expire silences" }

func (c *SilenceCommand) Help() string {
	return strings.TrimSpace(`
Usage: marketsync silence <subcommand> [options] [args]

  Silences mute the alerts their matchers select for a while:

      $ marketsync silence add -author ops -comment "Taobao maintenance" -duration 2h \
          alertname=platform-error-rate 'platform=~taobao.*'
      $ marketsync silence list
      $ marketsync silence expire <id>`)
}

func (c *SilenceCommand) Run([]string) int { return cli.RunResultHelp }

// SilenceAddCommand creates a silence.
type SilenceAddCommand struct {
	Meta
}

func (c *SilenceAddCommand) Synopsis() string { return "Mute the alerts that match" }

func (c *SilenceAddCommand) Help() string {
	return strings.TrimSpace(`
Usage: marketsync silence add [options] <matcher>...

  Mutes the alerts that every matcher selects: label=value, label!=value,
  label=~regexp or label!~regexp (regular expressions match whole values).

Silence Options:

  -author=<name>
    Who adds it (required).

  -comment=<text>
    Why (required).

  -duration=<duration>
    How long it lasts, such as 2h (default 1h).

` + generalOptions())
}

func (c *SilenceAddCommand) Run(args []string) int {
	f := c.FlagSet("silence add", true)
	var req client.SilenceRequest
	f.StringVar(&req.Author, "author", "", "")
	f.StringVar(&req.Comment, "comment", "", "")
	f.StringVar(&req.Duration, "duration", "1h", "")
	rest, cl, err := c.connect(f, args, func(rest []string) error {
		if len(rest) == 0 {
			return usageError("silence add takes at least one matcher, such as alertname=platform-error-rate")
		}
		return nil
	})
	if err != nil {
		return c.exit(err)
	}
	req.Matchers = rest
	out, err := cl.Alerts().AddSilence(context.Background(), req)
	if err != nil {
		return c.exit(err)
	}
	if c.json {
		return c.printJSON(out)
	}
	c.Ui.Output(fmt.Sprintf("Silence %s mutes %s until %s", out.ID, strings.Join(out.Matchers, " "), out.EndsAt.Local().Format(time.DateTime)))
	return 0
}

// SilenceListCommand lists the silences.
type SilenceListCommand struct {
	Meta
}

func (c *SilenceListCommand) Synopsis() string { return "List silences" }

func (c *SilenceListCommand) Help() string {
	return strings.TrimSpace(`
Usage: marketsync silence list [options]

  Lists the silences, newest first: pending, active, and expired ones for a
  day after they ended.

` + generalOptions())
}

func (c *SilenceListCommand) Run(args []string) int {
	f := c.FlagSet("silence list", true)
	_, cl, err := c.connect(f, args, noArgs("silence list"))
	if err != nil {
		return c.exit(err)
	}
	out, err := cl.Alerts().Silences(context.Background())
	if err != nil {
		return c.exit(err)
	}
	if c.json {
		return c.printJSON(out)
	}
	if len(out) == 0 {
		c.Ui.Output("No silences")
		return 0
	}
	rows := [][]string{{"ID", "STATE", "MATCHERS", "ENDS", "AUTHOR", "COMMENT"}}
	for _, s := range out {
		rows = append(rows, []string{s.ID, s.State, strings.Join(s.Matchers, " "), clock(s.EndsAt), s.Author, s.Comment})
	}
	c.Ui.Output(table(rows))
	return 0
}

// SilenceExpireCommand ends a silence now.
type SilenceExpireCommand struct {
	Meta
}

func (c *SilenceExpireCommand) Synopsis() string { return "End a silence now" }

func (c *SilenceExpireCommand) Help() string {
	return strings.TrimSpace(`
Usage: marketsync silence expire [options] <id>

  Ends the silence now; the alerts it muted notify again.

` + generalOptions())
}

func (c *SilenceExpireCommand) Run(args []string) int {
	f := c.FlagSet("silence expire", true)
	rest, cl, err := c.connect(f, args, oneArg("silence expire takes one argument, the silence's id"))
	if err != nil {
		return c.exit(err)
	}
	out, err := cl.Alerts().ExpireSilence(context.Background(), rest[0])
	if err != nil {
		return c.exit(err)
	}
	if c.json {
		return c.printJSON(out)
	}
	c.Ui.Output("Silence " + out.ID + " expired")
	return 0
}
