package sim

import (
	"errors"
	"fmt"
	"maps"

	"github.com/marketsync/marketsync/sdk"
)

// Check compares a product read back through a plugin and the host (or
// the agent) with the expectation and returns every difference, nil when
// there is none. It checks what the catalogue decides: the product is
// valid, and its id, source, title and description in its locale, URL,
// update time, number of distinct images, attributes without the sale
// properties, and each variant's SKU, options in order (the value a buyer
// sees and the standard one behind an alias), price, currency and stock.
func (e Expectation) Check(p *sdk.Product) error {
	if !e.Found {
		return fmt.Errorf("%s: got a product, want NOT_FOUND (%s)", e.ID, e.Reason)
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(e.ID+": "+format, args...)) }
	if err := p.Validate(); err != nil {
		bad("invalid product: %v", err)
	}
	if p.ID != e.ID || p.Source != "taobao" {
		bad("id %q source %q", p.ID, p.Source)
	}
	if p.Title[e.Locale] != e.Title || len(p.Title) != 1 {
		bad("title %v, want %s %q", p.Title, e.Locale, e.Title)
	}
	if p.URL != e.URL {
		bad("url %q, want %q", p.URL, e.URL)
	}
	if len(p.Images) != e.Images {
		bad("%d images, want %d", len(p.Images), e.Images)
	}
	if want := map[string]string{e.Locale: e.Description}; e.Description == "" && len(p.Description) != 0 || e.Description != "" && !maps.Equal(p.Description, want) {
		bad("description %q, want %q", p.Description, e.Description)
	}
	if !p.UpdatedAt.Equal(e.UpdatedAt) {
		bad("updated_at %v, want %v", p.UpdatedAt, e.UpdatedAt)
	}
	if fmt.Sprint(p.Attributes) != fmt.Sprint(e.Attributes) {
		bad("attributes %v, want %v", p.Attributes, e.Attributes)
	}
	if len(p.Variants) != len(e.Variants) {
		bad("%d variants, want %d", len(p.Variants), len(e.Variants))
		return errors.Join(errs...)
	}
	for k, v := range p.Variants {
		w := e.Variants[k]
		if v.SKU != w.SKU || v.Price != (sdk.Money{Amount: w.Price, Currency: e.Currency}) || v.Stock != w.Stock {
			bad("variant %d: sku %s price %v stock %d, want sku %s price %d %s stock %d", k, v.SKU, v.Price, v.Stock, w.SKU, w.Price, e.Currency, w.Stock)
		}
		if fmt.Sprint(v.Options) != fmt.Sprint(w.Options) {
			bad("variant %d: options %v, want %v", k, v.Options, w.Options)
		}
	}
	return errors.Join(errs...)
}
