package collector

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/marketsync/marketsync/plugins/taobao/top"
	"github.com/marketsync/marketsync/sdk"
)

// Source is Product.Source for everything this plugin returns.
const Source = "taobao"

// Locale of titles and attribute names: Taobao and Tmall publish in
// simplified Chinese and TOP does not translate.
const Locale = "zh-CN"

// Currency of every TOP item price: the Sku and Item structures document
// price as 元 (yuan) with two decimals ("sku售价, 单位: 元, 两位小数" in the
// Java SDK's com/taobao/api/domain/Sku.java).
const Currency = "CNY"

// currencyDecimals is CNY's minor-unit exponent (ISO 4217: 2, the fen).
const currencyDecimals = 2

// itemFields are the Item fields fetched with taobao.items.seller.list.get.
// Its documentation (apiId=40575 on developer.alibaba.com; the fields
// parameter as the generated SDK bububa/opentaobao@3eac8361:model/tbitem/
// TaobaoItemsSellerListGetAPIRequest.go quotes it) accepts any field of the
// Item structure ("可选值：点击返回结果中的Item结构体中能展示出来的所有字段")
// and notes that the SKUs are asked for as "sku", not "skus"; the images
// likewise as "item_img". The Item structure
// (bububa/opentaobao@206d25cc:model/tbitem/Item.go) holds desc, the HTML
// description, and property_alias, the seller's names for property
// values, so both come in the same call and cost no extra quota.
const itemFields = "num_iid,title,approve_status,price,num,pic_url,item_img,sku,props_name,property_alias,desc,modified"

// item is the part of TOP's Item structure this plugin reads. Lists come
// wrapped as the non-simplified JSON format writes them: "skus":{"sku":[…]}
// (the Java SDK's @ApiListField("skus") @ApiField("sku")). Numbers are
// of type number, so that they read the same whether the gateway writes
// them bare or quoted.
type item struct {
	NumIID        number `json:"num_iid"`
	Title         string `json:"title"`
	ApproveStatus string `json:"approve_status"`
	Price         number `json:"price"`
	Num           number `json:"num"`
	PicURL        string `json:"pic_url"`
	PropsName     string `json:"props_name"`
	PropertyAlias string `json:"property_alias"`
	Desc          string `json:"desc"`
	Modified      string `json:"modified"`
	ItemImgs      struct {
		ItemImg []itemImg `json:"item_img"`
	} `json:"item_imgs"`
	Skus struct {
		Sku []sku `json:"sku"`
	} `json:"skus"`
}

type itemImg struct {
	URL      string `json:"url"`
	Position number `json:"position"`
}

// sku follows com/taobao/api/domain/Sku.java: price in yuan as a decimal
// string, properties "pid:vid;pid:vid", properties_name
// "pid:vid:name:value;…", status "normal" or "delete".
type sku struct {
	SkuID          number `json:"sku_id"`
	Price          number `json:"price"`
	Quantity       number `json:"quantity"`
	Properties     string `json:"properties"`
	PropertiesName string `json:"properties_name"`
	Status         string `json:"status"`
}

// Approve statuses of an item: "onsale" (出售中) or "instock" (in the
// warehouse, i.e. off-shelf).
const statusOnSale = "onsale"

