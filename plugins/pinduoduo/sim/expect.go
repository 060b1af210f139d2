package sim

import "strconv"

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
