package sdk

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"golang.org/x/text/currency"
	"golang.org/x/text/language"
)

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
}

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

// Option is one axis of a variant, such as colour=red.
type Option struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Variant is one SKU.
type Variant struct {
	SKU     string   `json:"sku"`
	Options []Option `json:"options,omitempty"`
	Price   Money    `json:"price"`
	Stock   int64    `json:"stock"`
	Barcode string   `json:"barcode,omitempty"`
	Image   string   `json:"image,omitempty"`
}

// Money is an amount in integer minor units of an ISO 4217 currency: 1999
// with "CNY" is ¥19.99. Floats never hold prices.
type Money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// String renders m with the currency's standard number of decimals.
func (m Money) String() string {
	unit, err := currency.ParseISO(m.Currency)
	if err != nil {
		return fmt.Sprintf("%d %s", m.Amount, m.Currency)
	}
	scale, _ := currency.Standard.Rounding(unit)
	sign, amount := "", m.Amount
	if amount < 0 {
		sign, amount = "-", -amount
	}
	if scale == 0 {
		return fmt.Sprintf("%s%d %s", sign, amount, m.Currency)
	}
	pow := int64(1)
	for range scale {
		pow *= 10
	}
	return fmt.Sprintf("%s%d.%0*d %s", sign, amount/pow, scale, amount%pow, m.Currency)
}

// Validate reports every way p breaks the model, each prefixed with the
// path of the offending field, joined into one error; nil when p is valid.
// The host validates every product a plugin returns, so a plugin that maps
// a platform's answer wrongly fails per item instead of corrupting the
// catalogue.
func (p *Product) Validate() error {
	var errs []error
	bad := func(path, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...)))
	}
	if strings.TrimSpace(p.ID) == "" {
		bad("id", "must not be empty")
	}
	if strings.TrimSpace(p.Source) == "" {
		bad("source", "must not be empty")
	}
	hasTitle := false
	for loc, text := range p.Title {
		if err := checkLocale(loc); err != nil {
			bad("title["+loc+"]", "%v", err)
		}
		if strings.TrimSpace(text) != "" {
			hasTitle = true
		}
	}
	if !hasTitle {
		bad("title", "needs text in at least one locale")
	}
	for loc := range p.Description {
		if err := checkLocale(loc); err != nil {
			bad("description["+loc+"]", "%v", err)
		}
	}
	for i, img := range p.Images {
		if err := checkURL(img.URL); err != nil {
			bad(fmt.Sprintf("images[%d].url", i), "%v", err)
		}
	}
	for i, a := range p.Attributes {
		if strings.TrimSpace(a.Name) == "" {
			bad(fmt.Sprintf("attributes[%d].name", i), "must not be empty")
		}
		if a.Locale != "" {
			if err := checkLocale(a.Locale); err != nil {
				bad(fmt.Sprintf("attributes[%d].locale", i), "%v", err)
			}
		}
	}
	if len(p.Variants) == 0 {
		bad("variants", "needs at least one variant (a product without options has one)")
	}
	skus := make(map[string]int, len(p.Variants))
	currency := ""
	for i, v := range p.Variants {
		path := fmt.Sprintf("variants[%d]", i)
		if strings.TrimSpace(v.SKU) == "" {
			bad(path+".sku", "must not be empty")
		} else if j, dup := skus[v.SKU]; dup {
			bad(path+".sku", "%q repeats variants[%d]", v.SKU, j)
		} else {
			skus[v.SKU] = i
		}
		for k, o := range v.Options {
			if strings.TrimSpace(o.Name) == "" || strings.TrimSpace(o.Value) == "" {
				bad(fmt.Sprintf("%s.options[%d]", path, k), "name and value must not be empty")
			}
		}
		if err := v.Price.Validate(); err != nil {
			bad(path+".price", "%v", err)
		} else if currency == "" {
			currency = v.Price.Currency
		} else if v.Price.Currency != currency {
			bad(path+".price.currency", "%s differs from the product's other variants (%s)", v.Price.Currency, currency)
		}
		if v.Stock < 0 {
			bad(path+".stock", "must not be negative, got %d", v.Stock)
		}
		if v.Image != "" {
			if err := checkURL(v.Image); err != nil {
				bad(path+".image", "%v", err)
			}
		}
	}
	return errors.Join(errs...)
}

// Validate checks that m has a known ISO 4217 currency and is not negative.
func (m Money) Validate() error {
	if m.Currency == "" {
		return errors.New("currency must not be empty")
	}
	if strings.ToUpper(m.Currency) != m.Currency {
		return fmt.Errorf("currency %q must be upper case", m.Currency)
	}
	if _, err := currency.ParseISO(m.Currency); err != nil {
		return fmt.Errorf("unknown ISO 4217 currency %q", m.Currency)
	}
	if m.Amount < 0 {
		return fmt.Errorf("amount must not be negative, got %d", m.Amount)
	}
	return nil
}

func checkLocale(tag string) error {
	if tag == "" {
		return errors.New("locale must not be empty")
	}
	if _, err := language.Parse(tag); err != nil {
		return fmt.Errorf("locale %q is not a BCP 47 tag", tag)
	}
	return nil
}

func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("not a URL: %v", err)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return fmt.Errorf("%q must be an absolute http(s) URL", raw)
	}
	if u.Host == "" {
		return fmt.Errorf("%q has no host", raw)
	}
	return nil
}
