package store

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/marketsync/marketsync/sdk"
)

// The product types the plugin writes.
const (
	typeSimple   = "simple"
	typeVariable = "variable"
)

// wcImage, wcAttribute and wcOption are the writable image and attribute
// objects of the products and variations routes.
type wcImage struct {
	Src string `json:"src"`
	Alt string `json:"alt,omitempty"`
}

type wcAttribute struct {
	Name      string   `json:"name"`
	Visible   bool     `json:"visible"`
	Variation bool     `json:"variation"`
	Options   []string `json:"options"`
}

type wcOption struct {
	Name   string `json:"name"`
	Option string `json:"option"`
}

// wcProduct is a product as the plugin writes it.
type wcProduct struct {
	ID             int64         `json:"id,omitempty"`
	Name           string        `json:"name"`
	Type           string        `json:"type"`
	Status         string        `json:"status,omitempty"`
	Description    string        `json:"description"`
	SKU            string        `json:"sku"`
	GlobalUniqueID *string       `json:"global_unique_id,omitempty"`
	RegularPrice   *string       `json:"regular_price,omitempty"`
	SalePrice      *string       `json:"sale_price,omitempty"`
	ManageStock    *bool         `json:"manage_stock,omitempty"`
	StockQuantity  *int64        `json:"stock_quantity,omitempty"`
	Attributes     []wcAttribute `json:"attributes"`
	Images         []wcImage     `json:"images,omitempty"`
}

// wcVariation is a variation as the plugin writes it.
type wcVariation struct {
	ID             int64      `json:"id,omitempty"`
	SKU            string     `json:"sku"`
	RegularPrice   string     `json:"regular_price"`
	SalePrice      string     `json:"sale_price"`
	ManageStock    bool       `json:"manage_stock"`
	StockQuantity  int64      `json:"stock_quantity"`
	GlobalUniqueID *string    `json:"global_unique_id,omitempty"`
	Attributes     []wcOption `json:"attributes"`
	Image          *wcImage   `json:"image,omitempty"`
}

// isSimple says whether p is written as a simple product: one variant
// without options.
func isSimple(p *sdk.Product) bool { return len(p.Variants) == 1 && len(p.Variants[0].Options) == 0 }

// productSKU is the SKU the product itself has in the store, by which a
// create is looked up before it is made: a simple product's is its
// variant's; a variable product's is made from its source and id, since
// its variants' SKUs belong to its variations (SKUs are unique across
// products and variations).
func productSKU(p *sdk.Product) string {
	if isSimple(p) {
		return p.Variants[0].SKU
	}
	return p.Source + "-" + p.ID
}

// text picks the store locale's text, else that of the same language,
// else the first by locale, so a product always has its title.
func text(m map[string]string, locale string) string {
	if t := m[locale]; t != "" {
		return t
	}
	base, _, _ := strings.Cut(strings.ToLower(locale), "-")
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if b, _, _ := strings.Cut(strings.ToLower(k), "-"); b == base && m[k] != "" {
			return m[k]
		}
	}
	for _, k := range keys {
		if m[k] != "" {
			return m[k]
		}
	}
	return ""
}

// checkProduct refuses, per item, what the store cannot hold: an invalid
// product, a price in another currency than the store's.
func (s *settings) checkProduct(p *sdk.Product) *sdk.Error {
	if err := p.Validate(); err != nil {
		return sdk.Invalid("invalid_product", err.Error())
	}
	for _, v := range p.Variants {
		if err := s.checkMoney(v.Price); err != nil {
			return err
		}
	}
	return nil
}

func (s *settings) checkMoney(m sdk.Money) *sdk.Error {
	if m.Currency != s.currency {
		return sdk.Invalid("currency_mismatch", fmt.Sprintf("price in %s, but the store sells in %s (the %s setting)", m.Currency, s.currency, FieldCurrency))
	}
	if m.Amount < 0 {
		return sdk.Invalid("negative_price", fmt.Sprintf("price %d is negative", m.Amount))
	}
	return nil
}

// statusOut is the post status for each status the model writes
// ("Product properties",
// https://woocommerce.github.io/woocommerce-rest-api-docs/#product-properties);
// without one the store keeps its own (publish on create).
var statusOut = map[sdk.Status]string{sdk.StatusActive: "publish", sdk.StatusDraft: "draft"}

// statusIn reads the post status back; pending, private and future read
// as none, so that a full write leaves them as they are.
func statusIn(s string) sdk.Status {
	switch s {
	case "publish":
		return sdk.StatusActive
	case "draft":
		return sdk.StatusDraft
	}
	return ""
}

