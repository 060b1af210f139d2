package config

import (
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/robfig/cron/v3"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"golang.org/x/text/currency"
	"golang.org/x/text/language"
)

// Sync is one sync "<name>" block: a pipeline that keeps the products
// collected through platform Source listed on platform Target.
type Sync struct {
	Name   string
	Source string // a platform block's name
	Target string // a platform block's name
	// Schedule is a cron expression (five fields, or a descriptor such as
	// "@hourly"); Every runs the pipeline at a fixed interval instead. With
	// neither, it runs only when asked.
	Schedule string
	Every    time.Duration
	// BatchSize caps every write batch below the plugin's declared
	// maximum; 0 takes the plugin's.
	BatchSize int
	Fields    SyncFields
	Price     SyncPrice
	Stock     SyncStock
	// OnVariantRemoved is "zero", "delete" or "keep" (default "zero").
	OnVariantRemoved string
	Conflicts        SyncConflicts
	DeclRange        hcl.Range

	ranges map[string]hcl.Range // as Platform.ranges
}

// SyncFields give each text field's locale fallback chain (BCP 47).
type SyncFields struct {
	Title       []string // default ["en", "zh-CN"]
	Description []string // default ["en"]
}

// SyncPrice converts and marks up prices. Numbers are exact decimals.
type SyncPrice struct {
	Currency  string   // ISO 4217; empty keeps the source's
	Rate      *big.Rat // nil: 1
	Rules     []PriceRule
	Round     *big.Rat // charm ending, "0.99"; nil: none
	CompareAt *big.Rat // "1.3x" is 1.3; nil: none
}

// PriceRule is one rule {} block of price: costs below Below (in the
// target currency, exclusive; nil: no bound) get cost × Multiply + Add.
type PriceRule struct {
	Below, Multiply, Add *big.Rat
	DeclRange            hcl.Range
}

// SyncStock reduces the stock a store shows.
type SyncStock struct {
	Reserve    int64
	OutOfStock string // "zero", "draft" or "keep" (default "zero")
}

// SyncConflicts say how a field changed on both sides is settled.
type SyncConflicts struct {
	// Default applies to fields without a strategy of their own
	// (default "source_wins").
	Default string
	// Fields maps title, description, images, price, stock or status to
	// source_wins, remote_wins, newest_wins or manual.
	Fields map[string]string
	// Overwrite lists the fields whose store-only changes are overwritten.
	Overwrite []string
}

var (
	syncStrategies = []string{"source_wins", "remote_wins", "newest_wins", "manual"}
	syncFields     = []string{"title", "description", "images", "price", "stock", "status", "variant"}
	outOfStock     = []string{"zero", "draft", "keep"}
	variantRemoved = []string{"zero", "delete", "keep"}
)

func newSync(name string, decl hcl.Range) Sync {
	return Sync{
		Name:             name,
		Fields:           SyncFields{Title: []string{"en", "zh-CN"}, Description: []string{"en"}},
		Stock:            SyncStock{OutOfStock: "zero"},
		OnVariantRemoved: "zero",
		Conflicts:        SyncConflicts{Default: "source_wins"},
		DeclRange:        decl,
	}
}

func (s *Sync) setRange(key string, r hcl.Range) {
	if s.ranges == nil {
		s.ranges = map[string]hcl.Range{}
	}
	s.ranges[key] = r
}

func (s *Sync) rangeOf(key string) *hcl.Range {
	if r, ok := s.ranges[key]; ok {
		return &r
	}
	if s.DeclRange.Filename == "" {
		return nil // built in Go
	}
	r := s.DeclRange
	return &r
}

var syncBlockSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "sync", LabelNames: []string{"name"}}}}

// decodeSyncs takes the sync blocks out of a file's body, appends them to
// c.Syncs and returns the rest of the body. Sync blocks accumulate across
// files, as platform blocks do.
func (c *Config) decodeSyncs(body hcl.Body, ctx *hcl.EvalContext) (hcl.Body, hcl.Diagnostics) {
	content, rest, diags := body.PartialContent(syncBlockSchema)
	for _, b := range content.Blocks {
		s := newSync(b.Labels[0], b.DefRange)
		diags = append(diags, s.decode(b.Body, ctx)...)
		c.Syncs = append(c.Syncs, s)
	}
	return rest, diags
}

// sd decodes the attributes of one block of a sync block.
type sd struct {
	s      *Sync
	ctx    *hcl.EvalContext
	prefix string
	attrs  hcl.Attributes
	diags  hcl.Diagnostics
}

