package sim

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/marketsync/marketsync/sdk/simkit"
)

// Goods statuses of pdd.goods.detail.get ("商品状态 1:上架，2：下架，3：售罄
// 4：已删除", goods_detail_get_response.status).
const (
	statusOnSale   = 1
	statusOffShelf = 2
	statusSoldOut  = 3
	statusDeleted  = 4
)

// Kind names a shape of goods the catalogue is sure to contain, so tests
// can ask for one of each.
type Kind int

const (
	// KindMultiSKU: on sale, several SKUs with named specs.
	KindMultiSKU Kind = iota + 1
	// KindSpecLess: on sale, one SKU without specs (PDD's shape of an item
	// without options).
	KindSpecLess
	// KindNoImages: on sale, no main image and no carousel.
	KindNoImages
	// KindProtocolRelative: on sale, images given as //host/path.
	KindProtocolRelative
	// KindSoldOut: status 3, on the shelf with no stock.
	KindSoldOut
	// KindOffShelf: status 2.
	KindOffShelf
	// KindDeleted: status 4.
	KindDeleted
	// KindSKUOffSale: on sale, but one SKU is off sale (is_onsale 0).
	KindSKUOffSale
)

type spec struct {
	parentID   int64
	parentName string
	specID     int64
	specName   string
}

type sku struct {
	id         int64
	specs      []spec
	price      int64 // 单买价, fen
	multiPrice int64 // 拼团价, fen
	quantity   int64
	onSale     bool
	thumb      string
}

type goods struct {
	id          int64
	name        string
	desc        string
	status      int
	image       string
	carousel    []string
	marketPrice int64
	skus        []sku
	createdAt   int64
	kinds       []Kind

	// catID is the goods' leaf category; brand and material its two
	// properties, given by id in goods_property_list.
	catID           int64
	brand, material string
	// The shapes of real answers the goods' reply takes: noStatus leaves
	// status out, stringNumbers sends ids, prices and stock as strings,
	// escaped writes every non-ASCII character \uXXXX, and saleProperty
	// lists the colour sale property among the goods properties too.
	noStatus, stringNumbers, escaped, saleProperty bool
}

// firstGoodsID and goodsStride make twelve-digit ids like the platform's
// (e.g. 126050052488) that are not consecutive.
const (
	firstGoodsID = 126050052488
	goodsStride  = 7919
	firstSkuID   = 587340000000
)

var (
	brands    = []string{"南极人", "恒源祥", "三只松鼠", "苏泊尔", "良品铺子", "猫人", "北极绒", "回力"}
	adjs      = []string{"新款", "加厚", "爆款", "韩版", "简约", "复古", "轻薄", "大码", "加绒", "百搭"}
	materials = []string{"纯棉", "冰丝", "不锈钢", "陶瓷", "羊毛", "竹纤维", "硅胶", "真皮"}
	nouns     = []string{"T恤", "保温杯", "四件套", "拖鞋", "收纳盒", "双肩包", "卫衣", "毛巾", "炒锅", "袜子"}
	tails     = []string{"包邮", "限时秒杀", "厂家直销", "买一送一", "百亿补贴", ""}
	colors    = []string{"黑色", "白色", "红色", "藏青", "灰色", "米白", "卡其"}
	sizes     = []string{"S", "M", "L", "XL", "2XL", "3XL"}
	flavours  = []string{"原味", "香辣", "五香", "蜂蜜"}
)

