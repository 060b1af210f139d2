package sim

import (
	"fmt"
	"slices"
	"strconv"

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
	// Images is the number of product images: the carousel, or the main
	// image alone when there is no carousel.
	Images int
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
	e.Images = len(g.carousel)
	if e.Images == 0 && g.image != "" {
		e.Images = 1
	}
	return e
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
