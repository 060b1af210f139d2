package sim

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/marketsync/marketsync/sdk"
)

// Expectation is what the canonical product for one id must contain after
// a plugin fetched it from this simulator: worked out from the catalogue
// directly, never through a plugin's mapping, so that an end-to-end test
// compares two independent accounts of the same product.
type Expectation struct {
	ID string
	// NotFound is set when fetching the id must fail alone with NOT_FOUND;
	// Reason says why: "unknown", "deleted", "offline" or "ship_to".
	NotFound bool
	Reason   string
	// Invalid is the code of the INVALID error fetching the id must fail
	// with alone, "" for none: "no_sku" for an answer without SKUs, which
	// leaves nothing to sell or price.
	Invalid string

	// Title in the requested language, and that language's BCP 47 tag.
	Title  string
	Locale string
	// Currency of every variant's price.
	Currency string
	// URL is the product's desktop page.
	URL string
	// Images is the number of distinct product pictures: a picture the
	// answer repeats is kept once.
	Images int
	// Description is the detail HTML as the platform writes it.
	Description string
	// Attributes are the product's properties in the requested language.
	Attributes []sdk.Attribute
	// UpdatedAt is gmt_modified, read in the gateway's GMT+8.
	UpdatedAt time.Time
	Variants  []ExpectedVariant
}

// Collected says whether fetching the id yields a product, neither
// NOT_FOUND nor INVALID.
func (e Expectation) Collected() bool { return !e.NotFound && e.Invalid == "" }

// ExpectedVariant is one SKU: its key (sku_attr, the property combination
// with the seller's value names), options in axis order, price in minor
// units of the currency, and stock.
type ExpectedVariant struct {
	SKU     string
	Options []ExpectedOption
	Price   int64
	Stock   int64
}

// ExpectedOption is one option of a variant: the value a buyer sees and,
// behind a seller's own name, the platform's standard value.
type ExpectedOption struct{ Name, Value, StandardValue string }

// Expect is ExpectIn for the plugin's defaults: shipped to the US, priced
// in USD, in English.
func (s *Server) Expect(id string) Expectation { return s.ExpectIn(id, "US", "USD", "EN") }

// ExpectIn says what fetching id with the given ship_to_country,
// target_currency and target_language must produce.
func (s *Server) ExpectIn(id, shipTo, currencyCode, language string) Expectation {
	e := Expectation{ID: id}
	n, err := strconv.ParseInt(id, 10, 64)
	it := s.cat.byID[n]
	switch {
	case err != nil || it == nil:
		e.NotFound, e.Reason = true, "unknown"
		return e
	case it.status == deleted:
		e.NotFound, e.Reason = true, "deleted"
		return e
	case it.status == offline:
		e.NotFound, e.Reason = true, "offline"
		return e
	case it.noShipTo == shipTo:
		e.NotFound, e.Reason = true, "ship_to"
		return e
	case it.noSKUs:
		e.Invalid = "no_sku"
		return e
	}
	c := currencies[currencyCode]
	e.Title = it.subject(language)
	e.Locale = languageTags[language]
	e.Currency = currencyCode
	e.URL = "https://www.aliexpress.com/item/" + id + ".html"
	e.Images = len(it.images)
	e.Description = detail(it, language)
	e.UpdatedAt = it.modified.UTC()
	e.Attributes = []sdk.Attribute{
		{Name: brandName.in(language), Value: brands[it.brand], Locale: e.Locale},
		{Name: originName.in(language), Value: originValue.in(language), Locale: e.Locale},
	}
	for _, sk := range it.skus {
		v := ExpectedVariant{SKU: it.skuAttr(sk), Price: c.convert(sk.offerFen), Stock: sk.stock}
		if len(it.axes) == 0 {
			// A product without options sells as itself.
			v.SKU = id
		}
		for a, ax := range it.axes {
			val := ax.values[sk.values[a]]
			o := ExpectedOption{Name: ax.name.in(language), Value: val.name.in(language)}
			if val.custom != "" {
				// The seller's name is what buyers see.
				o.Value, o.StandardValue = val.custom, o.Value
			}
			v.Options = append(v.Options, o)
		}
		e.Variants = append(e.Variants, v)
	}
	return e
}

// Check compares what a plugin returned for the id, a product or a
// per-item error, with the expectation, and describes every difference.
// The product is compared as the host stores it, normalized: repeated
// pictures and attributes that restate an option dropped. The pictures'
// URLs are only checked to be https.
func (e Expectation) Check(p *sdk.Product, perr *sdk.Error) error {
	if e.NotFound {
		if perr == nil || perr.Kind != sdk.KindNotFound {
			return fmt.Errorf("product %s (%s): got %v, %v; want NOT_FOUND", e.ID, e.Reason, p, perr)
		}
		return nil
	}
	if e.Invalid != "" {
		if perr == nil || perr.Kind != sdk.KindInvalid || perr.Code != e.Invalid {
			return fmt.Errorf("product %s: got %v, %v; want INVALID %s", e.ID, p, perr, e.Invalid)
		}
		return nil
	}
	if perr != nil || p == nil {
		return fmt.Errorf("product %s: got error %v, want a product", e.ID, perr)
	}
	var diffs []string
	differ := func(what string, got, want any) {
		diffs = append(diffs, fmt.Sprintf("%s: got %v, want %v", what, got, want))
	}
	if p.ID != e.ID {
		differ("id", p.ID, e.ID)
	}
	if p.Source != "aliexpress" {
		differ("source", p.Source, "aliexpress")
	}
	if len(p.Title) != 1 || p.Title[e.Locale] != e.Title {
		differ("title", p.Title, map[string]string{e.Locale: e.Title})
	}
	if p.URL != e.URL {
		differ("url", p.URL, e.URL)
	}
	if len(p.Images) != e.Images {
		differ("images", len(p.Images), e.Images)
	}
	if len(p.Description) != 1 || p.Description[e.Locale] != e.Description {
		differ("description", p.Description, map[string]string{e.Locale: e.Description})
	}
	if !p.UpdatedAt.Equal(e.UpdatedAt) {
		differ("updated_at", p.UpdatedAt, e.UpdatedAt)
	}
	if !slices.Equal(p.Attributes, e.Attributes) {
		differ("attributes", p.Attributes, e.Attributes)
	}
	for _, img := range p.Images {
		if !strings.HasPrefix(img.URL, "https://") {
			differ("image url", img.URL, "an https URL")
		}
	}
	if len(p.Variants) != len(e.Variants) {
		differ("variants", len(p.Variants), len(e.Variants))
	} else {
		for i, v := range p.Variants {
			w := e.Variants[i]
			var opts []ExpectedOption
			for _, o := range v.Options {
				opts = append(opts, ExpectedOption{Name: o.Name, Value: o.Value, StandardValue: o.StandardValue})
			}
			if v.SKU != w.SKU || v.Price.Amount != w.Price || v.Price.Currency != e.Currency || v.Stock != w.Stock || !slices.Equal(opts, w.Options) {
				differ(fmt.Sprintf("variant %d", i),
					fmt.Sprintf("%s %v %d %s stock %d", v.SKU, opts, v.Price.Amount, v.Price.Currency, v.Stock),
					fmt.Sprintf("%s %v %d %s stock %d", w.SKU, w.Options, w.Price, e.Currency, w.Stock))
			}
		}
	}
	if len(diffs) > 0 {
		return fmt.Errorf("product %s:\n  %s", e.ID, strings.Join(diffs, "\n  "))
	}
	return nil
}
