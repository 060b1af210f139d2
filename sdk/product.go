package sdk

import "time"

// Product is the canonical model of one listing, as collected from a source
// platform or published to a store.
type Product struct {
	// ID is unique within Source (the platform's own item id).
	ID string `json:"id"`
	// Source names the platform the product came from, e.g. "taobao".
	Source string `json:"source"`
	// Title and Description map a BCP 47 locale ("zh-CN", "en") to text.
	Title       map[string]string `json:"title"`
	Description map[string]string `json:"description,omitempty"`
	Images      []Image           `json:"images,omitempty"`
	Attributes  []Attribute       `json:"attributes,omitempty"`
	// Variants are the sellable units (SKUs). A product without options on
	// its platform has exactly one variant.
	Variants  []Variant `json:"variants"`
	URL       string    `json:"url,omitempty"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
	// Status is whether a store shows the product. Collectors leave it
	// empty; a store plugin reads it back and, on a write, leaves the
	// store's own choice when it is empty.
	Status Status `json:"status,omitempty"`
}

// Status is a product's publishing state in a store; empty means the store
// keeps or decides it.
type Status string

const (
	StatusActive Status = "active" // on sale, visible to buyers
	StatusDraft  Status = "draft"  // hidden from buyers
)

// Image is a picture of the product; Alt is its alternative text by locale.
type Image struct {
	URL string            `json:"url"`
	Alt map[string]string `json:"alt,omitempty"`
}

// Attribute is a named property such as material or brand. Locale is the
// BCP 47 language of Name and Value, empty when language-neutral.
type Attribute struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Locale string `json:"locale,omitempty"`
}

// Option is one axis of a variant, such as colour=red. Value is what a
// buyer sees: the seller's alias when the platform has one. StandardValue
// keeps the platform's own value behind an alias ("180/100(XL)" behind
// "XL"), empty when there is no alias.
type Option struct {
	Name          string `json:"name"`
	Value         string `json:"value"`
	StandardValue string `json:"standard_value,omitempty"`
}

// Variant is one SKU.
type Variant struct {
	SKU     string   `json:"sku"`
	Options []Option `json:"options,omitempty"`
	Price   Money    `json:"price"`
	Stock   int64    `json:"stock"`
	Barcode string   `json:"barcode,omitempty"`
	Image   string   `json:"image,omitempty"`
	// CompareAt is the "was" price a store shows struck through next to
	// Price; nil when there is none. It must be in Price's currency; one
	// not above Price shows no sale, and SaleCompareAt leaves it out.
	CompareAt *Money `json:"compare_at,omitempty"`
}

// SaleCompareAt is the compare-at price a store should show for v: its
// CompareAt when that is above Price in the same currency, else nil.
func (v *Variant) SaleCompareAt() *Money {
	if v.CompareAt == nil || v.CompareAt.Currency != v.Price.Currency || v.CompareAt.Amount <= v.Price.Amount {
		return nil
	}
	return v.CompareAt
}

// Money is an amount in integer minor units of an ISO 4217 currency: 1999
// with "CNY" is ¥19.99. Floats never hold prices.
type Money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// String renders m with the currency's standard number of decimals:
// 1999 CNY is "19.99 CNY".
func (m Money) String() string { return moneyToModel(m).Format() }

// Validate reports every way p breaks the model, each prefixed with the
// path of the offending field, joined into one error; nil when p is valid.
// The host validates every product a plugin returns with the same rules,
// so a plugin that maps a platform's answer wrongly fails per item instead
// of corrupting the catalogue.
func (p *Product) Validate() error { return productToModel(p).Validate() }

// Validate checks that m has a known ISO 4217 currency and is not negative.
func (m Money) Validate() error { return moneyToModel(m).Validate() }
