package collector

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/marketsync/marketsync/plugins/aliexpress/iop"
	"github.com/marketsync/marketsync/sdk"
)

// Source is the platform's name in Product.Source.
const Source = "aliexpress"

// Languages maps the target_language codes of the dropshipping APIs (EN,
// RU, PT, ES, FR, ID, IT, TH, JA, AR, VI, TR, DE, HE, KO, NL, PL, MX, CL,
// IW, IN, as aliexpress.ds.image.search lists them) to the BCP 47 tags of
// the text they return. IW and IN are Java's legacy codes for Hebrew and
// Indonesian ("in(Indonesian)" in the product-posting documentation); MX
// and CL are the Spanish of Mexico and Chile.
var Languages = map[string]string{
	"EN": "en", "RU": "ru", "PT": "pt", "ES": "es", "FR": "fr", "ID": "id", "IN": "id",
	"IT": "it", "TH": "th", "JA": "ja", "AR": "ar", "VI": "vi", "TR": "tr", "DE": "de",
	"HE": "he", "IW": "he", "KO": "ko", "NL": "nl", "PL": "pl", "MX": "es-MX", "CL": "es-CL",
}

// ProductURL is a product's canonical desktop page.
func ProductURL(id string) string { return "https://www.aliexpress.com/item/" + id + ".html" }

// Business answer codes of aliexpress.ds.product.get (rsp_code): 200 "Call
// succeeds"; 605 ITEM_ID_NOT_FOUND for a product that does not exist or
// was deleted; 482 SHIP_TO_COUNTRY_PROHIBITED for one that cannot be
// shipped to ship_to_country. The platform's documentation of this API
// lists rsp_code without its values; these are the ones its answers carry.
const (
	RspOK               = "200"
	RspItemNotFound     = "605"
	RspShipToProhibited = "482"
)

// statusOnSelling is the product_status_type of a product on sale.
const statusOnSelling = "onSelling"

// Codes of the per-item errors Product makes itself; the others carry the
// platform's rsp_code or product_status_type.
const (
	CodeNoTitle         = "no_title"
	CodeNoSKU           = "no_sku"
	CodeBadPrice        = "bad_price"
	CodeWrongProduct    = "wrong_product"
	CodeInvalidProduct  = "invalid_product"
	CodeUnknownCurrency = "unknown_currency"
)

// Target is what the plugin asked the platform for: the target_language
// code and the target_currency.
type Target struct {
	Language string
	Currency string
}

// Product maps one answer of aliexpress.ds.product.get for id into the
// canonical model, or says why the item fails alone. A product that does
// not exist, was deleted, is off the shelf or cannot be shipped to the
// configured country is NOT_FOUND; an answer the model cannot hold (no
// title, no SKU, a price the currency cannot represent) is INVALID.
//
// The title and texts are in the requested language, because the API
// translates (its subject follows target_language); prices are in the
// currency each SKU states, which is the requested one.
func Product(id string, r *ProductGetResponse, t Target) (*sdk.Product, *sdk.Error) {
	switch code := string(r.RspCode); code {
	case "", RspOK:
	case RspItemNotFound, RspShipToProhibited:
		return nil, sdk.NotFound(code, r.RspMsg)
	default:
		// Other codes are not documented: a 5xx-like one is taken for the
		// service's trouble, anything else for a request it refused.
		if n, err := strconv.Atoi(code); err == nil && n >= 500 && n < 600 {
			return nil, sdk.Unavailable(code, r.RspMsg)
		}
		return nil, sdk.Invalid(code, r.RspMsg)
	}
	if r.Result == nil {
		return nil, sdk.Unavailable(iop.CodeMalformed, "answer without a result")
	}
	base := r.Result.Base
	if got := string(base.ProductID); got != id {
		return nil, sdk.Invalid(CodeWrongProduct, fmt.Sprintf("asked for product %s, the answer describes %q", id, got))
	}
	// An answer that states no status is taken for a product on sale: the
	// API answers 605 for one that is gone, and states the status of one
	// off the shelf.
	if base.ProductStatusType != "" && base.ProductStatusType != statusOnSelling {
		msg := "product is " + base.ProductStatusType
		if base.WsDisplay != "" {
			msg += " (" + base.WsDisplay + ")"
		}
		return nil, sdk.NotFound(base.ProductStatusType, msg)
	}
	locale, ok := Languages[t.Language]
	if !ok {
		return nil, sdk.Invalid("target_language", fmt.Sprintf("no language tag for %q", t.Language))
	}
	title := strings.TrimSpace(base.Subject)
	if title == "" {
		return nil, sdk.Invalid(CodeNoTitle, "the product has no subject")
	}
	variants, perr := variants(id, r.Result.SKUs, t.Currency)
	if perr != nil {
		return nil, perr
	}
	p := &sdk.Product{
		ID:       id,
		Source:   Source,
		Title:    map[string]string{locale: title},
		Variants: variants,
		URL:      ProductURL(id),
	}
	if d := strings.TrimSpace(base.Detail); d != "" {
		p.Description = map[string]string{locale: d}
	}
	if t, err := ParseTime(base.GmtModified); err == nil {
		p.UpdatedAt = t
	}
	if r.Result.Multimedia != nil {
		p.Images = images(r.Result.Multimedia.ImageURLs)
	}
	for _, a := range r.Result.Properties {
		if name := strings.TrimSpace(a.AttrName); name != "" {
			p.Attributes = append(p.Attributes, sdk.Attribute{Name: name, Value: strings.TrimSpace(a.AttrValue), Locale: locale})
		}
	}
	if err := p.Validate(); err != nil {
		return nil, sdk.Invalid(CodeInvalidProduct, err.Error())
	}
	return p, nil
}