func (d *sd) value(name string, dst any) {
	a := d.attrs[name]
	if a == nil {
		return
	}
	var set bool
	var diags hcl.Diagnostics
	if r, ok := dst.(**big.Rat); ok {
		set, diags = decodeDecimal(name, a.Expr, d.ctx, r)
	} else {
		set, diags = decodeValue(name, a.Expr, d.ctx, dst, false)
	}
	d.diags = append(d.diags, diags...)
	if set {
		d.s.setRange(d.prefix+name, a.Expr.Range())
	}
}

// content reads body with the attributes and blocks given.
func (d *sd) content(body hcl.Body, attrs []string, blocks ...string) hcl.Blocks {
	schema := &hcl.BodySchema{}
	for _, a := range attrs {
		schema.Attributes = append(schema.Attributes, hcl.AttributeSchema{Name: a})
	}
	for _, b := range blocks {
		schema.Blocks = append(schema.Blocks, hcl.BlockHeaderSchema{Type: b})
	}
	content, diags := body.Content(schema)
	d.diags = append(d.diags, diags...)
	d.attrs = content.Attributes
	return content.Blocks
}

// block reads the single block of type name among blocks with fn.
func (d *sd) block(blocks hcl.Blocks, name string, fn func(hcl.Body)) {
	of := blocks.OfType(name)
	if len(of) > 1 {
		d.diags = append(d.diags, diagnostic("Duplicate "+name+" block", of[1].DefRange.Ptr(),
			"Only one %s block is allowed in a sync block. Another was defined at %s.", name, of[0].DefRange))
	}
	if len(of) > 0 {
		prefix := d.prefix
		d.prefix = name + "."
		fn(of[0].Body)
		d.prefix = prefix
	}
}

func (s *Sync) decode(body hcl.Body, ctx *hcl.EvalContext) hcl.Diagnostics {
	d := &sd{s: s, ctx: ctx}
	blocks := d.content(body, []string{"source", "target", "schedule", "every", "batch_size", "on_variant_removed"}, "fields", "price", "stock", "conflicts")
	d.value("source", &s.Source)
	d.value("target", &s.Target)
	d.value("schedule", &s.Schedule)
	d.value("every", &s.Every)
	d.value("batch_size", &s.BatchSize)
	d.value("on_variant_removed", &s.OnVariantRemoved)
	d.block(blocks, "fields", func(b hcl.Body) {
		d.content(b, []string{"title", "description"})
		d.value("title", &s.Fields.Title)
		d.value("description", &s.Fields.Description)
	})
	d.block(blocks, "price", func(b hcl.Body) {
		rules := d.content(b, []string{"currency", "rate", "round", "compare_at"}, "rule")
		d.value("currency", &s.Price.Currency)
		d.value("rate", &s.Price.Rate)
		var round, compareAt string
		d.value("round", &round)
		d.value("compare_at", &compareAt)
		d.decimalText("round", round, "", &s.Price.Round)
		d.decimalText("compare_at", compareAt, "x", &s.Price.CompareAt)
		for i, rb := range rules {
			rule := PriceRule{DeclRange: rb.DefRange}
			inner := *d
			inner.prefix = fmt.Sprintf("price.rule.%d.", i)
			inner.content(rb.Body, []string{"below", "multiply", "add"})
			inner.value("below", &rule.Below)
			inner.value("multiply", &rule.Multiply)
			inner.value("add", &rule.Add)
			d.diags = inner.diags
			s.Price.Rules = append(s.Price.Rules, rule)
		}
	})
	d.block(blocks, "stock", func(b hcl.Body) {
		d.content(b, []string{"reserve", "out_of_stock"})
		d.value("reserve", &s.Stock.Reserve)
		d.value("out_of_stock", &s.Stock.OutOfStock)
	})
	d.block(blocks, "conflicts", func(b hcl.Body) {
		attrs := append([]string{"default", "overwrite"}, syncFields[:6]...)
		d.content(b, attrs)
		d.value("default", &s.Conflicts.Default)
		d.value("overwrite", &s.Conflicts.Overwrite)
		for _, f := range syncFields[:6] {
			var v string
			d.value(f, &v)
			if v != "" {
				if s.Conflicts.Fields == nil {
					s.Conflicts.Fields = map[string]string{}
				}
				s.Conflicts.Fields[f] = v
			}
		}
	})
	return d.diags
}

