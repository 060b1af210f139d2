package sim

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/simkit"
)

// itemState is where an item is in its life on the platform.
type itemState int

const (
	onSale  itemState = iota // approve_status "onsale"
	inStock                  // approve_status "instock": off-shelf
	deleted                  // gone: the APIs return nothing for it
)

// catalogItem is one generated item, kept in the simulator's own terms:
// prices in fen, options as name/value pairs. The JSON the gateway writes
// is rendered from it; Expect reads it directly.
type catalogItem struct {
	id        int64
	title     string
	state     itemState
	price     int64 // fen; the lowest SKU price for items with SKUs
	num       int64 // stock; the sum over the SKUs for items with SKUs
	images    []string
	picOnly   bool // the single image is given as pic_url alone
	props     []prop
	skus      []catalogSKU
	listTime  time.Time
	modified  time.Time
	priceForm int    // how prices are written, see writePrice
	desc      string // the HTML description, "" for none
	// noStatus leaves approve_status out of the answer (the item is on
	// sale); quoted writes its numbers as JSON strings; repeatImage lists
	// its first picture once more, under another spelling of the host,
	// as sellers' carousels do.
	noStatus, quoted, repeatImage bool
}

// prop is a property value. alias is the seller's own name for the value
// (property_alias), "" for none; text is the platform's standard value.
type prop struct {
	pid, vid          int64
	name, text, alias string
}

// shown is the value a buyer sees: the alias when there is one.
func (p prop) shown() string {
	if p.alias != "" {
		return p.alias
	}
	return p.text
}

type catalogSKU struct {
	id      int64
	props   []prop
	price   int64
	stock   int64
	deleted bool
}

// The vocabulary of generated titles: brand, style, material and product.
var (
	brandWords    = strings.Fields("南极人 恒源祥 稻草人 回力 森马 美特斯邦威 太平鸟 优衣坊")
	styleWords    = strings.Fields("2026新款 夏季 加绒 宽松 修身 复古 ins风 百搭")
	materialWords = strings.Fields("纯棉 冰丝 羊绒 真皮 帆布 雪纺 牛仔 莫代尔")
	productWords  = strings.Fields("短袖T恤 连衣裙 卫衣 帆布鞋 双肩包 牛仔裤 睡衣套装 棒球帽")
	colorValues   = strings.Fields("黑色 白色 红色 藏青色 卡其色 浅灰色")
	colorAliases  = strings.Fields("曜石黑 云朵白 樱桃红 深海蓝 燕麦卡其 雾霾灰")
	// sizeValues are the standard values of 尺码 and sizeAliases the
	// names sellers give them, as in real answers ("180/100(XL)" shown
	// as "XL").
	sizeValues  = strings.Fields("160/84(S) 165/88(M) 170/92(L) 175/96(XL) 180/100(2XL)")
	sizeAliases = strings.Fields("S M L XL 2XL")
)

// Taobao's property ids for the two sales properties the catalogue uses,
// and for brand and material among the item properties.
const (
	pidColor    = 1627207 // 颜色分类
	pidSize     = 20509   // 尺码
	pidBrand    = 20000   // 品牌
	pidMaterial = 20021   // 材质成分
)

// firstItemID is the first generated num_iid; ids are 12 digits like the
// platform's.
const firstItemID = 620000000000

// epoch anchors the generated times; items are listed an hour apart.
var epoch = time.Date(2026, 1, 1, 9, 0, 0, 0, gmt8)

func generate(seed uint64, n int) []catalogItem {
	return simkit.Generate(seed, n, generateItem)
}

