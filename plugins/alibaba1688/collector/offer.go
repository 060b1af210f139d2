package collector

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/marketsync/marketsync/sdk"
	"golang.org/x/text/currency"
)

// The reply of com.alibaba.product:alibaba.cross.productInfo-1, as its
// documentation page (https://open.1688.com/api/apidocdetail.htm?id=com.alibaba.product:alibaba.cross.productInfo-1)
// describes it: productInfo (alibaba.product.ProductInfo), success and
// message. Only the fields we map are declared.
type productInfoReply struct {
	Success     *flexBool    `json:"success"`
	Message     string       `json:"message"`
	ProductInfo *productInfo `json:"productInfo"`
}

type productInfo struct {
	ProductID decimal `json:"productID"`
	// CategoryID is the offer's leaf category, whose attribute list
	// (alibaba.category.attribute.get) names the SKU properties the answer
	// gives by id alone.
	CategoryID decimal `json:"categoryID"`
	// Status is "published" for an offer on sale; the other documented
	// values (member expired, auto expired, expired, member deleted,
	// modified, new, deleted, TBD, approved, auditing, untread) are offers
	// a buyer cannot order now. Answers without a status are read as on
	// sale: the gateway answered with the offer's sale information to an
	// app allowed to read it, and refuses offers that are gone.
	Status      string `json:"status"`
	Subject     string `json:"subject"`
	Description string `json:"description"`
	// Language is the language of subject and description; "the 1688
	// website passes CHINESE by default".
	Language   string        `json:"language"`
	Image      productImages `json:"image"`
	Attributes []productAttr `json:"attributes"`
	SKUInfos   []skuInfo     `json:"skuInfos"`
	SaleInfo   saleInfo      `json:"saleInfo"`
	// LastUpdateTime is written like 20181219175505000+0800.
	LastUpdateTime string `json:"lastUpdateTime"`
}

type productImages struct {
	// Images are main images; the documentation says they are relative
	// paths to be prefixed with https://cbu01.alicdn.com/, and integrations
	// have seen absolute and protocol-relative ones too.
	Images []string `json:"images"`
}

type productAttr struct {
	AttributeName string `json:"attributeName"`
	Value         string `json:"value"`
}

type skuInfo struct {
	Attributes []skuAttr `json:"attributes"`
	// AmountOnSale is the SKU's stock (Integer).
	AmountOnSale decimal `json:"amountOnSale"`
	// Price is "the unit price of this specification when quoting" (used
	// when the offer quotes per SKU, quoteType 1).
	Price decimal `json:"price"`
	// PriceRange is the SKU's own quantity tiers (ProductSKUInfo.priceRange,
	// for offers priced in tiers per SKU, quoteType 3).
	PriceRange []priceRange `json:"priceRange"`
	// ConsignPrice is the "distribution base price; consignment
	// (dropshipping) always uses this price".
	ConsignPrice decimal `json:"consignPrice"`
	SKUID        decimal `json:"skuId"`
	SpecID       string  `json:"specId"`
}

// skuAttr is one property of a SKU. The documented example of the
// product model (alibaba.product.get) gives only attributeID and
// attributeValue, and the SDKs' SKUAttrInfo has no name field at all:
// attributeDisplayName and attributeName come in some answers only, so a
// name is looked up by attributeID in the category's attributes when
// neither is there.
type skuAttr struct {
	AttributeID          decimal `json:"attributeID"`
	AttributeValue       string  `json:"attributeValue"`
	CustomValueName      string  `json:"customValueName"`
	SKUImageURL          string  `json:"skuImageUrl"`
	AttributeDisplayName string  `json:"attributeDisplayName"`
	AttributeName        string  `json:"attributeName"`
}

type saleInfo struct {
	// PriceRanges are quantity tiers: the unit price from StartQuantity
	// pieces up.
	PriceRanges []priceRange `json:"priceRanges"`
	// AmountOnSale is the offer's stock (a Double in the model).
	AmountOnSale decimal `json:"amountOnSale"`
	// ConsignPrice is the offer's distribution base price, used when it
	// has no SKUs.
	ConsignPrice decimal `json:"consignPrice"`
	// QuoteType: FIXED_PRICE 0, SKU_PRICE 1, SKU_PRICE_RANGE_FOR_OFFER 2,
	// SKU_PRICE_RANGE 3.
	QuoteType decimal `json:"quoteType"`
}

type priceRange struct {
	StartQuantity decimal `json:"startQuantity"`
	Price         decimal `json:"price"`
}