// decimalText parses text, a decimal written as a string with an optional
// suffix ("1.3x"), into dst.
func (d *sd) decimalText(name, text, suffix string, dst **big.Rat) {
	if text == "" {
		return
	}
	num := strings.TrimSuffix(text, suffix)
	r, ok := new(big.Rat).SetString(num)
	if !ok || (suffix != "" && num == text) || strings.ContainsAny(num, "/eE") {
		example := `"0.99"`
		if suffix != "" {
			example = `"1.3x"`
		}
		d.diags = append(d.diags, diagnostic("Invalid "+d.prefix+name, d.s.rangeOf(d.prefix+name),
			"%s must be a decimal number written as a string, such as %s, not %q.", d.prefix+name, example, text))
		return
	}
	*dst = r
}

// decodeDecimal decodes a number into an exact rational: 0.1385 is
// 1385/10000, not the nearest binary fraction.
func decodeDecimal(name string, expr hcl.Expression, ctx *hcl.EvalContext, dst **big.Rat) (bool, hcl.Diagnostics) {
	v, diags := expr.Value(ctx)
	if diags.HasErrors() || v.IsNull() || !v.IsWhollyKnown() {
		return false, diags
	}
	v, err := convert.Convert(v, cty.Number)
	if err != nil {
		return false, append(diags, invalidValue("Incorrect attribute value type", name, expr, err.Error()))
	}
	f := v.AsBigFloat()
	if f.IsInf() {
		return false, append(diags, invalidValue("Incorrect attribute value type", name, expr, "a finite number is required"))
	}
	// The shortest decimal that reads back as the same number is the one
	// written in the file.
	r, _ := new(big.Rat).SetString(f.Text('g', -1))
	*dst = r
	return true, diags
}

// validateSyncs checks the sync blocks against the whole configuration.
func (c *Config) validateSyncs() hcl.Diagnostics {
	var diags hcl.Diagnostics
	platforms := map[string]bool{}
	for _, p := range c.Platforms {
		platforms[p.Name] = true
	}
	first := map[string]*Sync{}
	for i := range c.Syncs {
		s := &c.Syncs[i]
		if prev, ok := first[s.Name]; ok {
			diags = append(diags, diagnostic("Duplicate sync name", s.rangeOf(""),
				"A sync named %q is already defined at %s. Each sync block needs a name of its own: it keys the pipeline's snapshots.", s.Name, prev.DeclRange))
			continue
		}
		first[s.Name] = s
		diags = append(diags, s.validate(platforms)...)
	}
	return diags
}

func (s *Sync) validate(platforms map[string]bool) hcl.Diagnostics {
	var diags hcl.Diagnostics
	bad := func(key, format string, args ...any) {
		diags = append(diags, diagnostic("Invalid "+key, s.rangeOf(key), format, args...))
	}
	if !validName.MatchString(s.Name) {
		bad("", "%q is not a valid sync name: use letters, digits, '-', '_' and '.', starting with a letter or digit.", s.Name)
	}
	for _, key := range []string{"source", "target"} {
		name := s.Source
		if key == "target" {
			name = s.Target
		}
		switch {
		case name == "":
			diags = append(diags, diagnostic("Missing "+key, s.rangeOf(""), "The sync block needs %s, the name of a platform block.", key))
		case !platforms[name]:
			diags = append(diags, diagnostic("Unknown platform", s.rangeOf(key),
				"%s = %q names no platform block. Define platform \"<plugin>\" %q, or name one that exists.", key, name, name))
		}
	}
	if s.Source != "" && s.Source == s.Target {
		bad("target", "target is the same platform as source (%q): a pipeline syncs from one platform to another.", s.Source)
	}
	switch {
	case s.Schedule != "" && s.Every != 0:
		bad("every", "Set schedule or every, not both: both say when the pipeline runs.")
	case s.Schedule != "":
		if _, err := cron.ParseStandard(s.Schedule); err != nil {
			bad("schedule", "%q is not a cron schedule: %s. Write five fields (minute hour day-of-month month day-of-week), such as \"0 */6 * * *\", or a descriptor such as \"@hourly\".", s.Schedule, err)
		}
	case s.Every < 0 || (s.Every > 0 && s.Every < time.Minute):
		bad("every", "every must be at least 1m, not %s.", s.Every)
	}
	for key, chain := range map[string][]string{"fields.title": s.Fields.Title, "fields.description": s.Fields.Description} {
		if key == "fields.title" && len(chain) == 0 {
			bad(key, "fields.title needs at least one locale: a listing always has a title.")
		}
		for _, loc := range chain {
			if _, err := language.Parse(loc); err != nil {
				bad(key, "%q is not a BCP 47 locale, such as \"en\", \"zh-CN\" or \"pt-BR\".", loc)
			}
		}
	}
	if s.BatchSize < 0 {
		bad("batch_size", "batch_size must be at least 1 (or unset for the plugin's maximum), not %d.", s.BatchSize)
	}
	diags = append(diags, s.validatePrice()...)
	if s.Stock.Reserve < 0 {
		bad("stock.reserve", "stock.reserve must not be negative, not %d.", s.Stock.Reserve)
	}
	diags = append(diags, oneOf("stock.out_of_stock", s.Stock.OutOfStock, outOfStock, s.rangeOf("stock.out_of_stock"))...)
	diags = append(diags, oneOf("on_variant_removed", s.OnVariantRemoved, variantRemoved, s.rangeOf("on_variant_removed"))...)
	diags = append(diags, oneOf("conflicts.default", s.Conflicts.Default, syncStrategies, s.rangeOf("conflicts.default"))...)
	for _, f := range syncFields[:6] {
		if v, ok := s.Conflicts.Fields[f]; ok {
			diags = append(diags, oneOf("conflicts."+f, v, syncStrategies, s.rangeOf("conflicts."+f))...)
		}
	}
	for _, f := range s.Conflicts.Overwrite {
		if !slices.Contains(syncFields, f) {
			bad("conflicts.overwrite", "%q is not a field: overwrite lists %s.", f, strings.Join(syncFields, ", "))
		}
	}
	sortDiagnostics(diags)
	return diags
}

