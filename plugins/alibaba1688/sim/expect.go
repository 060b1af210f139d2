package sim

import (
	"strconv"
	"strings"
)

// Outcome is what fetching an offer should give.
type Outcome int

const (
	// Found: a product.
	Found Outcome = iota + 1
	// NotFound: the offer does not exist, was deleted, or is not on sale.
	NotFound
	// Refused: the offer exists but the app may not read it (no listing
	// relation), a per-item refusal that is not NOT_FOUND.
	Refused
)

func (o Outcome) String() string {
	switch o {
	case Found:
		return "found"
	case NotFound:
		return "not found"
	case Refused:
		return "refused"
	}
	return "unknown"
}

// Option is one axis of a SKU.
type Option struct {
	Name, Value string
}

// Variant is what one canonical variant must hold.
type Variant struct {
	SKU     string
	Options []Option
	// Price in fen.
	Price int64
	Stock int64
}

// Expectation is what the canonical product of an offer must contain,
// worked out from the simulator's own data, not from any reply or mapper.
type Expectation struct {
	ID      string
	Outcome Outcome
	// Title and its BCP 47 locale.
	Title  string
	Locale string
	// Currency of every price.
	Currency string
	// Images is the number of main images.
	Images int
	// Variants in the offer's SKU order; one whose SKU is the offer id
	// when the offer has no SKUs.
	Variants []Variant
	// URL is the canonical desktop page.
	URL string
}

// Expect returns what fetching id must give. Prices follow the rule the
// plugin documents: the distribution price (consignPrice) when the
// platform gives one, else the SKU's quoted price for offers priced per
// SKU, else the price of the lowest quantity tier. Unknown ids are
// NotFound.
func (s *Server) Expect(id string) Expectation {
	o, ok := s.byID[id]
	e := Expectation{ID: id, Outcome: NotFound}
	switch {
	case !ok, o.gone, o.status != "published":
		return e
	case o.noRelation:
		e.Outcome = Refused
		return e
	}
	e.Outcome = Found
	e.Title, e.Locale, e.Currency = o.subject, "zh-CN", "CNY"
	e.Images = len(o.images)
	e.URL = "https://detail.1688.com/offer/" + id + ".html"
	if len(o.skus) == 0 {
		p := o.tiers[0].priceFen
		if o.consignFen > 0 {
			p = o.consignFen
		}
		e.Variants = []Variant{{SKU: id, Price: p, Stock: o.stock}}
		return e
	}
	for _, k := range o.skus {
		v := Variant{SKU: itoa(k.skuID), Stock: k.stock, Options: []Option{{"颜色", k.color}}}
		if k.size != "" {
			v.Options = append(v.Options, Option{"尺码", k.size})
		}
		switch {
		case k.consignFen > 0:
			v.Price = k.consignFen
		case o.quoteType == 1:
			v.Price = k.priceFen
		default:
			v.Price = o.tiers[0].priceFen
		}
		e.Variants = append(e.Variants, v)
	}
	return e
}

// absolute completes an image path the way a browser would: relative to
// the image host, or with the https scheme.
func absolute(p string) string {
	if strings.HasPrefix(p, "//") {
		return "https:" + p
	}
	if strings.Contains(p, "://") {
		return p
	}
	return "https://cbu01.alicdn.com/" + p
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