// prices are a variant's regular_price and sale_price: with a
// compare-at price above the price, the compare-at price is the regular
// one and the price the sale one (WooCommerce shows the regular price
// struck through); else the price is the regular one and sale_price is
// "", which ends a sale the store had.
func (s *settings) prices(v *sdk.Variant) (regular, sale string) {
	if was := v.SaleCompareAt(); was != nil {
		return formatAmount(was.Amount, s.digits), formatAmount(v.Price.Amount, s.digits)
	}
	return formatAmount(v.Price.Amount, s.digits), ""
}

// toWC maps p to the product and, for a variable product, the variations
// to write. Images are sent only when the product is created: WooCommerce
// downloads every image sent into its media library again, so sending
// them on every update would pile up copies.
func (s *settings) toWC(p *sdk.Product, create bool) (wcProduct, []wcVariation) {
	out := wcProduct{
		Name:        text(p.Title, s.locale),
		Status:      statusOut[p.Status],
		Description: text(p.Description, s.locale),
		SKU:         productSKU(p),
		Attributes:  []wcAttribute{},
	}
	if create {
		for _, im := range p.Images {
			out.Images = append(out.Images, wcImage{Src: im.URL, Alt: text(im.Alt, s.locale)})
		}
	}
	// Attributes in the store's language or in none, one per name.
	for _, a := range p.Attributes {
		if a.Locale != "" && a.Locale != s.locale {
			continue
		}
		i := slices.IndexFunc(out.Attributes, func(w wcAttribute) bool { return w.Name == a.Name })
		if i < 0 {
			out.Attributes = append(out.Attributes, wcAttribute{Name: a.Name, Visible: true})
			i = len(out.Attributes) - 1
		}
		if !slices.Contains(out.Attributes[i].Options, a.Value) {
			out.Attributes[i].Options = append(out.Attributes[i].Options, a.Value)
		}
	}
	if isSimple(p) {
		v := p.Variants[0]
		regular, sale := s.prices(&v)
		manage, stock := true, v.Stock
		out.Type, out.RegularPrice, out.SalePrice, out.ManageStock, out.StockQuantity = typeSimple, &regular, &sale, &manage, &stock
		if v.Barcode != "" {
			out.GlobalUniqueID = &v.Barcode
		}
		return out, nil
	}
	out.Type = typeVariable
	var axes []wcAttribute
	vars := make([]wcVariation, len(p.Variants))
	for i, v := range p.Variants {
		regular, sale := s.prices(&v)
		w := wcVariation{SKU: v.SKU, RegularPrice: regular, SalePrice: sale, ManageStock: true, StockQuantity: v.Stock, Attributes: []wcOption{}}
		if v.Barcode != "" {
			w.GlobalUniqueID = &p.Variants[i].Barcode
		}
		if v.Image != "" && create {
			w.Image = &wcImage{Src: v.Image}
		}
		for _, o := range v.Options {
			w.Attributes = append(w.Attributes, wcOption{Name: o.Name, Option: o.Value})
			j := slices.IndexFunc(axes, func(a wcAttribute) bool { return a.Name == o.Name })
			if j < 0 {
				axes = append(axes, wcAttribute{Name: o.Name, Visible: true, Variation: true})
				j = len(axes) - 1
			}
			if !slices.Contains(axes[j].Options, o.Value) {
				axes[j].Options = append(axes[j].Options, o.Value)
			}
		}
		vars[i] = w
	}
	out.Attributes = append(out.Attributes, axes...)
	return out, vars
}

// remoteProduct and remoteVariation are what the plugin reads of the
// API's product and variation objects.
type remoteProduct struct {
	ID              int64  `json:"id"`
	Name            string `json:"name"`
	Type            string `json:"type"`
	Status          string `json:"status"`
	Description     string `json:"description"`
	SKU             string `json:"sku"`
	GlobalUniqueID  string `json:"global_unique_id"`
	RegularPrice    string `json:"regular_price"`
	SalePrice       string `json:"sale_price"`
	OnSale          bool   `json:"on_sale"`
	StockQuantity   *int64 `json:"stock_quantity"`
	MetaData        []meta `json:"meta_data"`
	Permalink       string `json:"permalink"`
	DateModifiedGMT string `json:"date_modified_gmt"`
	Attributes      []struct {
		Name      string   `json:"name"`
		Variation bool     `json:"variation"`
		Options   []string `json:"options"`
	} `json:"attributes"`
	Images []struct {
		Src string `json:"src"`
		Alt string `json:"alt"`
	} `json:"images"`
	Variations []int64 `json:"variations"`
}

type remoteVariation struct {
	ID             int64      `json:"id"`
	SKU            string     `json:"sku"`
	GlobalUniqueID string     `json:"global_unique_id"`
	RegularPrice   string     `json:"regular_price"`
	SalePrice      string     `json:"sale_price"`
	OnSale         bool       `json:"on_sale"`
	StockQuantity  *int64     `json:"stock_quantity"`
	MetaData       []meta     `json:"meta_data"`
	Attributes     []wcOption `json:"attributes"`
	Image          *struct {
		Src string `json:"src"`
	} `json:"image"`
}

