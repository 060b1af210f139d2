package model

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"golang.org/x/text/currency"
	"golang.org/x/text/language"
)

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
	if p == nil {
		return errors.New("no product")
	}
	if strings.TrimSpace(p.GetId()) == "" {
		bad("id", "must not be empty")
	}
	if strings.TrimSpace(p.GetSource()) == "" {
		bad("source", "must not be empty")
	}
	hasTitle := false
	for loc, text := range p.GetTitle() {
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
	for loc := range p.GetDescription() {
		if err := checkLocale(loc); err != nil {
			bad("description["+loc+"]", "%v", err)
		}
	}
	for i, img := range p.GetImages() {
		if err := checkURL(img.GetUrl()); err != nil {
			bad(fmt.Sprintf("images[%d].url", i), "%v", err)
		}
	}
	for i, a := range p.GetAttributes() {
		if strings.TrimSpace(a.GetName()) == "" {
			bad(fmt.Sprintf("attributes[%d].name", i), "must not be empty")
		}
		if a.GetLocale() != "" {
			if err := checkLocale(a.GetLocale()); err != nil {
				bad(fmt.Sprintf("attributes[%d].locale", i), "%v", err)
			}
		}
	}
	if len(p.GetVariants()) == 0 {
		bad("variants", "needs at least one variant (a product without options has one)")
	}
	skus := make(map[string]int, len(p.GetVariants()))
	currency := ""
	for i, v := range p.GetVariants() {
		path := fmt.Sprintf("variants[%d]", i)
		if strings.TrimSpace(v.GetSku()) == "" {
			bad(path+".sku", "must not be empty")
		} else if j, dup := skus[v.GetSku()]; dup {
			bad(path+".sku", "%q repeats variants[%d]", v.GetSku(), j)
		} else {
			skus[v.GetSku()] = i
		}
		for k, o := range v.GetOptions() {
			if strings.TrimSpace(o.GetName()) == "" || strings.TrimSpace(o.GetValue()) == "" {
				bad(fmt.Sprintf("%s.options[%d]", path, k), "name and value must not be empty")
			}
		}
		if err := v.GetPrice().Validate(); err != nil {
			bad(path+".price", "%v", err)
		} else if currency == "" {
			currency = v.GetPrice().GetCurrency()
		} else if v.GetPrice().GetCurrency() != currency {
			bad(path+".price.currency", "%s differs from the product's other variants (%s)", v.GetPrice().GetCurrency(), currency)
		}
		if was := v.GetCompareAt(); was != nil {
			if err := was.Validate(); err != nil {
				bad(path+".compare_at", "%v", err)
			} else if v.GetPrice() != nil && was.GetCurrency() != v.GetPrice().GetCurrency() {
				bad(path+".compare_at.currency", "%s differs from the price's (%s)", was.GetCurrency(), v.GetPrice().GetCurrency())
			}
		}
		if v.GetStock() < 0 {
			bad(path+".stock", "must not be negative, got %d", v.GetStock())
		}
		if v.GetImage() != "" {
			if err := checkURL(v.GetImage()); err != nil {
				bad(path+".image", "%v", err)
			}
		}
	}
	if _, known := PublishStatus_name[int32(p.GetStatus())]; !known {
		bad("status", "unknown publishing status %d", p.GetStatus())
	}
	return errors.Join(errs...)
}

// SaleCompareAt is the compare-at price a store should show for v: its
// CompareAt when that is above the price in the same currency, else nil.
// A compare-at not above the price is valid (stores accept and return
// one) but shows no sale, so writers leave it out rather than fail the
// item.
func (v *Variant) SaleCompareAt() *Money {
	was, price := v.GetCompareAt(), v.GetPrice()
	if was == nil || price == nil || was.GetCurrency() != price.GetCurrency() || was.GetAmount() <= price.GetAmount() {
		return nil
	}
	return was
}

// Validate checks that m has a known ISO 4217 currency and is not negative.
func (m *Money) Validate() error {
	c := m.GetCurrency()
	if c == "" {
		return errors.New("currency must not be empty")
	}
	if strings.ToUpper(c) != c {
		return fmt.Errorf("currency %q must be upper case", c)
	}
	if _, err := currency.ParseISO(c); err != nil {
		return fmt.Errorf("unknown ISO 4217 currency %q", c)
	}
	if m.GetAmount() < 0 {
		return fmt.Errorf("amount must not be negative, got %d", m.GetAmount())
	}
	return nil
}

// Format renders m with the currency's standard number of decimals:
// 1999 CNY is "19.99 CNY".
func (m *Money) Format() string {
	amount, code := m.GetAmount(), m.GetCurrency()
	unit, err := currency.ParseISO(code)
	if err != nil {
		return fmt.Sprintf("%d %s", amount, code)
	}
	scale, _ := currency.Standard.Rounding(unit)
	sign := ""
	if amount < 0 {
		sign, amount = "-", -amount
	}
	if scale == 0 {
		return fmt.Sprintf("%s%d %s", sign, amount, code)
	}
	pow := int64(1)
	for range scale {
		pow *= 10
	}
	return fmt.Sprintf("%s%d.%0*d %s", sign, amount/pow, scale, amount%pow, code)
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