// variants maps the SKUs. A variant is keyed by sku_attr, the documented
// SKU identity, or by id where an older answer has only that; a SKU with
// neither keeps its sku_id. A product sold without options still has one
// SKU entry, without properties; it becomes one variant named by the
// product id, since its SKU names nothing a buyer chooses.
func variants(id string, skus []SKUInfo, fallbackCurrency string) ([]sdk.Variant, *sdk.Error) {
	if len(skus) == 0 {
		return nil, sdk.Invalid(CodeNoSKU, "the product has no SKU")
	}
	single := len(skus) == 1 && len(skus[0].Properties) == 0
	// SKUs of one product share a currency: look its digits up once.
	lastCur, d := "", 0
	out := make([]sdk.Variant, len(skus))
	for i, s := range skus {
		v := sdk.Variant{SKU: skuKey(s), Stock: stock(s)}
		if single {
			v.SKU = id
		}
		cur := s.CurrencyCode
		if cur == "" {
			cur = fallbackCurrency
		}
		if cur != lastCur {
			var err error
			if d, err = MinorDigits(cur); err != nil {
				return nil, sdk.Invalid(CodeUnknownCurrency, fmt.Sprintf("SKU %s: %v", v.SKU, err))
			}
			lastCur = cur
		}
		price := s.OfferSalePrice
		if price == "" {
			price = s.SkuPrice
		}
		amount, err := ParseAmount(price, d)
		if err != nil {
			return nil, sdk.Invalid(CodeBadPrice, fmt.Sprintf("SKU %s price in %s: %v", v.SKU, cur, err))
		}
		v.Price = sdk.Money{Amount: amount, Currency: cur}
		if len(s.Properties) > 0 {
			v.Options = make([]sdk.Option, 0, len(s.Properties))
		}
		for _, prop := range s.Properties {
			// The seller's own name for a value is what buyers see; the
			// platform's standard value stays behind it.
			o := sdk.Option{Name: strings.TrimSpace(prop.SkuPropertyName), Value: strings.TrimSpace(prop.SkuPropertyValue)}
			if custom := strings.TrimSpace(prop.PropertyValueDefinitionName); custom != "" && custom != o.Value {
				o.Value, o.StandardValue = custom, o.Value
			}
			v.Options = append(v.Options, o)
			if v.Image == "" {
				v.Image = absoluteURL(prop.SkuImage)
			}
		}
		out[i] = v
	}
	return out, nil
}

func skuKey(s SKUInfo) string {
	for _, k := range []string{s.SkuAttr, s.ID, string(s.SkuID)} {
		if k = strings.TrimSpace(k); k != "" {
			return k
		}
	}
	return ""
}

// timeZone is the zone of the dates in the answers of the /sync gateway:
// it is the TOP router, whose Date fields are "yyyy-MM-dd HH:mm:ss" in
// GMT+8 (the TOP Java SDK's com/taobao/api/Constants.java:
// DATE_TIME_FORMAT, DATE_TIMEZONE = "GMT+8"), which the IOP SDK's
// TopExecutor keeps for /sync calls.
var timeZone = time.FixedZone("GMT+8", 8*60*60)

// ParseTime reads a date of an answer, such as gmt_modified
// ("2024-01-03 03:06:52"), as an instant in UTC.
func ParseTime(s string) (time.Time, error) {
	t, err := time.ParseInLocation(time.DateTime, strings.TrimSpace(s), timeZone)
	return t.UTC(), err
}

// stock is the SKU's available stock: sku_available_stock, else
// ipm_sku_stock; a count the platform does not give, or a negative one,
// is none.
func stock(s SKUInfo) int64 {
	for _, v := range []iop.Scalar{s.AvailableStock, s.IpmSkuStock} {
		if n, err := strconv.ParseInt(string(v), 10, 64); err == nil {
			return max(n, 0)
		}
	}
	return 0
}

// images splits image_urls, makes every URL absolute and drops empty,
// unusable and repeated ones.
func images(joined string) []sdk.Image {
	var out []sdk.Image
	seen := map[string]bool{}
	for _, raw := range strings.Split(joined, ";") {
		u := absoluteURL(raw)
		if u == "" || seen[u] {
			continue
		}
		seen[u] = true
		out = append(out, sdk.Image{URL: u})
	}
	return out
}

// absoluteURL turns the platform's protocol-relative picture URLs
// ("//ae01.alicdn.com/kf/…") into https ones; it returns "" for anything
// that is not an http(s) URL.
func absoluteURL(raw string) string {
	u := strings.TrimSpace(raw)
	switch {
	case strings.HasPrefix(u, "//"):
		return "https:" + u
	case strings.HasPrefix(u, "https://"), strings.HasPrefix(u, "http://"):
		return u
	}
	return ""
}
