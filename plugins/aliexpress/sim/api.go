package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// api is one business API of the gateway: its parameters and what it
// answers. handle returns the "<method>_response" object, or a business
// error code kept in the answer itself (rsp_code), or a gateway error.
type api struct {
	required, optional []string
	handle             func(s *Server, params map[string]string) (body map[string]any, rspCode string, err *apiError)
}

// Method names.
const (
	MethodProductGet  = "aliexpress.ds.product.get"
	MethodProductList = "aliexpress.solution.product.list.get"
)

var apis = map[string]api{
	// aliexpress.ds.product.get
	// (https://open.alitrip.com/docs/doc.htm?articleId=60452&docType=2&treeId=762):
	// one product_id (a Number, so one product per call), the country to
	// ship to, the target currency and language.
	MethodProductGet: {
		required: []string{"product_id", "ship_to_country"},
		optional: []string{"target_currency", "target_language", "remove_personal_benefit"},
		handle:   (*Server).productGet,
	},
	// aliexpress.solution.product.list.get
	// (https://api.alidayu.com/docs/api.htm?apiId=42384): the store's own
	// products, page by page, with the query as one JSON object.
	MethodProductList: {
		optional: []string{"aeop_a_e_product_list_query"},
		handle:   (*Server).productList,
	},
}

// Business answer codes of aliexpress.ds.product.get, kept in the answer
// (rsp_code, rsp_msg) rather than as a gateway error.
const (
	rspOK         = "200"
	rspNotFound   = "605"
	rspNoShipping = "482"
)

func (s *Server) productGet(params map[string]string) (map[string]any, string, *apiError) {
	raw := params["product_id"]
	if strings.Contains(raw, ",") {
		return nil, "", invalid("product_id", "takes one product id per call")
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return nil, "", invalid("product_id", fmt.Sprintf("%q is not a product id", raw))
	}
	country := params["ship_to_country"]
	if len(country) != 2 || strings.ToUpper(country) != country {
		return nil, "", invalid("ship_to_country", "want an ISO 3166 country code such as US")
	}
	cur, lang, aerr := targets(params)
	if aerr != nil {
		return nil, "", aerr
	}
	it := s.cat.byID[id]
	switch {
	case it == nil || it.status == deleted:
		return map[string]any{"rsp_code": 605, "rsp_msg": "ITEM_ID_NOT_FOUND"}, rspNotFound, nil
	case it.noShipTo == country:
		return map[string]any{"rsp_code": 482, "rsp_msg": "SHIP_TO_COUNTRY_PROHIBITED"}, rspNoShipping, nil
	}
	return map[string]any{"rsp_code": 200, "rsp_msg": "Call succeeds", "result": productResult(it, country, cur, lang)}, "", nil
}

// targets reads target_currency and target_language, USD and EN when
// absent.
func targets(params map[string]string) (string, string, *apiError) {
	cur, lang := "USD", "EN"
	if v, ok := params["target_currency"]; ok {
		cur = v
	}
	if v, ok := params["target_language"]; ok {
		lang = v
	}
	if _, ok := currencies[cur]; !ok {
		return "", "", invalid("target_currency", fmt.Sprintf("%q is not simulated", cur))
	}
	if _, ok := languageTags[lang]; !ok {
		return "", "", invalid("target_language", fmt.Sprintf("%q is not simulated", lang))
	}
	return cur, lang, nil
}

func (it *item) subject(lang string) string {
	sep := " "
	if lang == "" {
		sep = "" // Chinese titles have no spaces
	}
	return adjectives[it.title[0]].in(lang) + sep + materials[it.title[1]].in(lang) + sep + nouns[it.title[2]].in(lang)
}

