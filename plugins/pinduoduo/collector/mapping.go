package collector

import (
	"fmt"
	"strings"

	"github.com/marketsync/marketsync/sdk"
)

// Source is Product.Source of everything this plugin returns.
const Source = "pinduoduo"

// Locale of the platform's text: PDD serves Simplified Chinese and does not
// translate.
const Locale = "zh-CN"

// Currency of every price: the platform's prices are integers in fen (分),
// the minor unit of CNY (ISO 4217 exponent 2), so they are Money amounts
// as they stand.
const Currency = "CNY"

// Price choices for the price_type setting.
const (
	// PriceSingle is the single-purchase price (单买价, sku price), what a
	// buyer pays alone: the default.
	PriceSingle = "single"
	// PriceGroup is the group-buying price (拼团价, sku multi_price).
	PriceGroup = "group"
)

// ProductURL is the product page of goods id. PDD has no separate desktop
// product page: mobile.yangkeduo.com/goods.html is the web page every
// share link and the other hosts lead to, and desktop browsers open it.
func ProductURL(id string) string {
	return "https://mobile.yangkeduo.com/goods.html?goods_id=" + id
}

// mapGoods turns a goods detail into the canonical product, or a per-item
// error: NOT_FOUND for goods off the shelf (status 2), deleted (status 4)
// or with no SKU on sale, since none of them can be bought; INVALID for an
// answer that cannot be mapped. Sold-out goods (status 3) are products
// with no stock.
//
// The goods properties become attributes named by names, the category's
// template; sale properties are left to the variants. It returns the
// template_pids of properties the template does not name, which are left
// out: an attribute called "137041" says nothing to a buyer.
func mapGoods(d *goodsDetail, priceType string, names propertyNames) (*sdk.Product, []int64, *sdk.Error) {
	id := d.GoodsID.String()
	switch d.Status {
	case goodsOffShelf:
		return nil, nil, sdk.NotFound("goods_off_shelf", fmt.Sprintf("goods %s is off the shelf (status 2 下架)", id))
	case goodsDeleted:
		return nil, nil, sdk.NotFound("goods_deleted", fmt.Sprintf("goods %s is deleted (status 4 已删除)", id))
	}
	if d.GoodsID == 0 {
		return nil, nil, sdk.Invalid("pdd_bad_goods", "goods detail has no goods_id")
	}
	p := &sdk.Product{
		ID:     id,
		Source: Source,
		Title:  map[string]string{Locale: d.GoodsName},
		URL:    ProductURL(id),
	}
	if d.GoodsDesc != "" {
		p.Description = map[string]string{Locale: d.GoodsDesc}
	}
	// The carousel (轮播图) is the product's pictures; the main image is
	// its first as a rule, and stands alone only when there is no carousel.
	// Carousels repeat pictures (seven of ten the same in a real answer):
	// the host keeps each picture once (model.Normalize), for every
	// platform alike.
	images := d.CarouselGalleryList
	if len(images) == 0 && d.ImageURL != "" {
		images = []string{d.ImageURL}
	}
	for _, raw := range images {
		if u := imageURL(raw); u != "" {
			p.Images = append(p.Images, sdk.Image{URL: u})
		}
	}
	p.Variants = make([]sdk.Variant, 0, len(d.SkuList))
	for i := range d.SkuList {
		s := &d.SkuList[i]
		if s.IsOnsale != 1 {
			continue // an SKU taken off sale cannot be bought
		}
		if s.SkuID == 0 {
			return nil, nil, sdk.Invalid("pdd_bad_goods", fmt.Sprintf("goods %s: sku_list[%d] has no sku_id", id, i))
		}
		price := s.Price
		if priceType == PriceGroup {
			price = s.MultiPrice
		}
		v := sdk.Variant{
			// Every PDD goods has SKUs with ids, even one without specs
			// (a single SKU whose spec list is empty), and sku_id is what
			// the platform's stock and price APIs take, so it is the SKU
			// here too rather than the goods id.
			SKU:   s.SkuID.String(),
			Price: sdk.Money{Amount: int64(price), Currency: Currency},
			Stock: int64(s.Quantity),
			Image: imageURL(s.ThumbURL),
		}
		if len(s.Spec) > 0 {
			v.Options = make([]sdk.Option, 0, len(s.Spec))
			for _, sp := range s.Spec {
				v.Options = append(v.Options, sdk.Option{Name: sp.ParentName, Value: sp.SpecName})
			}
		}
		p.Variants = append(p.Variants, v)
	}
	if len(p.Variants) == 0 {
		return nil, nil, sdk.NotFound("goods_not_on_sale", fmt.Sprintf("goods %s has no SKU on sale", id))
	}
	var unnamed []int64
	p.Attributes, unnamed = attributes(d.GoodsPropertyList, names)
	return p, unnamed, nil
}

// attributes names goods properties by the category template: each
// becomes an attribute valued vvalue followed by its unit, but sale
// properties and properties without a value. It returns the template_pids
// of the properties the template does not name.
func attributes(list []goodsProperty, names propertyNames) ([]sdk.Attribute, []int64) {
	var out []sdk.Attribute
	var unnamed []int64
	for _, gp := range list {
		value := strings.TrimSpace(gp.Vvalue)
		if value == "" || names.sale[int64(gp.TemplatePid)] {
			continue
		}
		name, ok := names.name(gp)
		if !ok {
			unnamed = append(unnamed, int64(gp.TemplatePid))
			continue
		}
		out = append(out, sdk.Attribute{Name: name, Value: value + strings.TrimSpace(gp.Punit), Locale: Locale})
	}
	return out, unnamed
}

// imageURL makes an image address absolute: the platform's CDNs give some
// as protocol-relative "//img.pddpic.com/...", which becomes https. An
// address with neither scheme nor host is dropped: it names no picture.
func imageURL(raw string) string {
	u := strings.TrimSpace(raw)
	switch {
	case strings.HasPrefix(u, "//"):
		return "https:" + u
	case strings.HasPrefix(u, "https://"), strings.HasPrefix(u, "http://"):
		return u
	}
	return ""
}