// flexBool accepts true/false as JSON booleans or strings: some result
// models of the same family declare success as a String.
type flexBool bool

func (f *flexBool) UnmarshalJSON(b []byte) error {
	switch strings.Trim(string(bytes.TrimSpace(b)), `"`) {
	case "true":
		*f = true
	case "false", "null", "":
		*f = false
	default:
		return fmt.Errorf("not a boolean: %s", b)
	}
	return nil
}

// Source is Product.Source for every product of this plugin.
const Source = "alibaba1688"

// Currency of every 1688 price: the domestic site quotes in yuan and the
// API converts nothing.
const Currency = "CNY"

// imageHost completes the relative image paths the product APIs return
// (the ProductImageInfo documentation: "relative paths; add the domain
// https://cbu01.alicdn.com/").
const imageHost = "https://cbu01.alicdn.com/"

// OfferURL is the canonical desktop page of an offer.
func OfferURL(id string) string { return "https://detail.1688.com/offer/" + id + ".html" }

// Codes of the per-item errors the mapping makes. The platform's own
// business errors keep the platform's text as code.
const (
	CodeOfferStatus   = "offer_status"
	CodeUnnamedOption = "unnamed_option"
	CodeBadOffer      = "bad_offer"
	CodeNotAnOfferID  = "not_an_offer_id"
	CodeBadResponse   = "bad_response"
	CodeNoSuchOffer   = "商品不存在"
	CodeNoPermission  = "没有该商品的查询权限"
	CodeBusinessError = "success_false"
)

// languages maps the product model's language names (the FAQ's enum) to
// BCP 47 tags. An empty or unlisted value is Chinese: 1688 fills in
// CHINESE unless the seller wrote in another language.
var languages = map[string]string{
	"CHINESE":    "zh-CN",
	"ENGLISH":    "en",
	"JAPANESE":   "ja",
	"KOREAN":     "ko",
	"RUSSIAN":    "ru",
	"SPANISH":    "es",
	"PORTUGUESE": "pt",
	"FRENCH":     "fr",
	"GERMAN":     "de",
	"ITALIAN":    "it",
	"ARABIC":     "ar",
	"TURKISH":    "tr",
	"VIETNAMESE": "vi",
	"THAI":       "th",
	"INDONESIAN": "id",
}

func localeOf(language string) string {
	if tag, ok := languages[strings.ToUpper(strings.TrimSpace(language))]; ok {
		return tag
	}
	return "zh-CN"
}

// readOffer reads a productInfo reply for id. A reply that is not the
// documented JSON (cut short, garbled) is an error of the whole call,
// worth retrying; a refusal of this one offer is a per-item error.
func readOffer(id string, body []byte) (*productInfo, *sdk.Error, error) {
	var r productInfoReply
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, nil, sdk.Unavailable(CodeBadResponse, fmt.Sprintf("productInfo reply for %s is not the documented JSON: %v", id, err))
	}
	if r.ProductInfo == nil || (r.Success != nil && !bool(*r.Success)) {
		if r.Success == nil && r.Message == "" {
			return nil, nil, sdk.Unavailable(CodeBadResponse, fmt.Sprintf("productInfo reply for %s has neither productInfo nor success", id))
		}
		return nil, businessError(r.Message), nil
	}
	return r.ProductInfo, nil, nil
}

// onSale reports whether the offer can be ordered now (see Status).
func (in *productInfo) onSale() bool { return in.Status == "" || in.Status == "published" }