// productResult is the "result" of aliexpress.ds.product.get in the shapes
// the platform answers: TOP-style JSON, where a list is an object whose
// one key names the element type ("ae_item_sku_info_d_t_o") or, in some
// answers, a bare array; numbers bare or as strings; prices as decimal
// strings in the target currency; SKUs named by sku_attr, id or both;
// optional parts (status, SKUs, pictures) left out.
func productResult(it *item, country, cur, lang string) map[string]any {
	c := currencies[cur]
	list := func(key string, items any) any {
		if it.bareLists {
			return items
		}
		return map[string]any{key: items}
	}
	num := func(n int64) any {
		if it.quoted {
			return strconv.FormatInt(n, 10)
		}
		return n
	}
	skuList := make([]map[string]any, len(it.skus))
	for k, sk := range it.skus {
		props := make([]map[string]any, len(it.axes))
		for a, ax := range it.axes {
			v := ax.values[sk.values[a]]
			p := map[string]any{
				"sku_property_id":    num(int64(ax.propertyID)),
				"sku_property_name":  ax.name.in(lang),
				"sku_property_value": v.name.in(lang),
				"property_value_id":  num(v.id),
			}
			if v.custom != "" {
				p["property_value_definition_name"] = v.custom
			}
			if ax.propertyID == colorPropertyID && it.skuImages && len(it.images) > 0 {
				p["sku_image"] = it.images[sk.values[a]%len(it.images)]
			}
			props[a] = p
		}
		entry := map[string]any{
			"sku_id":                strconv.FormatInt(sk.id, 10),
			"sku_code":              fmt.Sprintf("SIM%06d-%d", it.index, k),
			"currency_code":         cur,
			"sku_price":             c.format(c.convert(sk.listFen), it.trimPrices),
			"offer_sale_price":      c.format(c.convert(sk.offerFen), it.trimPrices),
			"offer_bulk_sale_price": c.format(c.convert(sk.offerFen), it.trimPrices),
			"sku_stock":             sk.stock > 0,
			"sku_available_stock":   num(sk.stock),
			"ipm_sku_stock":         num(sk.stock),
		}
		if key := it.skuAttr(sk); key != "" {
			if it.skuKey != skuIDOnly {
				entry["sku_attr"] = key
			}
			if it.skuKey != skuAttrOnly {
				entry["id"] = key
			}
		}
		if len(props) > 0 {
			entry["ae_sku_property_dtos"] = list("ae_sku_property_d_t_o", props)
		}
		skuList[k] = entry
	}
	base := map[string]any{
		"product_id":            num(it.id),
		"category_id":           200000000 + int64(it.title[2]),
		"subject":               it.subject(lang),
		"currency_code":         "CNY",
		"gmt_create":            it.created,
		"gmt_modified":          it.modified.Format(time.DateTime),
		"owner_member_seq_long": 2675378076,
		"evaluation_count":      strconv.Itoa(it.index % 997),
		"avg_evaluation_rating": fmt.Sprintf("%d.%d", 3+it.index%3, it.index%10),
		"sales_count":           strconv.Itoa(it.index * 7 % 5000),
		"detail":                detail(it, lang),
	}
	switch {
	case it.status == offline:
		base["product_status_type"] = "offline"
		base["ws_display"] = it.wsDisplay
		base["ws_offline_date"] = it.created
	case !it.noStatus:
		base["product_status_type"] = "onSelling"
	}
	result := map[string]any{
		"ae_item_base_info_dto": base,
		"ae_item_properties": list("ae_item_property", []map[string]any{
			{"attr_name_id": 2, "attr_name": brandName.in(lang), "attr_value_id": 9275262276 + it.brand, "attr_value": brands[it.brand]},
			{"attr_name_id": 219, "attr_name": originName.in(lang), "attr_value_id": 9441741844, "attr_value": originValue.in(lang)},
		}),
		"ae_store_info":      map[string]any{"store_id": 1102923213, "store_name": "Sim Store", "store_country_code": "CN"},
		"logistics_info_dto": map[string]any{"delivery_time": 7 + it.index%20, "ship_to_country": country},
	}
	if !it.noSKUs {
		result["ae_item_sku_info_dtos"] = list("ae_item_sku_info_d_t_o", skuList)
	}
	if len(it.images) > 0 {
		urls := it.images
		if it.repeatImage {
			urls = append(slices.Clip(urls), respell(urls[0]))
		}
		result["ae_multimedia_info_dto"] = map[string]any{"image_urls": strings.Join(urls, ";")}
	}
	return result
}

// skuAttr is the SKU's property combination as sku_attr and id write it:
// "14:193#款式一;5:100014064", the seller's value name after '#'; "" for
// a product without options.
func (it *item) skuAttr(sk sku) string {
	var combo []string
	for a, ax := range it.axes {
		v := ax.values[sk.values[a]]
		part := strconv.Itoa(ax.propertyID) + ":" + strconv.FormatInt(v.id, 10)
		if v.custom != "" {
			part += "#" + v.custom
		}
		combo = append(combo, part)
	}
	return strings.Join(combo, ";")
}

// respell writes a picture's URL another way the platform writes the same
// file: protocol-relative for an https one, https with the host in
// capitals for a protocol-relative one.
func respell(u string) string {
	if rest, ok := strings.CutPrefix(u, "https://"); ok {
		return "//" + rest
	}
	return strings.Replace(u, "//ae01.alicdn.com/", "https://AE01.alicdn.com/", 1)
}

func detail(it *item, lang string) string {
	var b strings.Builder
	b.WriteString(`<div class="detailmodule_html"><p>`)
	b.WriteString(it.subject(lang))
	b.WriteString(`</p>`)
	if it.chineseDetail {
		b.WriteString(`<p>` + it.subject("") + `</p>`)
	}
	for _, img := range it.images {
		b.WriteString(`<img src="` + img + `"/>`)
	}
	b.WriteString(`</div>`)
	return b.String()
}

