package render

import (
	"fmt"
	"slices"
	"strings"

	"github.com/marketsync/marketsync/sdk/model"
	"github.com/microcosm-cc/bluemonday"
	"google.golang.org/protobuf/proto"
)

// Error is why one product could not be rendered.
type Error struct {
	ProductID string
	Reason    string
}

func (e *Error) Error() string {
	return fmt.Sprintf("render: product %q: %s", e.ProductID, e.Reason)
}

// Render renders p by rules into a new Listing; p is not modified. It fails
// with an *Error when the product has no title in any locale of the title
// chain (a store never gets an empty title), or when a price cannot be
// rendered.
func Render(p *model.Product, rules *Rules) (*Listing, error) {
	fail := func(format string, args ...any) (*Listing, error) {
		return nil, &Error{ProductID: p.GetId(), Reason: fmt.Sprintf(format, args...)}
	}
	out := proto.CloneOf(p)
	out.Title, out.Description = nil, nil
	title, ok := pick(p.GetTitle(), rules.Fields.Title)
	if !ok {
		return fail("no title in any of the locales %v (it has %v)", rules.Fields.Title, locales(p.GetTitle()))
	}
	out.Title = map[string]string{rules.Fields.Title[0]: title}
	if desc, ok := pick(p.GetDescription(), rules.Fields.Description); ok {
		if clean := strings.TrimSpace(sanitize.Sanitize(desc)); clean != "" {
			out.Description = map[string]string{rules.Fields.Description[0]: clean}
		}
	}

	l := &Listing{Product: out, Status: Status_STATUS_ACTIVE}
	inStock := false
	for _, v := range out.GetVariants() {
		if v.GetPrice() != nil {
			price, was, err := rules.Price.render(v.GetPrice())
			if err != nil {
				return fail("variant %q: %v", v.GetSku(), err)
			}
			v.Price = price
			if was != nil {
				if l.CompareAt == nil {
					l.CompareAt = map[string]*model.Money{}
				}
				l.CompareAt[v.GetSku()] = was
			}
		}
		v.Stock = max(0, v.GetStock()-rules.Stock.Reserve)
		switch {
		case v.Stock > 0:
			inStock = true
		case rules.Stock.OutOfStock == OutOfStockKeep:
			l.HoldStock = append(l.HoldStock, v.GetSku())
		}
	}
	if !inStock && rules.Stock.OutOfStock == OutOfStockDraft && len(out.GetVariants()) > 0 {
		l.Status = Status_STATUS_DRAFT
	}
	return l, nil
}

// pick returns the non-empty text of the first locale in chain that texts
// has.
// sanitize cleans a description for publishing: source marketplaces'
// detail pages carry scripts, inline handlers, iframes and tracking
// markup that a store must not show. bluemonday's UGC policy keeps the
// formatting a product page needs (paragraphs, lists, tables, images,
// links) and drops the rest; links get rel="nofollow".
var sanitize = bluemonday.UGCPolicy()

func pick(texts map[string]string, chain []string) (string, bool) {
	for _, loc := range chain {
		if t := texts[loc]; strings.TrimSpace(t) != "" {
			return t, true
		}
	}
	return "", false
}

func locales(texts map[string]string) []string {
	out := make([]string, 0, len(texts))
	for loc := range texts {
		out = append(out, loc)
	}
	slices.Sort(out)
	return out
}
