package sim

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

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

	// Title in the requested language, and that language's BCP 47 tag.
	Title  string
	Locale string
	// Currency of every variant's price.
	Currency string
	// URL is the product's desktop page.
	URL string
	// Images is the number of product pictures.
	Images   int
	Variants []ExpectedVariant
}

// ExpectedVariant is one SKU: its id, options in axis order, price in
// minor units of the currency, and stock.
type ExpectedVariant struct {
	SKU     string
	Options []ExpectedOption
	Price   int64
	Stock   int64
}

// ExpectedOption is one option of a variant.
type ExpectedOption struct{ Name, Value string }

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
	}
	c := currencies[currencyCode]
	e.Title = it.subject(language)
	e.Locale = languageTags[language]
	e.Currency = currencyCode
	e.URL = "https://www.aliexpress.com/item/" + id + ".html"
	e.Images = len(it.images)
	for _, sk := range it.skus {
		v := ExpectedVariant{SKU: strconv.FormatInt(sk.id, 10), Price: c.convert(sk.offerFen), Stock: sk.stock}
		if len(it.axes) == 0 {
			// A product without options sells as itself.
			v.SKU = id
		}
		for a, ax := range it.axes {
			val := ax.values[sk.values[a]]
			value := val.name.in(language)
			if val.custom != "" {
				value = val.custom // the seller's name is what buyers see
			}
			v.Options = append(v.Options, ExpectedOption{Name: ax.name.in(language), Value: value})
		}
		e.Variants = append(e.Variants, v)
	}
	return e
}

// Check compares what a plugin returned for the id, a product or a
// per-item error, with the expectation, and describes every difference.
// Fields the expectation does not state (description, attributes, the
// pictures' URLs) are not compared.
func (e Expectation) Check(p *sdk.Product, perr *sdk.Error) error {
	if e.NotFound {
		if perr == nil || perr.Kind != sdk.KindNotFound {
			return fmt.Errorf("product %s (%s): got %v, %v; want NOT_FOUND", e.ID, e.Reason, p, perr)
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
				opts = append(opts, ExpectedOption{Name: o.Name, Value: o.Value})
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
