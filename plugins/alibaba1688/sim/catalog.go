package sim

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/marketsync/marketsync/sdk/simkit"
)

// offer is one generated 1688 offer, in the simulator's own terms: money
// in integer fen, images as the raw strings the gateway returns. The JSON
// of the replies is rendered from it, and Expect reads it directly.
type offer struct {
	id   string
	shop int
	// gone: the offer was deleted; the API answers 商品[id]不存在.
	gone bool
	// noRelation: the app has no listing relation with the offer; the API
	// answers 没有该商品的查询权限.
	noRelation bool
	status     string
	subject    string
	category   string
	// categoryID is the offer's leaf category (see categories).
	categoryID string
	brand      string
	material   string
	images     []string
	skus       []sku
	// tiers are saleInfo.priceRanges, by ascending start quantity.
	tiers []tier
	// quoteType 0 (fixed price, no SKUs), 1 (price per SKU) or 2 (SKUs,
	// one quantity-tier price for the offer).
	quoteType int
	// consignFen is saleInfo.consignPrice of an offer without SKUs; 0 is
	// absent.
	consignFen int64
	stock      int64
	// wholeAsDouble renders whole-yuan prices as 40.0 (as Java's
	// Double.toString does) instead of 40.
	wholeAsDouble bool
	updated       time.Time

	// The shapes of real answers an offer's reply takes:
	//
	// namesInAnswer: SKU properties carry attributeDisplayName; without it
	// they carry attributeID and attributeValue only, as the documented
	// example of the product model does, and their names are the
	// category's (alibaba.category.attribute.get).
	namesInAnswer bool
	// noStatus: the reply leaves status out.
	noStatus bool
	// stringNumbers: ids, stock and prices are JSON strings ("106").
	stringNumbers bool
	// escaped: every non-ASCII character is written \uXXXX.
	escaped bool
	// saleAttr: the colour sale property is listed among the attributes
	// too, as sellers do.
	saleAttr bool
	// repeats: images repeated in the main image list, in another of the
	// three path forms (kept in images; Expect counts pictures).
	repeats int
}

type sku struct {
	// tiers are the SKU's own priceRange (quoteType 3), by ascending
	// start quantity.
	tiers      []tier
	skuID      int64
	specID     string
	color      string
	size       string
	priceFen   int64
	consignFen int64
	stock      int64
	image      string
}

type tier struct {
	startQty int64
	priceFen int64
}

// firstOfferID is the id of offer 0; ids step by idStep, so they look like
// the platform's 12-digit offer ids without being consecutive.
const (
	firstOfferID = 600000000000
	idStep       = 7919
)

var (
	nouns     = []string{"连衣裙", "保温杯", "手机壳", "收纳盒", "双肩包", "围巾", "拖鞋", "台灯", "茶具套装", "瑜伽垫", "雨伞", "毛巾"}
	modifiers = []string{"新款", "爆款", "加厚", "轻薄", "复古", "简约", "韩版", "原创", "高端", "百搭", "跨境专供", "工厂直销"}
	materials = []string{"纯棉", "真丝", "不锈钢", "陶瓷", "竹制", "羊毛", "亚麻", "硅胶", "雪纺", "帆布"}
	brands    = []string{"拾光", "木子", "青禾", "素然", "山海", "南风"}
	colors    = []string{"黑色", "白色", "红色", "藏青色", "灰色", "米白色", "浅粉色"}
	sizes     = []string{"S", "M", "L", "XL", "XXL"}
	offStatus = []string{"member expired", "auto expired", "expired", "member deleted"}
)

// epoch anchors lastUpdateTime so replies do not change between runs.
var epoch = time.Date(2025, 6, 1, 8, 0, 0, 0, time.FixedZone("CST", 8*3600))

// generate builds n offers from seed. Everything is drawn from a source
// seeded per offer, so offer i is the same whatever n is.
func generate(seed uint64, n, shops int) []*offer {
	return simkit.Generate(seed, n, func(r *simkit.Draw) *offer { return generateOne(r, shops) })
}

func generateOne(r *simkit.Draw, shops int) *offer {
	o := generateOffer(r, shops)
	shape(r, o)
	return o
}

// category is a leaf category of the catalogue and the attributes
// alibaba.category.attribute.get names in it.
type category struct {
	id    string
	attrs []categoryAttr
}

type categoryAttr struct {
	id, name string
	sku      bool
}

// The SKU property ids of colour and size, and the attributes the
// catalogue lists, in 1688's category model.
const (
	attrColor    = "3216"
	attrSize     = "450"
	attrBrand    = "2176"
	attrMaterial = "287"
	attrStyle    = "2489638"
)

var commonAttrs = []categoryAttr{
	{id: attrColor, name: "颜色", sku: true},
	{id: attrBrand, name: "品牌"},
	{id: attrMaterial, name: "材质"},
	{id: attrStyle, name: "风格类型"},
}

// categoryIDs are the leaf categories of nouns, in order. Every category
// names colour; all but umbrellas (雨伞, whose category here has no size
// attribute) name size, so an umbrella sold in sizes whose answer does not
// name them cannot be named at all.
var categoryIDs = []string{"1048182", "1032913", "1045102", "1036779", "1048108", "127380009", "1031919", "124030001", "1038378", "121704001", "1042954", "1043214"}

const sizelessCategory = "1042954"

func categoryOf(id string) (category, bool) {
	if !slices.Contains(categoryIDs, id) {
		return category{}, false
	}
	c := category{id: id, attrs: slices.Clone(commonAttrs)}
	if id != sizelessCategory {
		c.attrs = append(c.attrs, categoryAttr{id: attrSize, name: "尺码", sku: true})
	}
	return c, true
}