func generateItem(r *simkit.Draw) catalogItem {
	i := r.Index
	title, k := r.Title("", brandWords, styleWords, materialWords, productWords)
	bk, brand, mk, material := k[0], brandWords[k[0]], k[2], materialWords[k[2]]
	it := catalogItem{
		id:        firstItemID + int64(i)*37 + int64(r.IntN(37)),
		title:     title,
		listTime:  epoch.Add(time.Duration(i) * time.Hour),
		modified:  epoch.Add(time.Duration(i)*time.Hour + time.Duration(r.IntN(3600))*time.Second),
		priceForm: r.IntN(2),
		props: []prop{
			{pid: pidBrand, vid: 100000 + int64(bk), name: "品牌", text: brand},
			{pid: pidMaterial, vid: 200000 + int64(mk), name: "材质成分", text: material},
		},
	}
	switch roll := r.IntN(100); {
	case roll < 5:
		it.state = deleted
	case roll < 12:
		it.state = inStock
	}
	nImages := r.IntN(6) // 0 to 5; one in six items has none
	for k := range nImages {
		host := "//img.alicdn.com"
		if k%2 == 1 {
			host = "https://gd1.alicdn.com"
		}
		it.images = append(it.images, fmt.Sprintf("%s/imgextra/i%d/%d/O1CN01%08X_!!%d.jpg", host, 1+k%4, it.id%1000000, r.Uint32(), it.id))
	}
	it.picOnly = nImages == 1 && r.IntN(2) == 0
	it.repeatImage = nImages >= 2 && r.IntN(3) == 0
	if r.IntN(5) > 0 {
		it.desc = fmt.Sprintf(`<p>%s</p><p>面料：%s</p><img src="https://img.alicdn.com/imgextra/i1/%d/O1CN01desc%d_!!%d.jpg">`, title, material, it.id%1000000, i, it.id)
	}
	it.noStatus = it.state == onSale && r.IntN(8) == 0
	it.quoted = r.IntN(3) == 0

	base := r.PriceFen(9, 990)
	if r.IntN(100) < 35 {
		it.price, it.num = base, int64(r.IntN(1000))
		return it
	}
	nColors, nSizes := 1+r.IntN(3), r.IntN(4)
	aliasColors, aliasSizes := r.IntN(3) == 0, r.IntN(2) == 0
	for c := range nColors {
		k := (i + c) % len(colorValues)
		color := prop{pid: pidColor, vid: 28320 + int64(k), name: "颜色分类", text: colorValues[k]}
		if aliasColors {
			color.alias = colorAliases[k]
		}
		for s := range max(nSizes, 1) {
			sku := catalogSKU{
				id:    it.id*100 + int64(len(it.skus)+1),
				props: []prop{color},
				price: base + int64(s)*1000,
				stock: int64(r.IntN(300)),
			}
			if nSizes > 0 {
				size := prop{pid: pidSize, vid: 28313 + int64(s), name: "尺码", text: sizeValues[s]}
				if aliasSizes {
					size.alias = sizeAliases[s]
				}
				sku.props = append(sku.props, size)
			}
			// A SKU the seller removed stays listed with status delete.
			sku.deleted = len(it.skus) > 0 && r.IntN(12) == 0
			it.skus = append(it.skus, sku)
		}
	}
	it.price = it.skus[0].price
	for _, s := range it.skus {
		if !s.deleted {
			it.num += s.stock
			it.price = min(it.price, s.price)
		}
	}
	return it
}

// writePrice writes fen as the platform's yuan string. Form 0 is the
// shortest ("59", "59.9", "59.99"), form 1 always has two decimals
// ("59.00"), as TOP documents prices ("精确到2位小数").
func writePrice(fen int64, form int) string { return simkit.Decimal(fen, 2, form == 0) }

// Expectation is what a canonical product read through a correct plugin
// and stored by the host must hold for one id, worked out from the
// catalogue alone.
type Expectation struct {
	ID string
	// Found is false for an id that must come back NOT_FOUND: unknown,
	// deleted or off-shelf; Reason says which.
	Found  bool
	Reason string
	Title  string
	Locale string
	// Description is the item's HTML as the seller wrote it, "" for none.
	Description string
	// Currency of every variant's price.
	Currency string
	URL      string
	// Images counts the distinct pictures: a picture the answer repeats
	// is kept once (the host's normalization).
	Images int
	// Attributes are the item's category properties other than the sale
	// properties, which the variants' options carry.
	Attributes []sdk.Attribute
	UpdatedAt  time.Time
	Variants   []ExpectedVariant
}

// ExpectedVariant is one sellable SKU.
type ExpectedVariant struct {
	SKU     string
	Options []sdk.Option
	// Price in minor units (fen) of Currency.
	Price int64
	Stock int64
}

func (it *catalogItem) expect() Expectation {
	id := strconv.FormatInt(it.id, 10)
	switch it.state {
	case deleted:
		return Expectation{ID: id, Reason: "deleted"}
	case inStock:
		return Expectation{ID: id, Reason: "off_shelf"}
	}
	e := Expectation{
		ID: id, Found: true, Title: it.title, Locale: "zh-CN", Currency: "CNY",
		URL:         "https://item.taobao.com/item.htm?id=" + id,
		Images:      len(it.images),
		Description: it.desc,
		UpdatedAt:   it.modified.UTC(),
	}
	for _, p := range it.props {
		e.Attributes = append(e.Attributes, sdk.Attribute{Name: p.name, Value: p.text, Locale: "zh-CN"})
	}
	if len(it.skus) == 0 {
		e.Variants = []ExpectedVariant{{SKU: id, Price: it.price, Stock: it.num}}
	}
	for _, s := range it.skus {
		if s.deleted {
			continue
		}
		v := ExpectedVariant{SKU: strconv.FormatInt(s.id, 10), Price: s.price, Stock: s.stock}
		for _, p := range s.props {
			o := sdk.Option{Name: p.name, Value: p.shown()}
			if p.alias != "" {
				o.StandardValue = p.text
			}
			v.Options = append(v.Options, o)
		}
		e.Variants = append(e.Variants, v)
	}
	return e
}