// unnamedAttrs lists the ids of SKU properties the answer does not name,
// each once, in order of appearance.
func (in *productInfo) unnamedAttrs() []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range in.SKUInfos {
		for _, a := range s.Attributes {
			id := string(a.AttributeID)
			if firstNonEmpty(a.AttributeDisplayName, a.AttributeName) == "" && !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	return out
}

// businessError classifies the message of a success=false reply. The
// productInfo documentation lists two: "商品[57374140142]不存在" (no such
// offer, or deleted) and "没有该商品的查询权限" (the app has no
// cross-border listing relation with the offer yet; it must be added to
// the listing list first).
func businessError(msg string) *sdk.Error {
	switch {
	case strings.Contains(msg, "不存在"):
		return sdk.NotFound(CodeNoSuchOffer, msg)
	case strings.Contains(msg, "没有该商品的查询权限"):
		return sdk.Invalid(CodeNoPermission, msg)
	case strings.Contains(msg, "繁忙"), strings.Contains(strings.ToLower(msg), "busy"):
		return sdk.Unavailable(CodeBusinessError, msg)
	}
	return sdk.Invalid(CodeBusinessError, msg)
}

// mapOffer turns one productInfo into the canonical product; names are
// the names of its category's attributes by id (nil when the answer names
// every SKU property itself). An offer not on sale is NOT_FOUND; an offer
// whose data cannot be mapped faithfully (no title, a price with three
// decimals, a SKU property nobody names) is INVALID, alone.
func mapOffer(id string, in *productInfo, names map[string]string) (*sdk.Product, *sdk.Error) {
	if got := string(in.ProductID); got != "" && got != id {
		return nil, sdk.Invalid(CodeBadOffer, fmt.Sprintf("asked for offer %s, got %s", id, got))
	}
	if !in.onSale() {
		return nil, sdk.NotFound(CodeOfferStatus, fmt.Sprintf("offer %s is not on sale (status %q)", id, in.Status))
	}
	subject := strings.TrimSpace(in.Subject)
	if subject == "" {
		return nil, sdk.Invalid(CodeBadOffer, fmt.Sprintf("offer %s has no subject", id))
	}
	locale := localeOf(in.Language)
	p := &sdk.Product{
		ID:        id,
		Source:    Source,
		Title:     map[string]string{locale: subject},
		URL:       OfferURL(id),
		UpdatedAt: parseTime(in.LastUpdateTime),
	}
	if d := strings.TrimSpace(in.Description); d != "" {
		p.Description = map[string]string{locale: d}
	}
	for _, raw := range in.Image.Images {
		if u := imageURL(raw); u != "" {
			p.Images = append(p.Images, sdk.Image{URL: u})
		}
	}
	for _, a := range in.Attributes {
		if name := strings.TrimSpace(a.AttributeName); name != "" {
			p.Attributes = append(p.Attributes, sdk.Attribute{Name: name, Value: strings.TrimSpace(a.Value), Locale: locale})
		}
	}
	var err error
	if len(in.SKUInfos) == 0 {
		var v sdk.Variant
		v, err = offerVariant(id, &in.SaleInfo)
		p.Variants = []sdk.Variant{v}
	} else {
		p.Variants = make([]sdk.Variant, 0, len(in.SKUInfos))
		for i := range in.SKUInfos {
			var v sdk.Variant
			if v, err = skuVariant(&in.SKUInfos[i], &in.SaleInfo, names); err != nil {
				break
			}
			p.Variants = append(p.Variants, v)
		}
	}
	if err == nil {
		// The host validates too, but its error could not say which
		// platform record was wrong.
		err = p.Validate()
	}
	var unnamed *unnamedError
	switch {
	case errors.As(err, &unnamed):
		unnamed.category = string(in.CategoryID)
		return nil, sdk.Invalid(CodeUnnamedOption, fmt.Sprintf("offer %s: %v", id, err))
	case err != nil:
		return nil, sdk.Invalid(CodeBadOffer, fmt.Sprintf("offer %s: %v", id, err))
	}
	return p, nil
}

// unnamedError is a SKU property that neither the answer nor its
// category's attributes name. The offer fails rather than showing a
// seller an option called "3216".
type unnamedError struct{ attrID, category string }

func (e *unnamedError) Error() string {
	return fmt.Sprintf("SKU property %s has no name in the answer nor among the attributes of category %s", e.attrID, e.category)
}

// scale is the number of decimals of Currency, from ISO 4217 (2 for CNY).
var scale = func() int {
	s, _ := currency.Standard.Rounding(currency.MustParseISO(Currency))
	return s
}()

// offerVariant is the one variant of an offer without SKUs; its SKU is
// the offer id.
func offerVariant(id string, sale *saleInfo) (sdk.Variant, error) {
	price, err := unitPrice(sale.ConsignPrice, "", nil, sale.PriceRanges)
	if err != nil {
		return sdk.Variant{}, err
	}
	stock, err := count(sale.AmountOnSale)
	if err != nil {
		return sdk.Variant{}, fmt.Errorf("amountOnSale: %w", err)
	}
	return sdk.Variant{SKU: id, Price: price, Stock: stock}, nil
}

func skuVariant(s *skuInfo, sale *saleInfo, names map[string]string) (sdk.Variant, error) {
	v := sdk.Variant{SKU: string(s.SKUID)}
	if v.SKU == "" {
		v.SKU = s.SpecID
	}
	if v.SKU == "" {
		return v, fmt.Errorf("a SKU has neither skuId nor specId")
	}
	for _, a := range s.Attributes {
		value := firstNonEmpty(a.AttributeValue, a.CustomValueName)
		if value == "" {
			continue
		}
		name := firstNonEmpty(a.AttributeDisplayName, a.AttributeName, names[string(a.AttributeID)])
		if name == "" {
			return v, &unnamedError{attrID: string(a.AttributeID)}
		}
		v.Options = append(v.Options, sdk.Option{Name: name, Value: value})
		if v.Image == "" {
			v.Image = imageURL(a.SKUImageURL)
		}
	}
	var err error
	if v.Price, err = unitPrice(s.ConsignPrice, s.Price, s.PriceRange, sale.PriceRanges); err != nil {
		return v, fmt.Errorf("SKU %s: %w", v.SKU, err)
	}
	if v.Stock, err = count(s.AmountOnSale); err != nil {
		return v, fmt.Errorf("SKU %s amountOnSale: %w", v.SKU, err)
	}
	return v, nil
}

// unitPrice picks the price one piece costs a reseller, in this order:
//
//  1. consignPrice, the distribution base price, which the platform says
//     every consignment (dropship) order uses — exactly the case of a
//     seller listing 1688 goods elsewhere and buying one at a time;
//  2. the SKU's own price, for offers quoted per SKU;
//  3. the price of the lowest quantity tier of the SKU's own priceRange
//     (offers priced in tiers per SKU), then of saleInfo.priceRanges: the
//     highest unit price on offer, the one that holds for a small order.
//
// A zero consignPrice means "not set" (offers that do not dropship).
func unitPrice(consign, quoted decimal, skuRanges, offerRanges []priceRange) (sdk.Money, error) {
	lit := ""
	switch {
	case !consign.isZero():
		lit = string(consign)
	case quoted != "":
		lit = string(quoted)
	default:
		var err error
		if lit, err = smallOrderPrice("priceRange", skuRanges); err == nil && lit == "" {
			lit, err = smallOrderPrice("priceRanges", offerRanges)
		}
		if err != nil {
			return sdk.Money{}, err
		}
		if lit == "" {
			return sdk.Money{}, fmt.Errorf("no consignPrice, price or price range")
		}
	}
	amount, err := minorUnits(lit, scale)
	if err != nil {
		return sdk.Money{}, fmt.Errorf("price: %w", err)
	}
	return sdk.Money{Amount: amount, Currency: Currency}, nil
}

// smallOrderPrice is the price of the tier with the smallest start
// quantity, empty when no tier has a price.
func smallOrderPrice(field string, ranges []priceRange) (string, error) {
	best := -1
	var bestQty int64
	for i, r := range ranges {
		if r.Price == "" {
			continue
		}
		q, err := count(r.StartQuantity)
		if err != nil {
			return "", fmt.Errorf("%s[%d].startQuantity: %w", field, i, err)
		}
		if best < 0 || q < bestQty {
			best, bestQty = i, q
		}
	}
	if best < 0 {
		return "", nil
	}
	return string(ranges[best].Price), nil
}

// count reads a whole number (stock, quantities); absent is zero.
func count(d decimal) (int64, error) {
	if d == "" {
		return 0, nil
	}
	return minorUnits(string(d), 0)
}

// imageURL makes an absolute https URL of what the API returns: a path
// relative to the image host, a protocol-relative //host/path, or an
// absolute URL (kept).
func imageURL(raw string) string {
	s := strings.TrimSpace(raw)
	switch {
	case s == "":
		return ""
	case strings.HasPrefix(s, "//"):
		return "https:" + s
	case strings.HasPrefix(s, "https://"), strings.HasPrefix(s, "http://"):
		return s
	}
	return imageHost + strings.TrimLeft(s, "/")
}

// parseTime reads the gateway's default date format,
// yyyyMMddHHmmssSSS followed by a zone offset (20181219175505000+0800).
// Anything else leaves UpdatedAt unset rather than failing the offer.
func parseTime(s string) time.Time {
	if len(s) != len("20181219175505000+0800") || !allDigits(s[:17]) {
		return time.Time{}
	}
	t, err := time.Parse("20060102150405-0700", s[:14]+s[17:])
	if err != nil {
		return time.Time{}
	}
	ms := int(s[14]-'0')*100 + int(s[15]-'0')*10 + int(s[16]-'0')
	return t.Add(time.Duration(ms) * time.Millisecond)
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}
