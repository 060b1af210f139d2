package sim

import (
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/marketsync/marketsync/sdk/simkit"
)

// The answers follow the response fields of the API pages
// (goods_detail_get_response and goods_list_get_response); fields the
// catalogue has no use for are left out, as the platform leaves out
// unset ones.

type specJSON struct {
	ParentID   int64  `json:"parent_id"`
	ParentName string `json:"parent_name"`
	SpecID     int64  `json:"spec_id"`
	SpecName   string `json:"spec_name"`
}

type skuDetailJSON struct {
	SkuID      int64      `json:"sku_id"`
	IsOnsale   int        `json:"is_onsale"`
	Price      int64      `json:"price"`
	MultiPrice int64      `json:"multi_price"`
	Quantity   int64      `json:"quantity"`
	ThumbURL   string     `json:"thumb_url"`
	Spec       []specJSON `json:"spec"`
	OutSkuSn   string     `json:"out_sku_sn"`
}

type goodsPropertyJSON struct {
	Punit       string `json:"punit"`
	RefPid      int64  `json:"ref_pid"`
	TemplatePid int64  `json:"template_pid"`
	Vid         int64  `json:"vid"`
	Vvalue      string `json:"vvalue"`
}

type goodsDetailJSON struct {
	GoodsID             int64               `json:"goods_id"`
	CatID               int64               `json:"cat_id"`
	GoodsName           string              `json:"goods_name"`
	GoodsDesc           string              `json:"goods_desc"`
	GoodsType           int                 `json:"goods_type"`
	Status              int                 `json:"status,omitempty"`
	ImageURL            string              `json:"image_url"`
	CarouselGalleryList []string            `json:"carousel_gallery_list"`
	DetailGalleryList   []string            `json:"detail_gallery_list"`
	MarketPrice         int64               `json:"market_price"`
	IsRefundable        int                 `json:"is_refundable"`
	GoodsPropertyList   []goodsPropertyJSON `json:"goods_property_list"`
	SkuList             []skuDetailJSON     `json:"sku_list"`
}

func onOff(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (s *Server) goodsDetail(p params) (any, *apiError) {
	id, ok := p.get("goods_id")
	if !ok {
		return nil, fail(21002, "goods_id")
	}
	// goods_id is a single LONG: the API has no batch form, so a list
	// ("1,2" or "[1,2]") is refused like any other malformed value.
	if !isDigits(id) || len(id) > 19 {
		return nil, fail(21001, "goods_id must be one goods id")
	}
	g, ok := s.cat.lookup(id)
	if !ok {
		// Undocumented: the business service's refusal of an id it does
		// not know.
		e := fail(50001, "")
		e.subCode = "goods_not_exist"
		e.subMsg = "商品不存在"
		return nil, e
	}
	d := goodsDetailJSON{
		GoodsID:             g.id,
		CatID:               g.catID,
		GoodsName:           g.name,
		GoodsDesc:           g.desc,
		GoodsType:           1,
		Status:              g.status,
		ImageURL:            g.image,
		CarouselGalleryList: append([]string{}, g.carousel...),
		DetailGalleryList:   []string{},
		MarketPrice:         g.marketPrice,
		IsRefundable:        1,
		GoodsPropertyList: []goodsPropertyJSON{
			{RefPid: refBrand, TemplatePid: tplBrand, Vid: 60000 + int64(slices.Index(brands, g.brand)), Vvalue: g.brand},
			{RefPid: refMaterial, TemplatePid: tplMaterial, Vid: 70000 + int64(slices.Index(materials, g.material)), Vvalue: g.material},
		},
	}
	if g.noStatus {
		d.Status = 0
	}
	if g.saleProperty && len(g.skus[0].specs) > 0 {
		d.GoodsPropertyList = append(d.GoodsPropertyList, goodsPropertyJSON{RefPid: refColor, TemplatePid: tplColor, Vvalue: g.skus[0].specs[0].specName})
	}
	for _, k := range g.skus {
		sj := skuDetailJSON{
			SkuID:      k.id,
			IsOnsale:   onOff(k.onSale),
			Price:      k.price,
			MultiPrice: k.multiPrice,
			Quantity:   k.quantity,
			ThumbURL:   k.thumb,
			Spec:       []specJSON{},
			OutSkuSn:   "SN" + strconv.FormatInt(k.id, 10),
		}
		for _, sp := range k.specs {
			sj.Spec = append(sj.Spec, specJSON{ParentID: sp.parentID, ParentName: sp.parentName, SpecID: sp.specID, SpecName: sp.specName})
		}
		d.SkuList = append(d.SkuList, sj)
	}
	return g.encode(map[string]any{"goods_detail_get_response": d}), nil
}

// encode renders a reply of goods g: as Go encodes it, then with ids,
// prices and stock as strings, and non-ASCII characters escaped, when
// g's answers take those shapes (generated SDKs read those fields as
// "string | number").
func (g *goods) encode(reply any) json.RawMessage {
	b, err := json.Marshal(reply)
	if err != nil {
		panic(err)
	}
	if g.stringNumbers {
		b = numberFields.ReplaceAll(b, []byte(`"$1":"$2"`))
	}
	if g.escaped {
		b = simkit.ASCIIJSON(b)
	}
	return b
}

var numberFields = regexp.MustCompile(`"(goods_id|sku_id|price|multi_price|quantity|status|is_onsale|cat_id|template_pid|ref_pid)":([0-9]+)`)

type templatePropertyJSON struct {
	ID          int64  `json:"id"`
	RefPid      int64  `json:"ref_pid"`
	Name        string `json:"name"`
	IsSale      bool   `json:"is_sale"`
	Required    bool   `json:"required"`
	ControlType int    `json:"control_type"`
	Feature     int    `json:"feature"`
}

// catTemplate answers pdd.goods.cat.template.get for cat_id with the
// template's properties (open_api_response, fields as the generated SDKs
// carry them). Which error an unknown category gives is not documented:
// the simulator answers 50001 with sub_msg 类目不存在.
func (s *Server) catTemplate(p params) (any, *apiError) {
	id, ok := p.get("cat_id")
	if !ok {
		return nil, fail(21002, "cat_id")
	}
	if !isDigits(id) || len(id) > 19 {
		return nil, fail(21001, "cat_id must be one category id")
	}
	n, _ := strconv.ParseInt(id, 10, 64)
	if n < firstCatID || n >= firstCatID+int64(len(nouns)) {
		e := fail(50001, "")
		e.subCode, e.subMsg = "cat_not_exist", "类目不存在"
		return nil, e
	}
	return map[string]any{"open_api_response": map[string]any{
		"id":          n * 10,
		"max_sku_num": 600,
		"properties": []templatePropertyJSON{
			{ID: tplBrand, RefPid: refBrand, Name: "品牌", Required: true, ControlType: 1},
			{ID: tplMaterial, RefPid: refMaterial, Name: "材质", ControlType: 3},
			{ID: tplColor, RefPid: refColor, Name: "颜色", IsSale: true, ControlType: 9, Feature: 1},
		},
	}}, nil
}

type listSkuJSON struct {
	IsSkuOnsale int    `json:"is_sku_onsale"`
	OuterID     string `json:"outer_id"`
	SkuID       int64  `json:"sku_id"`
	SkuQuantity int64  `json:"sku_quantity"`
	Spec        string `json:"spec"`
}

type listGoodsJSON struct {
	CreatedAt     int64         `json:"created_at"`
	GoodsID       int64         `json:"goods_id"`
	GoodsName     string        `json:"goods_name"`
	GoodsQuantity int64         `json:"goods_quantity"`
	ImageURL      string        `json:"image_url"`
	IsMoreSku     int           `json:"is_more_sku"`
	IsOnsale      int           `json:"is_onsale"`
	SkuList       []listSkuJSON `json:"sku_list"`
	ThumbURL      string        `json:"thumb_url"`
}

type listJSON struct {
	GoodsList  []listGoodsJSON `json:"goods_list"`
	TotalCount int             `json:"total_count"`
}

// positive reads an optional positive integer parameter.
func positive(p params, name string, def int) (int, *apiError) {
	v, ok := p.get(name)
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, fail(21001, name)
	}
	return n, nil
}