// listQuery is aeop_a_e_product_list_query, with the fields the
// documentation lists; any other is refused.
type listQuery struct {
	CurrentPage        *flexInt `json:"current_page"`
	ExceptedProductIDs []int64  `json:"excepted_product_ids"`
	OffLineTime        *flexInt `json:"off_line_time"`
	OwnerMemberID      *string  `json:"owner_member_id"`
	PageSize           *flexInt `json:"page_size"`
	ProductID          *flexInt `json:"product_id"`
	ProductStatusType  *string  `json:"product_status_type"`
	Subject            *string  `json:"subject"`
	WsDisplay          *string  `json:"ws_display"`
	HaveNationalQuote  *string  `json:"have_national_quote"`
	GroupID            *flexInt `json:"group_id"`
}

// flexInt accepts 2 and "2": clients built on the TOP SDKs send numbers
// as either.
type flexInt int64

func (f *flexInt) UnmarshalJSON(b []byte) error {
	b = bytes.Trim(b, `"`)
	n, err := strconv.ParseInt(string(b), 10, 64)
	*f = flexInt(n)
	return err
}

// Page size limits of aliexpress.solution.product.list.get: "The input
// value must be less than 100, the default value of which is 20."
const (
	defaultPageSize = 20
	maxPageSize     = 99
)

func (s *Server) productList(params map[string]string) (map[string]any, string, *apiError) {
	const name = "aeop_a_e_product_list_query"
	var q listQuery
	if raw, ok := params[name]; ok {
		dec := json.NewDecoder(strings.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&q); err != nil {
			return nil, "", invalid(name, "not a query object: "+err.Error())
		}
	}
	if q.ProductStatusType == nil {
		return nil, "", missing(name + ".product_status_type")
	}
	want := *q.ProductStatusType
	if !slices.Contains([]string{"onSelling", "offline", "auditing", "editingRequired"}, want) {
		return nil, "", invalid(name+".product_status_type", fmt.Sprintf("%q is not a product status", want))
	}
	page, size := int64(1), int64(defaultPageSize)
	if q.CurrentPage != nil {
		page = int64(*q.CurrentPage)
	}
	if q.PageSize != nil {
		size = int64(*q.PageSize)
	}
	if page < 1 {
		return nil, "", invalid(name+".current_page", "pages count from 1")
	}
	if size < 1 || size > maxPageSize {
		return nil, "", invalid(name+".page_size", fmt.Sprintf("must be less than 100, got %d", size))
	}

	var match []*item
	for _, it := range s.cat.items {
		st := "onSelling"
		switch it.status {
		case deleted:
			continue
		case offline:
			st = "offline"
		}
		if st != want ||
			(q.OwnerMemberID != nil && *q.OwnerMemberID != s.opts.ShopID) ||
			(q.ProductID != nil && int64(*q.ProductID) != it.id) ||
			slices.Contains(q.ExceptedProductIDs, it.id) {
			continue
		}
		match = append(match, it)
	}
	total := int64(len(match))
	pages := (total + size - 1) / size
	result := map[string]any{"current_page": page, "product_count": total, "total_page": pages, "success": true}
	if from := (page - 1) * size; from < total {
		var list []map[string]any
		for _, it := range match[from:min(from+size, total)] {
			list = append(list, listEntry(it, s.opts.ShopID))
		}
		result["aeop_a_e_product_display_d_t_o_list"] = map[string]any{"item_display_dto": list}
	}
	return map[string]any{"result": result}, "", nil
}

// listEntry is one item_display_dto: the store's own view, in its own
// language (Chinese) and currency.
func listEntry(it *item, owner string) map[string]any {
	lo, hi := it.skus[0].listFen, it.skus[0].listFen
	for _, sk := range it.skus {
		lo, hi = min(lo, sk.listFen), max(hi, sk.listFen)
	}
	e := map[string]any{
		"product_id":          it.id,
		"subject":             it.subject(""),
		"currency_code":       "CNY",
		"owner_member_id":     owner,
		"owner_member_seq":    1021372981,
		"product_min_price":   cny(lo),
		"product_max_price":   cny(hi),
		"src":                 "isv",
		"gmt_create":          it.created,
		"gmt_modified":        it.created,
		"freight_template_id": 1000,
	}
	if len(it.images) > 0 {
		e["image_u_r_ls"] = it.images[0]
	}
	if it.status == offline {
		e["ws_display"] = it.wsDisplay
		e["ws_offline_date"] = it.created
	}
	return e
}
