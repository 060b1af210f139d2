package command

import (
	"context"
	"strings"

	"github.com/marketsync/marketsync/daemon/client"
)

// BindingsCommand shows where a product is listed.
type BindingsCommand struct{ Meta }

func (c *BindingsCommand) Synopsis() string { return "Show the store products a product is bound to" }

func (c *BindingsCommand) Help() string {
	return strings.TrimSpace(`
Usage: marketsync bindings [options] <platform:id | id>

  Shows, for each sync pipeline that reads the product's platform, the
  store product it is bound to, its variants by SKU and when it was last
  synced. A bare id works when a single platform has it.

` + generalOptions())
}

func (c *BindingsCommand) Run(args []string) int {
	rest, cl, err := c.connect(c.FlagSet("bindings", true), args, oneArg("bindings takes one argument, platform:id or a bare id"))
	if err != nil {
		return c.exit(err)
	}
	ctx := context.Background()
	platform, id, err := sourceProduct(ctx, cl, rest[0])
	if err != nil {
		return c.exit(err)
	}
	list, err := cl.Sync().Bindings(ctx, platform, id)
	if err != nil {
		return c.exit(err)
	}
	if c.json {
		return c.printJSON(list)
	}
	if len(list) == 0 {
		c.Ui.Output("Product " + platform + ":" + id + " is not bound to any store yet.")
		return 0
	}
	rows := [][]string{{"PIPELINE", "TARGET", "REMOTE ID", "VARIANTS", "SYNCED"}}
	for _, b := range list {
		rows = append(rows, []string{orDash(b.Pipeline), b.Target, b.RemoteID, count(len(b.Variants), "SKU", "SKUs"), clock(b.SyncedAt)})
	}
	c.Ui.Output(table(rows))
	return 0
}

// sourceProduct turns "platform:id" or a bare id into the catalogue's
// platform and id, asking the agent which platform has a bare id.
func sourceProduct(ctx context.Context, cl *client.Client, ref string) (string, string, error) {
	p, err := cl.Products().Info(ctx, ref)
	if err != nil {
		return "", "", err
	}
	return p.Platform, p.ID, nil
}

// history prints the decisions recorded for a product.
func (c *ProductCommand) history(ctx context.Context, cl *client.Client, ref string) int {
	platform, id, err := sourceProduct(ctx, cl, ref)
	if err != nil {
		return c.exit(err)
	}
	list, err := cl.Sync().History(ctx, platform, id)
	if err != nil {
		return c.exit(err)
	}
	if c.json {
		return c.printJSON(list)
	}
	if len(list) == 0 {
		c.Ui.Output("No sync decisions recorded for " + platform + ":" + id + ".")
		return 0
	}
	rows := [][]string{{"AT", "PIPELINE", "FIELD", "BASE", "SOURCE", "REMOTE", "CHOSEN", "RULE", "PUSHED"}}
	for _, d := range list {
		pushed := "no"
		if d.Pushed {
			pushed = "yes"
		}
		rows = append(rows, []string{clock(d.At), d.Pipeline, d.Field, orDash(short(d.Base)), orDash(short(d.Source)), orDash(short(d.Remote)), orDash(short(d.Chosen)), d.Rule, pushed})
	}
	c.Ui.Output(table(rows))
	return 0
}

// short cuts a value to one line of at most 40 characters for a table.
func short(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if r := []rune(s); len(r) > 40 {
		return string(r[:39]) + "…"
	}
	return s
}
