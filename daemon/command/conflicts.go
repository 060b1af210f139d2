package command

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/hashicorp/cli"
	"github.com/marketsync/marketsync/daemon/client"
)

// ConflictsCommand is the parent of the conflict commands.
type ConflictsCommand struct{ Meta }

func (c *ConflictsCommand) Synopsis() string { return "List, show and resolve sync conflicts" }

func (c *ConflictsCommand) Help() string {
	return strings.TrimSpace(`
Usage: marketsync conflicts <subcommand> [options] [args]

  A field changed both at the source and in the store since the last sync,
  under a pipeline whose strategy for it is manual, waits here for a
  person; the rest of its product syncs meanwhile.

Subcommands:
    list       List the conflicts (open ones by default)
    show       Show one conflict with its three values
    resolve    Settle one: take the source's value, the store's, or a value
`)
}

func (c *ConflictsCommand) Run([]string) int { return cli.RunResultHelp }

// ConflictsListCommand lists conflicts.
type ConflictsListCommand struct{ Meta }

func (c *ConflictsListCommand) Synopsis() string { return "List sync conflicts" }

func (c *ConflictsListCommand) Help() string {
	return strings.TrimSpace(`
Usage: marketsync conflicts list [options]

  Lists the conflicts waiting for a decision, oldest first.

Conflicts List Options:

  -state=<open|resolved|all>
    Which conflicts to list (default open).

` + generalOptions())
}

func (c *ConflictsListCommand) Run(args []string) int {
	f := c.FlagSet("conflicts list", true)
	state := f.String("state", "open", "")
	_, cl, err := c.connect(f, args, noArgs("conflicts list"))
	if err != nil {
		return c.exit(err)
	}
	switch *state {
	case "open", "resolved":
	case "all":
		*state = ""
	default:
		return c.exit(usageError(fmt.Sprintf("-state must be open, resolved or all, not %q", *state)))
	}
	list, err := cl.Conflicts().List(context.Background(), *state)
	if err != nil {
		return c.exit(err)
	}
	if c.json {
		return c.printJSON(list)
	}
	if len(list) == 0 {
		c.Ui.Output("No conflicts.")
		return 0
	}
	rows := [][]string{{"ID", "PIPELINE", "PRODUCT", "FIELD", "SOURCE", "REMOTE", "STATE"}}
	for _, x := range list {
		rows = append(rows, []string{x.ID, x.Pipeline, x.SourcePlatform + ":" + x.SourceID, x.Field, short(x.Source), short(x.Remote), x.State})
	}
	c.Ui.Output(table(rows))
	return 0
}

// ConflictsShowCommand shows one conflict.
type ConflictsShowCommand struct{ Meta }

func (c *ConflictsShowCommand) Synopsis() string { return "Show a sync conflict" }

func (c *ConflictsShowCommand) Help() string {
	return strings.TrimSpace(`
Usage: marketsync conflicts show [options] <id>

  Shows a conflict: the product, the field, its value when last synced
  (base), at the source and in the store, and how it was resolved.

` + generalOptions())
}

func (c *ConflictsShowCommand) Run(args []string) int {
	rest, cl, err := c.connect(c.FlagSet("conflicts show", true), args, oneArg("conflicts show takes one argument, the conflict's id"))
	if err != nil {
		return c.exit(err)
	}
	x, err := cl.Conflicts().Get(context.Background(), rest[0])
	if err != nil {
		return c.exit(err)
	}
	if c.json {
		return c.printJSON(x)
	}
	c.Ui.Output(formatConflict(x))
	return 0
}

func formatConflict(x *client.Conflict) string {
	pairs := []string{
		"Pipeline", x.Pipeline,
		"Product", x.SourcePlatform + ":" + x.SourceID,
		"Store product", x.Target + ":" + x.RemoteID,
		"Field", x.Field,
		"Base", orDash(x.Base),
		"Source", orDash(x.Source),
		"Remote", orDash(x.Remote),
		"State", x.State,
		"Detected", clock(x.DetectedAt),
	}
	if x.State == "resolved" {
		applied := "not yet: at the product's next sync"
		if x.Applied {
			applied = "yes"
		}
		pairs = append(pairs, "Resolved", clock(x.ResolvedAt), "Take", x.Take, "Value", orDash(x.Value), "Applied", applied)
	}
	return "Conflict " + x.ID + "\n" + fields(pairs...)
}

// ConflictsResolveCommand settles a conflict.
type ConflictsResolveCommand struct{ Meta }

func (c *ConflictsResolveCommand) Synopsis() string { return "Resolve a sync conflict" }

func (c *ConflictsResolveCommand) Help() string {
	return strings.TrimSpace(`
Usage: marketsync conflicts resolve [options] -take=<source|remote|value> [-value=<v>] <id>

  Settles a conflict and syncs its product again to write the value
  chosen: the source's, the store's (nothing is written), or the one given
  with -value (a price as "12.99 USD", a stock as a whole number, text as
  it is). The decision is recorded in the product's history.

Conflicts Resolve Options:

  -take=<source|remote|value>
    Which value wins.

  -value=<v>
    The value, with -take=value.

` + generalOptions())
}

func (c *ConflictsResolveCommand) Run(args []string) int {
	f := c.FlagSet("conflicts resolve", true)
	take := f.String("take", "", "")
	value := f.String("value", "", "")
	rest, cl, err := c.connect(f, args, oneArg("conflicts resolve takes one argument, the conflict's id"))
	if err != nil {
		return c.exit(err)
	}
	if err := checkTake(f, *take, *value); err != nil {
		return c.exit(err)
	}
	x, err := cl.Conflicts().Resolve(context.Background(), rest[0], client.ConflictResolution{Take: *take, Value: *value})
	if err != nil {
		return c.exit(err)
	}
	if c.json {
		return c.printJSON(x)
	}
	c.Ui.Output(fmt.Sprintf("Conflict %s resolved: %s takes %q; its product syncs again to write it.", x.ID, x.Field, chosen(x)))
	return 0
}

func checkTake(_ *flag.FlagSet, take, value string) error {
	switch {
	case take != "source" && take != "remote" && take != "value":
		return usageError("-take must be source, remote or value")
	case take == "value" && value == "":
		return usageError("-take=value needs -value")
	case take != "value" && value != "":
		return usageError("-value goes with -take=value only")
	}
	return nil
}

func chosen(x *client.Conflict) string {
	switch x.Take {
	case "source":
		return x.Source
	case "value":
		return x.Value
	}
	return x.Remote
}
