package command

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/marketsync/marketsync/daemon/client"
)

// ProductCommand shows one product of the catalogue.
type ProductCommand struct {
	Meta
}

func (c *ProductCommand) Synopsis() string { return "Show a product of the catalogue" }

func (c *ProductCommand) Help() string {
	return strings.TrimSpace(`
Usage: marketsync product [options] <platform:id | id>

  Shows a collected product: its titles and descriptions per language,
  attributes, variants with options, price and stock, and images. A bare
  id works when a single platform has it.

Product Options:

  -history
    Show instead every sync decision recorded for the product: each
    field's base, source and store values, the value chosen and the rule
    that chose it.

` + generalOptions())
}

func (c *ProductCommand) Run(args []string) int {
	f := c.FlagSet("product", true)
	history := f.Bool("history", false, "")
	rest, cl, err := c.connect(f, args, oneArg("product takes one argument, platform:id or a bare id"))
	if err != nil {
		return c.exit(err)
	}
	if *history {
		return c.history(context.Background(), cl, rest[0])
	}
	p, err := cl.Products().Info(context.Background(), rest[0])
	if err != nil {
		return c.exit(err)
	}
	if c.json {
		return c.printJSON(p)
	}
	c.Ui.Output(formatProduct(p))
	return 0
}

// formatProduct renders p for people, section by section.
func formatProduct(p *client.Product) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Product %s:%s\n", p.Platform, p.ID)
	b.WriteString(fields(
		"Source", p.Source,
		"URL", p.URL,
		"Updated", clock(p.UpdatedAt),
		"Collected", clock(p.CollectedAt),
	))
	section := func(title string, body string) {
		if body != "" {
			fmt.Fprintf(&b, "\n\n%s\n  %s", title, strings.ReplaceAll(body, "\n", "\n  "))
		}
	}
	section("Title", byLocale(p.Title))
	section("Description", byLocale(p.Description))
	if len(p.Attributes) > 0 {
		rows := [][]string{{"NAME", "VALUE", "LOCALE"}}
		for _, a := range p.Attributes {
			rows = append(rows, []string{a.Name, a.Value, orDash(a.Locale)})
		}
		section("Attributes", table(rows))
	}
	rows := [][]string{{"SKU", "OPTIONS", "PRICE", "STOCK"}}
	for _, v := range p.Variants {
		opts := make([]string, len(v.Options))
		for i, o := range v.Options {
			opts[i] = o.Name + "=" + o.Value
		}
		rows = append(rows, []string{v.SKU, orDash(strings.Join(opts, ", ")), v.Price.String(), strconv.FormatInt(v.Stock, 10)})
	}
	section(fmt.Sprintf("Variants (%d)", len(p.Variants)), table(rows))
	if len(p.Images) > 0 {
		urls := make([]string, len(p.Images))
		for i, img := range p.Images {
			urls[i] = img.URL
		}
		section(fmt.Sprintf("Images (%d)", len(p.Images)), strings.Join(urls, "\n"))
	}
	return b.String()
}

// byLocale lists texts by locale, sorted, one line each; a text over one
// line shows its first line and how many lines more.
func byLocale(texts map[string]string) string {
	rows := make([][]string, 0, len(texts))
	for _, loc := range slices.Sorted(maps.Keys(texts)) {
		text := strings.TrimSpace(texts[loc])
		if first, more, ok := strings.Cut(text, "\n"); ok {
			text = fmt.Sprintf("%s … (%d more lines)", first, strings.Count(more, "\n")+1)
		}
		rows = append(rows, []string{loc, text})
	}
	return table(rows)
}
