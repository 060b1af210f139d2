package command

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/marketsync/marketsync/daemon/client"
)

// ProductsCommand lists or exports the catalogue.
type ProductsCommand struct {
	Meta
}

func (c *ProductsCommand) Synopsis() string { return "List or export the products of the catalogue" }

func (c *ProductsCommand) Help() string {
	return strings.TrimSpace(`
Usage: marketsync products [options]

  Lists the collected products of the catalogue, by platform then id, a
  page at a time: the platform block, the id, a title, the number of
  variants and when the product was collected. When there are more, the
  last line gives the command for the next page.

  With -jsonl it exports the whole catalogue (or one platform's part of
  it) instead: every product, page after page, one JSON object per line,
  as GET /v1/products/{id} answers it.

Products Options:

  -platform=<name>
    Only the products of this platform block; a name no platform block
    has is an error.

  -limit=<n>
    Products per page, from 1 to 1000 (the agent's default is 100).

  -cursor=<cursor>
    Start after the page that gave this cursor.

  -jsonl
    Print every product as one JSON object a line, following every page.

` + generalOptions())
}

func (c *ProductsCommand) Run(args []string) int {
	var opts client.ProductListOptions
	f := c.FlagSet("products", true)
	f.StringVar(&opts.Platform, "platform", "", "")
	f.StringVar(&opts.Cursor, "cursor", "", "")
	f.IntVar(&opts.Limit, "limit", 0, "")
	jsonl := f.Bool("jsonl", false, "")
	_, cl, err := c.connect(f, args, noArgs("products"))
	if err != nil {
		return c.exit(err)
	}
	if err := checkLimit(f, opts.Limit); err != nil {
		return c.exit(err)
	}
	if *jsonl && c.json {
		return c.exit(usageError("give -json (one page as an object) or -jsonl (every product, a line each), not both"))
	}
	ctx := context.Background()
	if *jsonl {
		err := cl.Products().Each(ctx, opts, func(p client.Product) error {
			b, err := json.Marshal(p)
			if err != nil {
				return err
			}
			c.Ui.Output(string(b))
			return nil
		})
		if err != nil {
			return c.exit(err)
		}
		return 0
	}
	page, err := cl.Products().List(ctx, opts)
	if err != nil {
		return c.exit(err)
	}
	if c.json {
		return c.printJSON(page)
	}
	if len(page.Products) == 0 {
		c.Ui.Output("No products")
		return 0
	}
	rows := [][]string{{"PLATFORM", "ID", "TITLE", "VARIANTS", "COLLECTED"}}
	for _, p := range page.Products {
		rows = append(rows, []string{p.Platform, p.ID, orDash(title(p.Title)), strconv.Itoa(len(p.Variants)), clock(p.CollectedAt)})
	}
	c.Ui.Output(table(rows))
	if page.Next != "" {
		next := "marketsync products -cursor " + page.Next
		if opts.Platform != "" {
			next += " -platform " + opts.Platform
		}
		if opts.Limit != 0 {
			next += fmt.Sprintf(" -limit %d", opts.Limit)
		}
		c.Ui.Output("\nNext page: " + next)
	}
	return 0
}

// title picks the first line of the English title, else of the first by
// locale.
func title(texts map[string]string) string {
	t, ok := texts["en"]
	if locs := slices.Sorted(maps.Keys(texts)); !ok && len(locs) > 0 {
		t = texts[locs[0]]
	}
	t, _, _ = strings.Cut(strings.TrimSpace(t), "\n")
	return t
}