// generate builds goods number r.Index of the catalogue.
func generate(r *simkit.Draw) goods {
	i := r.Index
	pick := func(s []string) string { return simkit.Pick(r, s) }
	g := goods{
		id:        firstGoodsID + int64(i)*goodsStride,
		createdAt: 1735660800 + int64(i)*3600,
	}
	brand, noun := pick(brands), pick(nouns)
	g.name = fmt.Sprintf("%s%s%s%s%s", brand, pick(adjs), pick(materials), noun, pick(tails))
	g.desc = fmt.Sprintf("%s官方正品%s，品质保证，七天无理由退换。", brand, noun)

	// The first few goods cover every kind whatever the seed, so tests
	// can rely on finding one; the rest are drawn.
	shape := r.IntN(100)
	if i < 8 {
		shape = []int{60, 5, 15, 25, 40, 90, 95, 70}[i]
	}
	g.status = statusOnSale
	switch {
	case shape >= 94:
		g.status = statusDeleted
		g.kinds = append(g.kinds, KindDeleted)
	case shape >= 88:
		g.status = statusOffShelf
		g.kinds = append(g.kinds, KindOffShelf)
	case shape >= 38 && shape < 42:
		g.status = statusSoldOut
		g.kinds = append(g.kinds, KindSoldOut)
	}

	// Images: none for shape 15-19, protocol-relative for 20-29 and a
	// third of the rest.
	host := pick([]string{"img.pddpic.com", "t00img.yangkeduo.com", "omsproductionimg.yangkeduo.com"})
	prefix := "https://" + host
	if (shape >= 20 && shape < 30) || r.IntN(3) == 0 {
		prefix = "//" + host
	}
	if !(shape >= 15 && shape < 20) {
		for k := range 1 + r.IntN(5) {
			g.carousel = append(g.carousel, fmt.Sprintf("%s/mms-material-img/2025-%02d-%02d/%d-%d.jpeg", prefix, 1+i%12, 1+k, g.id, k))
		}
		g.image = g.carousel[0]
		if prefix[0] == '/' && g.status == statusOnSale {
			g.kinds = append(g.kinds, KindProtocolRelative)
		}
	} else if g.status == statusOnSale {
		g.kinds = append(g.kinds, KindNoImages)
	}

	base := int64(390 + r.IntN(99000)) // fen: ¥3.90 to ¥993.89
	var dims [][]spec
	switch {
	case shape < 12:
		// One SKU without specs.
	case shape < 50:
		dims = [][]spec{specs(r, 1, "颜色", colors, 1+r.IntN(4))}
	default:
		if noun == "袜子" || noun == "毛巾" {
			dims = [][]spec{specs(r, 1, "颜色", colors, 1+r.IntN(3)), specs(r, 2, "口味", flavours, 1+r.IntN(2))}
		} else {
			dims = [][]spec{specs(r, 1, "颜色", colors, 1+r.IntN(3)), specs(r, 2, "尺码", sizes, 2+r.IntN(4))}
		}
	}
	counts := make([]int, len(dims))
	for d, dim := range dims {
		counts[d] = len(dim)
	}
	for k, picked := range simkit.Combinations(counts...) {
		var c []spec
		for d, v := range picked {
			c = append(c, dims[d][v])
		}
		s := sku{
			id:       firstSkuID + g.id%100000*100 + int64(k),
			specs:    c,
			price:    base + int64(k%4)*100,
			quantity: int64(r.IntN(1000)),
			onSale:   true,
		}
		s.multiPrice = s.price - s.price/10
		if g.status == statusSoldOut {
			s.quantity = 0
		}
		if len(g.carousel) > 0 && len(c) > 0 {
			s.thumb = g.carousel[k%len(g.carousel)]
		}
		g.skus = append(g.skus, s)
	}
	if len(g.skus) > 1 && (shape == 70 || r.IntN(20) == 0) {
		g.skus[1].onSale = false
		if g.status == statusOnSale {
			g.kinds = append(g.kinds, KindSKUOffSale)
		}
	}
	if g.status == statusOnSale {
		if len(dims) == 0 {
			g.kinds = append(g.kinds, KindSpecLess)
		} else if len(g.skus) > 1 {
			g.kinds = append(g.kinds, KindMultiSKU)
		}
	}
	g.marketPrice = base*3/2 + 300
	answerShape(r, &g, brand, noun)
	return g
}

// Property template ids and the properties they refer to (ref_pid), as
// pdd.goods.cat.template.get gives them; the same in every category here.
const (
	tplBrand, refBrand       = 137041, 310
	tplMaterial, refMaterial = 137042, 1230
	tplColor, refColor       = 137050, 1215
)

// firstCatID: the leaf category of nouns[i] is firstCatID+i.
const firstCatID = 9813

// answerShape draws the goods' category, properties and the shapes of real
// answers its reply takes, after everything else so that they change
// nothing else.
func answerShape(r *simkit.Draw, g *goods, brand, noun string) {
	g.catID = firstCatID + int64(slices.Index(nouns, noun))
	g.brand, g.material = brand, simkit.Pick(r, materials)
	g.noStatus = g.status == statusOnSale && r.Float64() < 0.1
	g.stringNumbers = r.Float64() < 0.2
	g.escaped = r.Float64() < 0.3
	g.saleProperty = len(g.skus) > 1 && r.Float64() < 0.3
	// A carousel of ten in which seven are the same picture, as a real
	// answer had it, the repeats written with and without the scheme.
	if len(g.carousel) > 0 && (r.Index == 8 || r.Float64() < 0.1) {
		first := g.carousel[0]
		other := strings.TrimPrefix(first, "https:")
		if other == first {
			other = "https:" + first
		}
		c := []string{first}
		for k := 1; k < 10; k++ {
			switch {
			case k%3 == 0: // three other pictures, at 3, 6 and 9
				c = append(c, strings.Replace(first, ".jpeg", fmt.Sprintf("-%d.jpeg", k), 1))
			case k%2 == 0:
				c = append(c, first)
			default:
				c = append(c, other)
			}
		}
		g.carousel = c
	}
}

// specs draws n distinct values of one spec dimension.
func specs(r *simkit.Draw, parentID int64, parentName string, values []string, n int) []spec {
	n = min(n, len(values))
	perm := r.Perm(len(values))[:n]
	out := make([]spec, n)
	for k, v := range perm {
		out[k] = spec{parentID: parentID, parentName: parentName, specID: parentID*1000 + int64(v), specName: values[v]}
	}
	return out
}

// catalog is one merchant's goods, in id order.
type catalog struct {
	goods []goods
	byID  map[int64]int
}

func newCatalog(seed uint64, n int) *catalog {
	c := &catalog{goods: simkit.Generate(seed, n, generate), byID: make(map[int64]int, n)}
	for i, g := range c.goods {
		c.byID[g.id] = i
	}
	return c
}

// lookup finds goods by the decimal id a client sent.
func (c *catalog) lookup(id string) (*goods, bool) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return nil, false
	}
	i, ok := c.byID[n]
	if !ok {
		return nil, false
	}
	return &c.goods[i], true
}
