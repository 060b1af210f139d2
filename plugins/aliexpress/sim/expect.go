package sim

import "strconv"

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
