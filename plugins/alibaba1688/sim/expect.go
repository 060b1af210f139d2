package sim

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/marketsync/marketsync/sdk"
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
	// Images is the number of main pictures, each once however often
	// the reply repeats it.
	Images int
	// Attributes are the offer's properties (name, value) in order, none
	// of them a variant option.
	Attributes [][2]string
	// Variants in the offer's SKU order; one whose SKU is the offer id
	// when the offer has no SKUs.
	Variants []Variant
	// URL is the canonical desktop page.
	URL string
	// Source is the canonical product's Source.
	Source string
}

// Expect returns what fetching id must give. Prices follow the rule the
// plugin documents: the distribution price (consignPrice) when the
// platform gives one, else the SKU's quoted price for offers priced per
// SKU, else the price of the lowest quantity tier, the SKU's own before
// the offer's. Unknown ids are NotFound; an offer whose SKU properties
// neither its answer nor its category names is Refused.
func (s *Server) Expect(id string) Expectation {
	o, ok := s.byID[id]
	e := Expectation{ID: id, Outcome: NotFound}
	switch {
	case !ok, o.gone, o.status != "published":
		return e
	case o.noRelation, o.unnamed():
		e.Outcome = Refused
		return e
	}
	e.Attributes = [][2]string{{"品牌", o.brand}, {"材质", o.material}}
	e.Outcome = Found
	e.Title, e.Locale, e.Currency = o.subject, "zh-CN", "CNY"
	e.Images = len(o.images)
	e.URL = "https://detail.1688.com/offer/" + id + ".html"
	e.Source = "alibaba1688"
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
		case len(k.tiers) > 0:
			v.Price = k.tiers[0].priceFen
		default:
			v.Price = o.tiers[0].priceFen
		}
		e.Variants = append(e.Variants, v)
	}
	return e
}

// needsNames says whether the offer's reply names its SKU properties by
// id alone, so that a client must read its category's attributes.
func (o *offer) needsNames() bool { return !o.namesInAnswer && len(o.skus) > 0 }

// unnamed says whether a SKU property of the offer has no name anywhere:
// not in its answer, not among its category's attributes.
func (o *offer) unnamed() bool {
	c, _ := categoryOf(o.categoryID)
	return o.needsNames() && slices.ContainsFunc(o.skus, func(k sku) bool { return k.size != "" && !c.names(attrSize) })
}

// CategoryLookups is the number of alibaba.category.attribute.get calls a
// client caching names per category needs to fetch ids: one for each
// distinct category among the offers on sale, readable by the app, whose
// replies name SKU properties by id alone.
func (s *Server) CategoryLookups(ids []string) int {
	cats := map[string]bool{}
	for _, id := range ids {
		o, ok := s.byID[id]
		if ok && !o.gone && !o.noRelation && o.status == "published" && o.needsNames() {
			cats[o.categoryID] = true
		}
	}
	return len(cats)
}

// Shapes names the shapes of real answers the reply for id takes, for
// tests that must see each: "names by id", "no status", "numbers as
// strings", "escaped", "repeated images", "sale property attribute",
// "SKU tiers", "one SKU", "no SKUs", "no images".
func (s *Server) Shapes(id string) []string {
	o, ok := s.byID[id]
	if !ok {
		return nil
	}
	var out []string
	add := func(cond bool, name string) {
		if cond {
			out = append(out, name)
		}
	}
	add(o.needsNames(), "names by id")
	add(o.noStatus, "no status")
	add(o.stringNumbers, "numbers as strings")
	add(o.escaped, "escaped")
	add(o.repeats > 0, "repeated images")
	add(o.saleAttr, "sale property attribute")
	add(o.quoteType == 3, "SKU tiers")
	add(len(o.skus) == 1, "one SKU")
	add(len(o.skus) == 0, "no SKUs")
	add(len(o.images) == 0, "no images")
	return out
}

// IDsWith returns the ids whose fetch should give outcome o, in
// catalogue order.
func (s *Server) IDsWith(o Outcome) []string {
	var out []string
	for _, id := range s.IDs() {
		if s.Expect(id).Outcome == o {
			out = append(out, id)
		}
	}
	return out
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

// Verify checks one fetch result against e: for Found, that the product
// carries e's id, source, title and locale, URL, image count (all https),
// attributes, and each variant's SKU, options, price in fen and CNY, and
// stock, in order; for NotFound, a NOT_FOUND error; for Refused, an error of another
// kind. It returns every difference, joined.
func (e Expectation) Verify(p *sdk.Product, perr *sdk.Error) error {
	switch e.Outcome {
	case NotFound:
		if p != nil || perr == nil || perr.Kind != sdk.KindNotFound {
			return fmt.Errorf("offer %s: got %v, %v; want NOT_FOUND", e.ID, p, perr)
		}
		return nil
	case Refused:
		if p != nil || perr == nil || perr.Kind == sdk.KindNotFound {
			return fmt.Errorf("offer %s: got %v, %v; want a refusal other than NOT_FOUND", e.ID, p, perr)
		}
		return nil
	}
	if p == nil || perr != nil {
		return fmt.Errorf("offer %s: got error %v, want a product", e.ID, perr)
	}
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("offer %s: "+format, append([]any{e.ID}, args...)...))
	}
	if p.ID != e.ID || p.Source != e.Source || p.URL != e.URL {
		bad("id/source/url %s/%s/%s, want %s/%s/%s", p.ID, p.Source, p.URL, e.ID, e.Source, e.URL)
	}
	if len(p.Title) != 1 || p.Title[e.Locale] != e.Title {
		bad("title %v, want %s: %q", p.Title, e.Locale, e.Title)
	}
	if len(p.Images) != e.Images {
		bad("%d images, want %d", len(p.Images), e.Images)
	}
	var attrs [][2]string
	for _, a := range p.Attributes {
		attrs = append(attrs, [2]string{a.Name, a.Value})
	}
	if !slices.Equal(attrs, e.Attributes) {
		bad("attributes %v, want %v", attrs, e.Attributes)
	}
	for _, img := range p.Images {
		if !strings.HasPrefix(img.URL, "https://") {
			bad("image %q is not an https URL", img.URL)
		}
	}
	if len(p.Variants) != len(e.Variants) {
		bad("%d variants, want %d", len(p.Variants), len(e.Variants))
		return errors.Join(errs...)
	}
	for i, w := range e.Variants {
		v := p.Variants[i]
		if v.SKU != w.SKU || v.Price.Amount != w.Price || v.Price.Currency != e.Currency || v.Stock != w.Stock {
			bad("variant %d: %s %d %s stock %d, want %s %d %s stock %d", i, v.SKU, v.Price.Amount, v.Price.Currency, v.Stock, w.SKU, w.Price, e.Currency, w.Stock)
		}
		if len(v.Options) != len(w.Options) {
			bad("variant %d options %v, want %v", i, v.Options, w.Options)
			continue
		}
		for k, o := range w.Options {
			if v.Options[k].Name != o.Name || v.Options[k].Value != o.Value {
				bad("variant %d option %d %v, want %v", i, k, v.Options[k], o)
			}
		}
	}
	return errors.Join(errs...)
}