// names says whether category id names attribute attr.
func (c category) names(attr string) bool {
	return slices.ContainsFunc(c.attrs, func(a categoryAttr) bool { return a.id == attr })
}

// shape draws the shapes of real answers an offer's reply takes (see
// offer), after everything else so that they change nothing else.
func shape(r *simkit.Draw, o *offer) {
	o.categoryID = categoryIDs[slices.Index(nouns, o.category)]
	o.namesInAnswer = r.Float64() < 0.4
	o.noStatus = o.status == "published" && r.Float64() < 0.1
	o.stringNumbers = r.Float64() < 0.2
	o.escaped = r.Float64() < 0.3
	o.saleAttr = len(o.skus) > 0 && r.Float64() < 0.3
	if len(o.images) > 0 && r.Float64() < 0.2 {
		o.repeats = 1 + r.IntN(6)
	}
	// One offer in ten of those with SKUs prices each SKU in tiers of its
	// own (quoteType 3) instead of a price per SKU.
	if len(o.skus) > 0 && r.Float64() < 0.1 {
		o.quoteType = 3
		for k := range o.skus {
			s := &o.skus[k]
			s.priceFen = 0
			s.tiers = []tier{{startQty: 2, priceFen: 500 + int64(k)*10 + int64(r.IntN(100))}, {startQty: 20, priceFen: 400 + int64(k)*10}}
		}
	}
}

func generateOffer(r *simkit.Draw, shops int) *offer {
	i := r.Index
	o := &offer{
		id:            strconv.FormatInt(firstOfferID+int64(i)*idStep, 10),
		shop:          pickShop(r, shops),
		status:        "published",
		brand:         simkit.Pick(r, brands),
		material:      simkit.Pick(r, materials),
		category:      simkit.Pick(r, nouns),
		wholeAsDouble: r.IntN(2) == 0,
		updated:       epoch.Add(time.Duration(i)*time.Minute + time.Duration(r.IntN(1000))*time.Millisecond),
	}
	o.subject = fmt.Sprintf("%s%s%s%s %d件起批", o.brand, simkit.Pick(r, modifiers), o.material, o.category, 1+r.IntN(10))
	switch f := r.Float64(); {
	case f < 0.03:
		o.gone = true
	case f < 0.10:
		o.status = simkit.Pick(r, offStatus)
	case f < 0.11:
		o.noRelation = true
	}
	if r.Float64() >= 0.10 { // one offer in ten has no main image
		for k := range 1 + r.IntN(5) {
			o.images = append(o.images, imagePath(r, o.id, k))
		}
	}
	base := r.PriceFen(2, 300) // 40, 40.5 and 40.57 in replies
	if r.Float64() < 0.25 {
		o.quoteType = 0
		o.tiers = tiers(r, base)
		if r.Float64() < 0.3 {
			o.consignFen = base + 200
		}
		o.stock = int64(r.IntN(50000))
		return o
	}
	o.quoteType = 1
	if r.Float64() < 0.1 {
		o.quoteType = 2
	}
	o.tiers = tiers(r, base)
	consign := r.Float64() < 0.3
	skuImages := r.Float64() < 0.5
	nColors, nSizes := 1+r.IntN(3), r.IntN(5)
	for c := range nColors {
		color := colors[(i+c)%len(colors)]
		image := ""
		if skuImages {
			image = imagePath(r, o.id, 10+c)
		}
		for s := range max(nSizes, 1) {
			k := sku{
				skuID:  int64(3700000000000) + int64(i)*64 + int64(len(o.skus)),
				specID: fmt.Sprintf("%016x%016x", r.Uint64(), r.Uint64()),
				color:  color,
				image:  image,
				stock:  int64(r.IntN(2000)),
			}
			if nSizes > 0 {
				k.size = sizes[s]
			}
			if o.quoteType == 1 {
				k.priceFen = base + int64(s)*150 + int64(c)*10
			}
			if consign {
				k.consignFen = base + int64(s)*150 + 300
			}
			o.skus = append(o.skus, k)
			o.stock += k.stock
		}
	}
	return o
}

// pickShop puts two offers in five in shop 0, the one tests list.
func pickShop(r *simkit.Draw, shops int) int {
	if shops <= 1 || r.Float64() < 0.4 {
		return 0
	}
	return 1 + r.IntN(shops-1)
}

// tiers are one to three quantity tiers, cheaper the more one buys.
func tiers(r *simkit.Draw, base int64) []tier {
	out := []tier{{startQty: int64(1 + r.IntN(3)), priceFen: base}}
	for k := range r.IntN(3) {
		last := out[len(out)-1]
		out = append(out, tier{startQty: last.startQty * 10, priceFen: max(last.priceFen-int64(50*(k+1)), 1)})
	}
	return out
}

// imagePath returns an image in one of the three forms seen in replies:
// relative to the image host (the documented one), protocol-relative, or
// absolute.
func imagePath(r *simkit.Draw, id string, k int) string {
	p := fmt.Sprintf("img/ibank/O1CN01%s%02d_!!%d-0-cib.jpg", id[len(id)-6:], k, 2200000000+r.IntN(99999999))
	switch f := r.Float64(); {
	case f < 0.6:
		return p
	case f < 0.85:
		return "//cbu01.alicdn.com/" + p
	}
	return "https://cbu01.alicdn.com/" + p
}

// fenLiteral writes fen as the gateway writes a Double of yuan: 4000 as 40
// (or 40.0), 4050 as 40.5, 4057 as 40.57.
func fenLiteral(fen int64, wholeAsDouble bool) string {
	if fen%100 == 0 && wholeAsDouble {
		return strconv.FormatInt(fen/100, 10) + ".0"
	}
	return simkit.Decimal(fen, 2, true)
}