// mapItem turns one item into a canonical product, or into a per-item
// error: NOT_FOUND for an item that is not on sale, INVALID for an answer
// that cannot be read (a price with more decimals than fen, a SKU without
// names) so that one bad item never fails its batch.
//
// An answer without approve_status is taken for an item on sale: the API
// leaves out deleted and foreign items altogether and states "instock" for
// one off the shelf, so only a stated status other than "onsale" hides
// the item. Pictures are kept as the item lists them, repeats included,
// and the category properties include the sale properties: the host
// removes repeated pictures and attributes that restate an option
// (model.Normalize), which works here because props_name and
// properties_name name a property identically.
func mapItem(it *item) (*sdk.Product, *sdk.Error) {
	id := it.NumIID.String()
	if it.ApproveStatus != "" && it.ApproveStatus != statusOnSale {
		return nil, sdk.NotFound("off_shelf", fmt.Sprintf("item %s is not on sale (approve_status %q)", id, it.ApproveStatus))
	}
	p := &sdk.Product{
		ID:     id,
		Source: Source,
		Title:  map[string]string{Locale: it.Title},
		URL:    ItemURL(id),
	}
	if d := strings.TrimSpace(it.Desc); d != "" {
		// The HTML as the seller wrote it; publishing sanitises it for
		// each store.
		p.Description = map[string]string{Locale: it.Desc}
	}
	if t, err := top.ParseTimestamp(it.Modified); err == nil {
		p.UpdatedAt = t.UTC()
	}
	p.Images = images(it)
	p.Attributes = attributes(it.PropsName)
	aliases, err := ParseAliases(it.PropertyAlias)
	if err != nil {
		return nil, sdk.Invalid("bad_alias", fmt.Sprintf("item %s: %v", id, err))
	}
	for i := range it.Skus.Sku {
		s := &it.Skus.Sku[i]
		if s.Status == "delete" {
			continue // a deleted SKU stays in the list with this status
		}
		v, err := mapSKU(s, aliases)
		if err != nil {
			return nil, sdk.Invalid("bad_sku", fmt.Sprintf("item %s sku %s: %v", id, s.SkuID, err))
		}
		p.Variants = append(p.Variants, v)
	}
	if len(it.Skus.Sku) > 0 && len(p.Variants) == 0 {
		return nil, sdk.NotFound("no_sku", fmt.Sprintf("item %s has no SKU left that is not deleted", id))
	}
	if len(p.Variants) == 0 {
		// An item without sales properties is sold as itself: one
		// variant, its SKU the item id, priced and counted on the item.
		amount, err := ParsePrice(it.Price.String())
		if err != nil {
			return nil, sdk.Invalid("bad_price", fmt.Sprintf("item %s: %v", id, err))
		}
		stock, err := count(it.Num)
		if err != nil {
			return nil, sdk.Invalid("bad_stock", fmt.Sprintf("item %s: %v", id, err))
		}
		p.Variants = []sdk.Variant{{SKU: id, Price: sdk.Money{Amount: amount, Currency: Currency}, Stock: stock}}
	}
	return p, nil
}

func mapSKU(s *sku, aliases map[string]string) (sdk.Variant, error) {
	amount, err := ParsePrice(s.Price.String())
	if err != nil {
		return sdk.Variant{}, err
	}
	stock, err := count(s.Quantity)
	if err != nil {
		return sdk.Variant{}, err
	}
	opts, err := ParseOptions(s.Properties, s.PropertiesName, aliases)
	if err != nil {
		return sdk.Variant{}, err
	}
	return sdk.Variant{SKU: s.SkuID.String(), Options: opts, Price: sdk.Money{Amount: amount, Currency: Currency}, Stock: stock}, nil
}

// number is a numeric field as TOP writes it, bare (39.9) or quoted
// ("39.90"). Its text is kept as sent and parsed per item, so a malformed
// value ("price":"") fails its item, not the whole answer, as decoding into
// json.Number would.
type number string

func (n *number) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		*n = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*n = number(s)
	default:
		*n = number(b)
	}
	return nil
}

func (n number) String() string { return string(n) }

// Int64 reads n as a whole number.
func (n number) Int64() (int64, error) { return strconv.ParseInt(string(n), 10, 64) }

func count(n number) (int64, error) {
	if n == "" {
		return 0, nil
	}
	v, err := n.Int64()
	if err != nil || v < 0 {
		return 0, fmt.Errorf("quantity %q is not a count", n)
	}
	return v, nil
}

// ParsePrice reads a price in yuan ("39", "39.9", "39.90") as integer fen
// without floating point: the digits before and after the point are
// parsed as integers. More decimals than the fen allows are refused rather
// than rounded, since the platform promises two at most and a third would
// mean the number is not what we think it is.
func ParsePrice(s string) (int64, error) {
	whole, frac, hasPoint := strings.Cut(s, ".")
	if whole == "" || (hasPoint && frac == "") {
		return 0, fmt.Errorf("price %q is not a decimal number", s)
	}
	if len(frac) > currencyDecimals {
		return 0, fmt.Errorf("price %q has more than %d decimals", s, currencyDecimals)
	}
	var n int64
	for _, part := range []string{whole, frac + strings.Repeat("0", currencyDecimals-len(frac))} {
		for i := 0; i < len(part); i++ {
			d := part[i]
			if d < '0' || d > '9' {
				return 0, fmt.Errorf("price %q is not a decimal number", s)
			}
			digit := int64(d - '0')
			if n > (math.MaxInt64-digit)/10 {
				return 0, fmt.Errorf("price %q is too large", s)
			}
			n = n*10 + digit
		}
	}
	return n, nil
}

var errNoNames = errors.New("sku has properties but no properties_name")

