package market

import (
	"fmt"
	"strconv"
	"time"

	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/simkit"
)

// FirstID is the id of the first product; ids run FirstID, FirstID+1, ...
// like a marketplace's numeric item ids.
const FirstID = 100001

// epoch anchors UpdatedAt so generated products do not change between runs.
var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

type word struct{ zh, en string }

var (
	adjectives = []word{{"新款", "New"}, {"爆款", "Best-selling"}, {"加厚", "Thickened"}, {"轻薄", "Lightweight"}, {"复古", "Vintage"}, {"简约", "Minimalist"}, {"韩版", "Korean-style"}, {"原创", "Original"}, {"高端", "Premium"}, {"百搭", "Versatile"}}
	materials  = []word{{"纯棉", "Cotton"}, {"真丝", "Silk"}, {"不锈钢", "Stainless steel"}, {"陶瓷", "Ceramic"}, {"竹制", "Bamboo"}, {"羊毛", "Wool"}, {"亚麻", "Linen"}, {"硅胶", "Silicone"}}
	nouns      = []word{{"T恤", "T-shirt"}, {"保温杯", "Thermos"}, {"连衣裙", "Dress"}, {"收纳盒", "Storage box"}, {"围巾", "Scarf"}, {"手机壳", "Phone case"}, {"茶具套装", "Tea set"}, {"双肩包", "Backpack"}, {"拖鞋", "Slippers"}, {"台灯", "Desk lamp"}}
	brands     = []word{{"山海", "Shanhai"}, {"拾光", "Shiguang"}, {"木子", "Muzi"}, {"青禾", "Qinghe"}, {"素然", "Suran"}}
	colors     = []string{"黑色", "白色", "红色", "蓝色", "灰色", "米色"}
	sizes      = []string{"S", "M", "L", "XL", "XXL"}
)

// Catalog generates the sandbox's products. It holds no products: each is
// computed from the seed and its index when asked for, so a catalogue of a
// million products costs nothing until fetched.
type Catalog struct {
	Seed  uint64
	Count int
	// OffShelfRate is the share of products that exist but are off-shelf
	// (fetching them gives a per-item not-found, as on real marketplaces).
	OffShelfRate float64
}

// ID returns the id of the product at index i.
func (c Catalog) ID(i int) string { return strconv.Itoa(FirstID + i) }

// index parses id and reports whether it names a product of the catalogue.
func (c Catalog) index(id string) (int, bool) {
	n, err := strconv.Atoi(id)
	if err != nil || strconv.Itoa(n) != id {
		return 0, false
	}
	i := n - FirstID
	return i, i >= 0 && i < c.Count
}

func (c Catalog) rng(i int, stream uint8) *simkit.Draw {
	return simkit.NewDrawStream(c.Seed, i, stream)
}

// OffShelf reports whether the product at index i is off-shelf.
func (c Catalog) OffShelf(i int) bool {
	return c.OffShelfRate > 0 && c.rng(i, 1).Float64() < c.OffShelfRate
}

// Product returns the product with the given id, or a typed per-item
// error: NotFound for an unknown id or an off-shelf item.
func (c Catalog) Product(id string) (*sdk.Product, *sdk.Error) {
	i, ok := c.index(id)
	if !ok {
		return nil, sdk.NotFound("ITEM_NOT_FOUND", fmt.Sprintf("item %s does not exist", id))
	}
	if c.OffShelf(i) {
		return nil, sdk.NotFound("ITEM_OFF_SHELF", fmt.Sprintf("item %s is off-shelf", id))
	}
	return c.generate(i), nil
}

func (c Catalog) generate(i int) *sdk.Product {
	r := c.rng(i, 0)
	id := c.ID(i)
	adj, mat, noun, brand := simkit.Pick(r, adjectives), simkit.Pick(r, materials), simkit.Pick(r, nouns), simkit.Pick(r, brands)
	p := &sdk.Product{
		ID:     id,
		Source: "sandbox",
		Title: map[string]string{
			"zh-CN": fmt.Sprintf("%s%s %s%s", brand.zh, adj.zh, mat.zh, noun.zh),
			"en":    fmt.Sprintf("%s %s %s %s", brand.en, adj.en, mat.en, noun.en),
		},
		Description: map[string]string{
			"zh-CN": fmt.Sprintf("%s品牌%s%s，做工精细，支持七天无理由退换。", brand.zh, mat.zh, noun.zh),
			"en":    fmt.Sprintf("%s %s by %s, finely made, 7-day no-reason returns.", mat.en, noun.en, brand.en),
		},
		Attributes: []sdk.Attribute{
			{Name: "品牌", Value: brand.zh, Locale: "zh-CN"},
			{Name: "Brand", Value: brand.en, Locale: "en"},
			{Name: "材质", Value: mat.zh, Locale: "zh-CN"},
			{Name: "Material", Value: mat.en, Locale: "en"},
		},
		URL:       "https://item.sandbox.marketsync.invalid/item/" + id + ".html",
		UpdatedAt: epoch.Add(time.Duration(i) * time.Minute),
	}
	for k := range 1 + r.IntN(5) {
		p.Images = append(p.Images, sdk.Image{
			URL: fmt.Sprintf("https://img.sandbox.marketsync.invalid/%s/%d.jpg", id, k),
		})
	}
	base := int64(990 + r.IntN(50000)) // fen: ¥9.90 to ¥509.89
	nColors, nSizes := 1+r.IntN(3), r.IntN(4)
	for ci := range nColors {
		color := colors[(i+ci)%len(colors)]
		if nSizes == 0 {
			p.Variants = append(p.Variants, c.variant(r, id, len(p.Variants), base, sdk.Option{Name: "颜色", Value: color}))
			continue
		}
		for si := range nSizes {
			p.Variants = append(p.Variants, c.variant(r, id, len(p.Variants), base+int64(si)*500,
				sdk.Option{Name: "颜色", Value: color}, sdk.Option{Name: "尺码", Value: sizes[si]}))
		}
	}
	return p
}

func (c Catalog) variant(r *simkit.Draw, id string, k int, price int64, opts ...sdk.Option) sdk.Variant {
	return sdk.Variant{
		SKU:     fmt.Sprintf("%s-%d", id, k+1),
		Options: opts,
		Price:   sdk.Money{Amount: price, Currency: "CNY"},
		Stock:   int64(r.IntN(500)),
		Barcode: ean13(fmt.Sprintf("69%010d", (r.Uint64() % 1e10))),
	}
}

// ean13 appends the GS1 check digit to 12 digits (prefix 69 is China's).
func ean13(digits string) string {
	sum := 0
	for i, d := range digits {
		n := int(d - '0')
		if i%2 == 1 {
			n *= 3
		}
		sum += n
	}
	return digits + strconv.Itoa((10-sum%10)%10)
}
