package render

import (
	"errors"
	"fmt"
	"math/big"
)

// Rules are a sync pipeline's rendering rules.
type Rules struct {
	Fields Fields
	Price  Price
	Stock  Stock
}

// Fields name, for each text field, the locales to take it from, in order:
// the first locale the product has text in wins, and the listing holds that
// text under the chain's first locale (the store's language).
type Fields struct {
	// Title must find a locale: a product without one fails.
	Title []string
	// Description may find none: the listing then has no description.
	Description []string
}

// Price converts, marks up and rounds each variant's price.
//
// All arithmetic is exact (rationals) and the result is rounded once to the
// target currency's minor unit, half away from zero; Round then moves it up
// to the next charm price. Ranges (Markup.Below) are in the target
// currency and compared with the converted cost, before any markup.
type Price struct {
	// Currency is the ISO 4217 code of the store's prices; empty keeps the
	// source's currency, and Rate must then be nil.
	Currency string
	// Rate is how many units of Currency one unit of the source currency
	// buys (CNY→USD 0.1385); nil is 1.
	Rate *big.Rat
	// Markup rules are tried in order and the first whose range holds the
	// converted cost applies. A cost that no rule matches fails the
	// product: an empty list matches everything and changes nothing.
	Markup []Markup
	// Round is the charm ending, such as 0.99 (prices end in .99) or 9
	// (whole prices ending in 9, for JPY or KRW): see Charm. nil leaves the
	// price as rounded to the minor unit.
	Round *big.Rat
	// CompareAt multiplies the final price into the compare-at ("was")
	// price, such as 1.3; it is rounded like the price. nil sets none.
	CompareAt *big.Rat
}

// Markup is one price rule: cost × Multiply + Add, for costs below Below.
type Markup struct {
	// Below bounds the range, exclusive, in the target currency; nil is
	// no bound. The range starts where the previous rule's ends.
	Below *big.Rat
	// Multiply is nil for 1.
	Multiply *big.Rat
	// Add is in the target currency; nil for 0.
	Add *big.Rat
}

// Stock reduces the stock the store shows.
type Stock struct {
	// Reserve is kept back from each variant's stock; the result never
	// goes below 0.
	Reserve int64
	// OutOfStock says what a variant with no stock left does.
	OutOfStock OutOfStock
}

// OutOfStock is what happens when a variant has no stock after the reserve.
type OutOfStock string

const (
	// OutOfStockZero pushes a stock of 0; the listing stays active.
	OutOfStockZero OutOfStock = "zero"
	// OutOfStockDraft pushes 0 and, when every variant is out of stock,
	// sets the listing to draft.
	OutOfStockDraft OutOfStock = "draft"
	// OutOfStockKeep leaves the store's stock of that variant alone.
	OutOfStockKeep OutOfStock = "keep"
)

// VariantRemoved is what a store does with a variant that the source no
// longer has. The resolver applies it.
type VariantRemoved string

const (
	VariantRemovedZero   VariantRemoved = "zero"
	VariantRemovedDelete VariantRemoved = "delete"
	VariantRemovedKeep   VariantRemoved = "keep"
)

// Validate checks rules built in Go; the config package reports the same
// problems in HCL with file and line.
func (r *Rules) Validate() error {
	var errs []error
	if len(r.Fields.Title) == 0 {
		errs = append(errs, errors.New("render: the title needs at least one locale"))
	}
	if r.Price.Currency == "" && r.Price.Rate != nil {
		errs = append(errs, errors.New("render: a rate needs a target currency"))
	}
	if r.Price.Currency != "" {
		scale, err := scaleOf(r.Price.Currency)
		if err != nil {
			errs = append(errs, err)
		} else if r.Price.Round != nil && r.Price.Round.Sign() > 0 {
			if _, err := Charm(0, r.Price.Round, scale); err != nil {
				errs = append(errs, err)
			}
		}
	}
	for i, m := range r.Price.Markup {
		if m.Below == nil && i < len(r.Price.Markup)-1 {
			errs = append(errs, fmt.Errorf("render: price rule %d has no upper bound, so the rules after it never apply", i+1))
		}
		if i > 0 && m.Below != nil && r.Price.Markup[i-1].Below != nil && m.Below.Cmp(r.Price.Markup[i-1].Below) <= 0 {
			errs = append(errs, fmt.Errorf("render: price rule %d (below %s) overlaps rule %d (below %s): bounds must increase",
				i+1, m.Below.FloatString(2), i, r.Price.Markup[i-1].Below.FloatString(2)))
		}
	}
	if r.Price.Round != nil && r.Price.Round.Sign() <= 0 {
		errs = append(errs, errors.New("render: the charm ending must be greater than 0"))
	}
	switch r.Stock.OutOfStock {
	case "", OutOfStockZero, OutOfStockDraft, OutOfStockKeep:
	default:
		errs = append(errs, fmt.Errorf("render: out_of_stock %q is not zero, draft or keep", r.Stock.OutOfStock))
	}
	if r.Stock.Reserve < 0 {
		errs = append(errs, fmt.Errorf("render: negative reserve %d", r.Stock.Reserve))
	}
	return errors.Join(errs...)
}