// unescapeName restores the two characters TOP rewrites inside property
// names and values: props_name "属性名称中的冒号":"被转换为："#cln#"; 分号";"
// 被转换为："#scln#"" (the Item structure's documentation,
// bububa/opentaobao@206d25cc:model/tbitem/Item.go).
func unescapeName(s string) string {
	if !strings.Contains(s, "#") {
		return s // the common case, without the replacer's copy
	}
	return nameEscapes.Replace(s)
}

var nameEscapes = strings.NewReplacer("#cln#", ":", "#scln#", ";")

// ParseAliases reads property_alias, the seller's own names for property
// values, "pid:vid:alias;…" ("1627207:28320:白色;20503:3267945:XL"), into
// alias by "pid:vid".
func ParseAliases(s string) (map[string]string, error) {
	var out map[string]string
	for _, part := range strings.Split(s, ";") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		f := strings.SplitN(part, ":", 3)
		if len(f) != 3 || f[0] == "" || f[1] == "" {
			return nil, fmt.Errorf("property_alias entry %q is not pid:vid:alias", part)
		}
		if alias := strings.TrimSpace(unescapeName(f[2])); alias != "" {
			if out == nil {
				out = map[string]string{}
			}
			out[f[0]+":"+f[1]] = alias
		}
	}
	return out, nil
}

// ParseOptions turns a SKU's sales properties into named options. names is
// properties_name, "pid:vid:name:value" pairs joined by ";", for example
// "1627207:28320:颜色分类:红色;20509:28315:尺码:M"; properties is the
// "pid:vid;…" list the names belong to, and every pid:vid of it must be
// named. A value may itself contain ':' (it is the last field). aliases
// (from ParseAliases) holds the seller's names for values: an option shows
// the alias a buyer sees on the item page and keeps the platform's value
// as StandardValue.
func ParseOptions(properties, names string, aliases map[string]string) ([]sdk.Option, error) {
	if strings.TrimSpace(names) == "" {
		if strings.TrimSpace(properties) != "" {
			return nil, errNoNames
		}
		return nil, nil
	}
	named := map[string]bool{}
	var opts []sdk.Option
	for _, part := range strings.Split(names, ";") {
		if part == "" {
			continue
		}
		f := strings.SplitN(part, ":", 4)
		if len(f) != 4 || f[2] == "" || f[3] == "" {
			return nil, fmt.Errorf("properties_name entry %q is not pid:vid:name:value", part)
		}
		key := f[0] + ":" + f[1]
		named[key] = true
		o := sdk.Option{Name: unescapeName(f[2]), Value: unescapeName(f[3])}
		if alias, ok := aliases[key]; ok && alias != o.Value {
			o.Value, o.StandardValue = alias, o.Value
		}
		opts = append(opts, o)
	}
	for _, pv := range strings.Split(properties, ";") {
		if pv != "" && !named[pv] {
			return nil, fmt.Errorf("property %q has no name in properties_name", pv)
		}
	}
	return opts, nil
}

// images lists the item's pictures in their display order (item_img
// position), falling back to the main picture pic_url when the item has no
// item_img list.
func images(it *item) []sdk.Image {
	imgs := it.ItemImgs.ItemImg
	if len(imgs) == 0 {
		if it.PicURL == "" {
			return nil
		}
		return []sdk.Image{{URL: absoluteURL(it.PicURL)}}
	}
	sorted := make([]itemImg, len(imgs))
	copy(sorted, imgs)
	sort.SliceStable(sorted, func(i, j int) bool {
		a, _ := sorted[i].Position.Int64()
		b, _ := sorted[j].Position.Int64()
		return a < b
	})
	out := make([]sdk.Image, 0, len(sorted))
	for _, img := range sorted {
		if img.URL != "" {
			out = append(out, sdk.Image{URL: absoluteURL(img.URL)})
		}
	}
	return out
}

// absoluteURL gives protocol-relative picture URLs ("//img.alicdn.com/…",
// as alicdn links are often written) the https scheme the CDN serves.
func absoluteURL(u string) string {
	if strings.HasPrefix(u, "//") {
		return "https:" + u
	}
	return u
}

// attributes reads props_name, the item's category properties in the
// same "pid:vid:name:value;…" form, as zh-CN attributes. A property with
// several values (a sale property lists every colour) is one attribute a
// value, with the standard value: the seller's aliases belong to the
// options.
func attributes(propsName string) []sdk.Attribute {
	var out []sdk.Attribute
	for _, part := range strings.Split(propsName, ";") {
		f := strings.SplitN(part, ":", 4)
		if len(f) == 4 && strings.TrimSpace(f[2]) != "" {
			out = append(out, sdk.Attribute{Name: unescapeName(f[2]), Value: unescapeName(f[3]), Locale: Locale})
		}
	}
	return out
}
