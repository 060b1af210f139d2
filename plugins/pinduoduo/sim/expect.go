package sim

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/marketsync/marketsync/sdk"
)

// Expected is what a correct client makes of one goods id, worked out from
// the catalogue with rules simple enough to check by eye, so that a test
// comparing against it does not share a bug with the client's mapper.
type Expected struct {
	// NotFound is true for an unknown id, goods off the shelf (status 2),
	// deleted goods (status 4), and goods none of whose SKUs is on sale.
	NotFound bool
	// Title is goods_name, tagged with Locale ("zh-CN": PDD does not
	// translate).
	Title, Locale string
	// Currency is CNY: the platform's prices are fen.
	Currency string
	// SKUs are the SKUs on sale, in the platform's order.
	SKUs []ExpectedSKU
	// Images is the number of product pictures: those of the carousel,
	// each once however often it repeats them, or the main image alone
	// when there is no carousel.
	Images int
	// Attributes are the goods properties (name, value) in order, named
	// by the category template, without the sale properties.
	Attributes [][2]string
}

// ExpectedSKU is one sellable SKU.
type ExpectedSKU struct {
	ID string
	// Options are the spec (parent_name, spec_name) pairs, in order.
	Options [][2]string
	// Price is the single-purchase price (单买价) in fen; GroupPrice the
	// group price (拼团价).
	Price, GroupPrice int64
	Stock             int64
}

// Expect returns what a client must make of goods id.
func (s *Server) Expect(id string) Expected {
	g, ok := s.cat.lookup(id)
	if !ok || g.status == statusOffShelf || g.status == statusDeleted {
		return Expected{NotFound: true}
	}
	e := Expected{Title: g.name, Locale: "zh-CN", Currency: "CNY"}
	for _, k := range g.skus {
		if !k.onSale {
			continue
		}
		es := ExpectedSKU{ID: strconv.FormatInt(k.id, 10), Price: k.price, GroupPrice: k.multiPrice, Stock: k.quantity}
		for _, sp := range k.specs {
			es.Options = append(es.Options, [2]string{sp.parentName, sp.specName})
		}
		e.SKUs = append(e.SKUs, es)
	}
	if len(e.SKUs) == 0 {
		return Expected{NotFound: true}
	}
	pictures := map[string]bool{}
	for _, c := range g.carousel {
		pictures[strings.TrimPrefix(c, "https:")] = true
	}
	e.Images = len(pictures)
	if e.Images == 0 && g.image != "" {
		e.Images = 1
	}
	e.Attributes = [][2]string{{"品牌", g.brand}, {"材质", g.material}}
	return e
}

// Shapes names the shapes of real answers the reply for id takes, for
// tests that must see each: "no status", "numbers as strings",
// "escaped", "repeated images", "sale property listed", "one SKU", "no
// images".
func (s *Server) Shapes(id string) []string {
	g, ok := s.cat.lookup(id)
	if !ok {
		return nil
	}
	var out []string
	add := func(cond bool, name string) {
		if cond {
			out = append(out, name)
		}
	}
	pictures := map[string]bool{}
	for _, c := range g.carousel {
		pictures[strings.TrimPrefix(c, "https:")] = true
	}
	add(g.noStatus, "no status")
	add(g.stringNumbers, "numbers as strings")
	add(g.escaped, "escaped")
	add(len(pictures) < len(g.carousel), "repeated images")
	add(g.saleProperty, "sale property listed")
	add(len(g.skus) == 1, "one SKU")
	add(len(g.carousel) == 0 && g.image == "", "no images")
	return out
}

// CategoryLookups is the number of pdd.goods.cat.template.get calls a
// client caching templates per category needs to fetch ids: one per
// distinct category among the goods that make a product (on the shelf,
// with a SKU on sale): the others have nothing a buyer sees to name.
func (s *Server) CategoryLookups(ids []string) int {
	cats := map[int64]bool{}
	for _, id := range ids {
		if g, ok := s.cat.lookup(id); ok && !s.Expect(id).NotFound {
			cats[g.catID] = true
		}
	}
	return len(cats)
}

// Diff lists the ways a client's result for one id, a product or a
// per-item error, differs from e; it is empty when they agree. Beyond the
// fields of Expected it requires a product to pass sdk's own validation,
// carry source "pinduoduo" and no title in another locale.
func (e Expected) Diff(p *sdk.Product, perr *sdk.Error) []string {
	var out []string
	bad := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	if e.NotFound {
		if perr == nil || perr.Kind != sdk.KindNotFound {
			bad("want a per-item NOT_FOUND, got product %v error %v", p != nil, perr)
		}
		return out
	}
	if perr != nil || p == nil {
		return []string{fmt.Sprintf("want a product, got error %v", perr)}
	}
	if err := p.Validate(); err != nil {
		bad("invalid product: %v", err)
	}
	if p.Source != "pinduoduo" {
		bad("source %q", p.Source)
	}
	if len(p.Title) != 1 || p.Title[e.Locale] != e.Title {
		bad("title %v, want %s %q", p.Title, e.Locale, e.Title)
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
	if len(p.Variants) != len(e.SKUs) {
		bad("%d variants, want %d", len(p.Variants), len(e.SKUs))
		return out
	}
	for i, want := range e.SKUs {
		v := p.Variants[i]
		opts := make([][2]string, 0, len(v.Options))
		for _, o := range v.Options {
			opts = append(opts, [2]string{o.Name, o.Value})
		}
		if v.SKU != want.ID || !slices.Equal(opts, want.Options) ||
			v.Price != (sdk.Money{Amount: want.Price, Currency: e.Currency}) || v.Stock != want.Stock {
			bad("variant %d: %+v, want %+v", i, v, want)
		}
	}
	return out
}