// meta is a custom field (meta_data entry) of a product or variation.
type meta struct {
	Key   string `json:"key"`
	Value any    `json:"value"`
}

// metaValue is the string value of the custom field key, or "".
func metaValue(ms []meta, key string) string {
	for _, m := range ms {
		if m.Key == key {
			s, _ := m.Value.(string)
			return s
		}
	}
	return ""
}

func (r *remoteProduct) shape(vars []remoteVariation) shape {
	sh := shape{variable: r.Type == typeVariable, sku: r.SKU, variations: map[string]int64{}, live: map[int64]stockState{}}
	sh.live[r.ID] = stockState{stock: r.StockQuantity, key: metaValue(r.MetaData, metaStockKey)}
	for _, v := range vars {
		sh.variations[v.SKU] = v.ID
		sh.live[v.ID] = stockState{stock: v.StockQuantity, key: metaValue(v.MetaData, metaStockKey)}
	}
	return sh
}

// fromWC maps a product read from the store, with its variations, into
// the canonical model, under the store's locale and currency.
func (s *settings) fromWC(r *remoteProduct, vars []remoteVariation) (*sdk.Product, *sdk.Error) {
	p := &sdk.Product{
		ID:     strconv.FormatInt(r.ID, 10),
		Source: Name,
		Title:  map[string]string{s.locale: r.Name},
		URL:    r.Permalink,
		Status: statusIn(r.Status),
	}
	if r.Description != "" {
		p.Description = map[string]string{s.locale: r.Description}
	}
	if t, err := time.Parse("2006-01-02T15:04:05", r.DateModifiedGMT); err == nil {
		p.UpdatedAt = t.UTC()
	}
	for _, im := range r.Images {
		img := sdk.Image{URL: im.Src}
		if im.Alt != "" {
			img.Alt = map[string]string{s.locale: im.Alt}
		}
		p.Images = append(p.Images, img)
	}
	for _, a := range r.Attributes {
		if !a.Variation || r.Type != typeVariable {
			for _, o := range a.Options {
				p.Attributes = append(p.Attributes, sdk.Attribute{Name: a.Name, Value: o, Locale: s.locale})
			}
		}
	}
	// On sale, the price is sale_price and the compare-at price
	// regular_price; else the price is regular_price.
	variant := func(sku, regular, sale string, onSale bool, stock *int64, barcode string) (sdk.Variant, *sdk.Error) {
		amount, err := parseAmount(regular, s.digits)
		if err != nil {
			return sdk.Variant{}, sdk.Invalid("malformed_product", fmt.Sprintf("product %d: %v", r.ID, err))
		}
		v := sdk.Variant{SKU: sku, Price: sdk.Money{Amount: amount, Currency: s.currency}, Barcode: barcode}
		if onSale && sale != "" {
			sold, err := parseAmount(sale, s.digits)
			if err != nil {
				return sdk.Variant{}, sdk.Invalid("malformed_product", fmt.Sprintf("product %d: sale_price %v", r.ID, err))
			}
			v.CompareAt = &sdk.Money{Amount: amount, Currency: s.currency}
			v.Price.Amount = sold
		}
		if stock != nil && *stock > 0 { // backorders make it negative
			v.Stock = *stock
		}
		return v, nil
	}
	if r.Type != typeVariable {
		v, err := variant(r.SKU, r.RegularPrice, r.SalePrice, r.OnSale, r.StockQuantity, r.GlobalUniqueID)
		if err != nil {
			return nil, err
		}
		if v.SKU == "" {
			v.SKU = p.ID
		}
		p.Variants = []sdk.Variant{v}
	}
	for _, rv := range vars {
		v, err := variant(rv.SKU, rv.RegularPrice, rv.SalePrice, rv.OnSale, rv.StockQuantity, rv.GlobalUniqueID)
		if err != nil {
			return nil, err
		}
		if v.SKU == "" {
			v.SKU = strconv.FormatInt(rv.ID, 10)
		}
		for _, o := range rv.Attributes {
			v.Options = append(v.Options, sdk.Option{Name: o.Name, Value: o.Option})
		}
		if rv.Image != nil {
			v.Image = rv.Image.Src
		}
		p.Variants = append(p.Variants, v)
	}
	if err := p.Validate(); err != nil {
		return nil, sdk.Invalid("malformed_product", fmt.Sprintf("product %d as the store answers it: %v", r.ID, err))
	}
	return p, nil
}

// decode reads a batch item's object.
func decode[T any](raw json.RawMessage) (T, error) {
	var v T
	err := json.Unmarshal(raw, &v)
	return v, err
}
