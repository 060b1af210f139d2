package collector

import (
	"bytes"
	"fmt"
	"strconv"
)

// count is a non-negative whole number of the platform: ids, prices in fen
// and quantities. The API pages type them LONG; clients generated from the
// same pages accept "string | number", so both forms are read. A fraction,
// an exponent or a sign is refused rather than rounded: a price in fen has
// no decimals, and reading 19.9 fen as 19 or 20 would be a silent error.
type count int64

func (n *count) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*n = 0
		return nil
	}
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' {
		b = b[1 : len(b)-1]
	}
	if len(b) == 0 || len(b) > 18 {
		return fmt.Errorf("%q is not a whole number of at most 18 digits", b)
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return fmt.Errorf("%q is not a whole number", b)
		}
		v = v*10 + int64(c-'0')
	}
	*n = count(v)
	return nil
}

func (n count) String() string { return strconv.FormatInt(int64(n), 10) }

// goodsDetail is goods_detail_get_response of pdd.goods.detail.get, the
// fields this plugin maps (names and meanings from the API page; see the
// response model in niltor/open-pdd-net-sdk GetGoodsDetailResponseModel.cs
// and lywzx/pdd-node-sdk PddGoodsDetailGet.ts, both generated from it).
type goodsDetail struct {
	GoodsID   count  `json:"goods_id"`
	GoodsName string `json:"goods_name"`
	GoodsDesc string `json:"goods_desc"`
	// Status: 1 上架 (on sale), 2 下架 (off the shelf), 3 售罄 (sold out),
	// 4 已删除 (deleted); absent (0) reads as on sale.
	Status count `json:"status"`
	// CatID is the leaf category (叶子类目ID), whose template
	// (pdd.goods.cat.template.get) names the properties.
	CatID count `json:"cat_id"`
	// GoodsPropertyList (商品属性列表) names each property by id only:
	// template_pid (模板属性Id) and ref_pid (引用属性id), with its value
	// (vvalue, vid) and unit (punit).
	GoodsPropertyList   []goodsProperty `json:"goods_property_list"`
	ImageURL            string          `json:"image_url"`             // 商品主图
	CarouselGalleryList []string        `json:"carousel_gallery_list"` // 商品轮播图列表
	SkuList             []skuDetail     `json:"sku_list"`
}

const (
	goodsOnSale   = 1
	goodsOffShelf = 2
	goodsSoldOut  = 3
	goodsDeleted  = 4
)

type goodsProperty struct {
	TemplatePid count  `json:"template_pid"`
	RefPid      count  `json:"ref_pid"`
	Vid         count  `json:"vid"`
	Vvalue      string `json:"vvalue"`
	Punit       string `json:"punit"`
}

type skuDetail struct {
	SkuID    count `json:"sku_id"`
	IsOnsale count `json:"is_onsale"` // 上下架状态 1：上架 0 ：下架
	// Price is 商品单买价格 (single-purchase price), MultiPrice 商品团购价格
	// (group price), both 单位分: integers in fen.
	Price      count     `json:"price"`
	MultiPrice count     `json:"multi_price"`
	Quantity   count     `json:"quantity"`  // 库存
	ThumbURL   string    `json:"thumb_url"` // sku预览图
	Spec       []skuSpec `json:"spec"`      // 商品规格列表
}

// skuSpec is one axis of a SKU: parent_name is the spec's name (颜色),
// spec_name the value (红色).
type skuSpec struct {
	ParentName string `json:"parent_name"`
	SpecName   string `json:"spec_name"`
}

// goodsList is goods_list_get_response of pdd.goods.list.get.
type goodsList struct {
	GoodsList []struct {
		GoodsID count `json:"goods_id"`
	} `json:"goods_list"`
	TotalCount int64 `json:"total_count"`
}

// catTemplate is open_api_response of pdd.goods.cat.template.get (获取商品
// 类目属性): the category's properties with their template id (id), the
// property they refer to (ref_pid), name and whether they are sale
// properties (is_sale). Fields as lywzx/pdd-node-sdk@1d5888d5
// packages/pdd-origin-api/src/shangPin/PddGoodsCatTemplateGet.ts and
// niltor/open-pdd-net-sdk GetGoodsCatTemplateResponse.cs carry them.
type catTemplate struct {
	Properties []struct {
		ID     count  `json:"id"`
		RefPid count  `json:"ref_pid"`
		Name   string `json:"name"`
		IsSale bool   `json:"is_sale"`
	} `json:"properties"`
}