func (s *Sync) validatePrice() hcl.Diagnostics {
	var diags hcl.Diagnostics
	bad := func(key, format string, args ...any) {
		diags = append(diags, diagnostic("Invalid "+key, s.rangeOf(key), format, args...))
	}
	p := &s.Price
	scale := -1 // unknown: the source's currency is kept
	if p.Currency != "" {
		unit, err := currency.ParseISO(p.Currency)
		if err != nil || unit.String() != p.Currency {
			bad("price.currency", "%q is not an ISO 4217 currency code, such as \"USD\", \"EUR\" or \"JPY\" (upper case).", p.Currency)
		} else {
			scale, _ = currency.Standard.Rounding(unit)
		}
	}
	if p.Rate != nil {
		if p.Currency == "" {
			bad("price.rate", "price.rate converts into price.currency, which is not set.")
		}
		if p.Rate.Sign() <= 0 {
			bad("price.rate", "price.rate must be greater than 0, not %s.", p.Rate.RatString())
		}
	}
	for i, r := range p.Rules {
		key := fmt.Sprintf("price.rule.%d.", i)
		if r.Multiply != nil && r.Multiply.Sign() <= 0 {
			bad(key+"multiply", "multiply must be greater than 0, not %s.", r.Multiply.RatString())
		}
		if r.Add != nil && r.Add.Sign() < 0 {
			bad(key+"add", "add must not be negative, not %s.", r.Add.RatString())
		}
		if i == 0 {
			continue
		}
		prev := p.Rules[i-1]
		switch {
		case prev.Below == nil:
			diags = append(diags, diagnostic("Overlapping price ranges", r.DeclRange.Ptr(),
				"The rule at %s has no \"below\", so it covers every cost and this rule never applies. Rules are tried in order: give each but the last a below, in increasing order.", prev.DeclRange))
		case r.Below != nil && r.Below.Cmp(prev.Below) <= 0:
			diags = append(diags, diagnostic("Overlapping price ranges", s.rangeOf(key+"below"),
				"below = %s is not above the previous rule's below = %s (at %s), so this rule never applies. Rules are tried in order: their below must increase.",
				r.Below.FloatString(2), prev.Below.FloatString(2), prev.DeclRange))
		}
	}
	if n := len(p.Rules); n > 0 && p.Rules[n-1].Below != nil {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "No catch-all price rule",
			Detail:  fmt.Sprintf("Every price rule has a below, so a product costing %s or more matches none and fails to sync. Add a last rule without below to cover it.", p.Rules[n-1].Below.FloatString(2)),
			Subject: p.Rules[n-1].DeclRange.Ptr()})
	}
	if p.Round != nil {
		minor := new(big.Rat).Mul(p.Round, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(max(scale, 0))), nil)))
		switch {
		case p.Round.Sign() <= 0:
			bad("price.round", "price.round is the ending prices are rounded up to, such as \"0.99\"; it must be greater than 0.")
		case scale >= 0 && !minor.IsInt():
			bad("price.round", "price.round = %q has more decimals than %s has (%d): use an ending such as \"9\" or \"99\" for a currency without cents.", p.Round.FloatString(2), p.Currency, scale)
		}
	}
	if p.CompareAt != nil && p.CompareAt.Cmp(big.NewRat(1, 1)) <= 0 {
		bad("price.compare_at", "price.compare_at multiplies the price into the compare-at price and must be above 1x, not %sx.", p.CompareAt.FloatString(2))
	}
	return diags
}