func (s *Server) goodsList(p params) (any, *apiError) {
	page, e := positive(p, "page", 1)
	if e != nil {
		return nil, e
	}
	size, e := positive(p, "page_size", MaxPageSize)
	if e != nil {
		return nil, e
	}
	if size > MaxPageSize {
		return nil, fail(21001, "page_size must not exceed 100")
	}
	onsale, _ := p.get("is_onsale")
	if onsale != "" && onsale != "0" && onsale != "1" {
		return nil, fail(21001, "is_onsale")
	}
	all := s.cat.filter(onsale)
	out := listJSON{GoodsList: []listGoodsJSON{}, TotalCount: len(all)}
	if from := (page - 1) * size; from < len(all) {
		for _, g := range all[from:min(from+size, len(all))] {
			lg := listGoodsJSON{
				CreatedAt: g.createdAt,
				GoodsID:   g.id,
				GoodsName: g.name,
				ImageURL:  g.image,
				IsMoreSku: onOff(len(g.skus) > 1),
				IsOnsale:  onOff(g.status == statusOnSale || g.status == statusSoldOut),
				SkuList:   []listSkuJSON{},
				ThumbURL:  g.image,
			}
			for _, k := range g.skus {
				names := make([]string, len(k.specs))
				for i, sp := range k.specs {
					names[i] = sp.specName
				}
				lg.GoodsQuantity += k.quantity
				lg.SkuList = append(lg.SkuList, listSkuJSON{
					IsSkuOnsale: onOff(k.onSale), OuterID: "SN" + strconv.FormatInt(k.id, 10),
					SkuID: k.id, SkuQuantity: k.quantity, Spec: strings.Join(names, " "),
				})
			}
			out.GoodsList = append(out.GoodsList, lg)
		}
	}
	return map[string]any{"goods_list_get_response": out}, nil
}

// filter returns the goods pdd.goods.list.get lists for is_onsale: "1"
// the goods on the shelf (on sale or sold out), "0" those taken off it,
// "" both; deleted goods are never listed.
func (c *catalog) filter(onsale string) []*goods {
	var out []*goods
	for i := range c.goods {
		g := &c.goods[i]
		on := g.status == statusOnSale || g.status == statusSoldOut
		switch {
		case g.status == statusDeleted:
		case onsale == "1" && !on, onsale == "0" && on:
		default:
			out = append(out, g)
		}
	}
	return out
}
