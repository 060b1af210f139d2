package syncengine

import (
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/marketsync/marketsync/actors/sync/render"
	"github.com/marketsync/marketsync/actors/sync/resolve"
	"github.com/marketsync/marketsync/daemon/conflict"
	"github.com/marketsync/marketsync/sdk/model"
	"golang.org/x/text/currency"
	"google.golang.org/protobuf/proto"
)

// merge returns the store's product with patch applied, under the source
// product's identity: what a full write sends, so that every field the
// resolution left to the store is written back as the store has it.
// The listing's compare-at prices replace the store's, as prices are the
// source's; the status is the store's unless the patch sets one.
func merge(remote *model.Product, l *render.Listing, p *resolve.Patch) *model.Product {
	source := l.GetProduct()
	out := proto.CloneOf(remote)
	if p.Status != render.Status_STATUS_UNSPECIFIED {
		out.Status = publishStatus(p.Status)
	}
	out.Id, out.Source, out.Url = source.GetId(), source.GetSource(), source.GetUrl()
	// A store keeps one language: the text chosen replaces it.
	for loc, v := range p.Title {
		out.Title = map[string]string{loc: v}
	}
	for loc, v := range p.Description {
		if v == "" {
			out.Description = nil
			continue
		}
		out.Description = map[string]string{loc: v}
	}
	if p.SetImages {
		out.Images = p.Images
	}
	out.Variants = slices.DeleteFunc(out.Variants, func(v *model.Variant) bool { return slices.Contains(p.RemoveVariants, v.GetSku()) })
	for _, v := range out.Variants {
		if price, ok := p.Prices[v.GetSku()]; ok {
			v.Price = price
		}
		if qty, ok := p.Stock[v.GetSku()]; ok {
			v.Stock = qty
		}
	}
	for _, v := range p.AddVariants {
		out.Variants = append(out.Variants, proto.CloneOf(v))
	}
	for _, v := range out.Variants {
		v.CompareAt = l.GetCompareAt()[v.GetSku()]
	}
	return out
}

// storeProduct is the listing as a create writes it: the rendered product
// with its publishing status and compare-at prices.
func storeProduct(l *render.Listing) *model.Product {
	out := proto.CloneOf(l.GetProduct())
	out.Status = publishStatus(l.GetStatus())
	for _, v := range out.GetVariants() {
		v.CompareAt = l.GetCompareAt()[v.GetSku()]
	}
	return out
}

// published maps a rendered status to the model's; a status not in it
// (unspecified) is unspecified, which leaves the store's own.
var published = map[render.Status]model.PublishStatus{
	render.Status_STATUS_ACTIVE: model.PublishStatus_PUBLISH_STATUS_ACTIVE,
	render.Status_STATUS_DRAFT:  model.PublishStatus_PUBLISH_STATUS_DRAFT,
}

func publishStatus(s render.Status) model.PublishStatus { return published[s] }

// listingStatus is the inverse of publishStatus.
func listingStatus(s model.PublishStatus) render.Status {
	for r, m := range published {
		if m == s {
			return r
		}
	}
	return render.Status_STATUS_UNSPECIFIED
}

// applyResolved turns the conflicts of en a person resolved into patch
// entries: take source or a value writes it; take remote writes nothing.
func (r *run) applyResolved(en *entry, patch *resolve.Patch) {
	for _, c := range en.resolved {
		if c.Take == conflict.TakeRemote {
			continue
		}
		kind, key, _ := strings.Cut(strings.TrimSuffix(c.Field, "]"), "[")
		v := c.Chosen()
		switch resolve.Kind(kind) {
		case resolve.Title:
			if v != "" {
				patch.Title = setKey(patch.Title, key, v)
			}
		case resolve.Description:
			patch.Description = setKey(patch.Description, key, v)
		case resolve.Price:
			if m, err := parseMoney(v); err == nil {
				patch.Prices = setKey(patch.Prices, key, m)
			} else {
				r.log.Error("a resolved price cannot be written", "conflict", c.ID, "value", v, "error", err)
			}
		case resolve.Stock:
			if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
				patch.Stock = setKey(patch.Stock, key, n)
			} else {
				r.log.Error("a resolved stock cannot be written", "conflict", c.ID, "value", v)
			}
		case resolve.Status:
			if st, ok := render.Status_value[v]; ok && st != 0 {
				patch.Status = render.Status(st)
			} else {
				r.log.Error("a resolved status cannot be written", "conflict", c.ID, "value", v)
			}
		case resolve.Images:
			if c.Take == conflict.TakeSource {
				patch.Images, patch.SetImages = en.listing.GetProduct().GetImages(), true
			}
		}
	}
}

func setKey[V any](m map[string]V, k string, v V) map[string]V {
	if m == nil {
		m = map[string]V{}
	}
	m[k] = v
	return m
}

// parseMoney reads money as Money.Format writes it: "12.99 USD".
func parseMoney(s string) (*model.Money, error) {
	num, code, ok := strings.Cut(strings.TrimSpace(s), " ")
	if !ok {
		return nil, fmt.Errorf("%q is not an amount and a currency, such as \"12.99 USD\"", s)
	}
	unit, err := currency.ParseISO(code)
	if err != nil {
		return nil, fmt.Errorf("%q: %w", code, err)
	}
	scale, _ := currency.Standard.Rounding(unit)
	r, ok := new(big.Rat).SetString(num)
	if !ok || r.Sign() < 0 {
		return nil, fmt.Errorf("%q is not a non-negative amount", num)
	}
	r.Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)))
	if !r.IsInt() || !r.Num().IsInt64() {
		return nil, fmt.Errorf("%q has more decimals than %s takes", num, code)
	}
	return &model.Money{Amount: r.Num().Int64(), Currency: unit.String()}, nil
}
