package sim

import (
	"strconv"
	"strings"
)

// api is one served API: its parameters, the Item fields it may return,
// and its handler.
type api struct {
	params map[string]bool
	fields map[string]bool
	serve  func(s *Server, p map[string]string, fields []string) (map[string]any, *topError)
}

func set(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Split(words, ",") {
		m[w] = true
	}
	return m
}

// apis are the served APIs with the parameters and fields their
// documentation lists (developer.alibaba.com apiId=18 for
// taobao.items.onsale.get, apiId=40575 and the official SDK request class
// for taobao.items.seller.list.get).
var apis = map[string]*api{
	"taobao.items.seller.list.get": {
		params: set("fields,num_iids"),
		fields: set("num_iid,title,nick,type,cid,seller_cids,props,props_name,property_alias,approve_status,price,num,pic_url,item_img,prop_img,sku,modified,list_time,delist_time,outer_id,desc,detail_url"),
		serve:  (*Server).sellerList,
	},
	"taobao.items.onsale.get": {
		params: set("fields,q,cid,seller_cids,page_no,page_size,has_discount,has_showcase,order_by,is_taobao,is_ex,start_modified,end_modified,is_cspu,is_combine,auction_type"),
		fields: set("approve_status,num_iid,title,nick,type,cid,pic_url,num,props,valid_thru,list_time,price,has_discount,has_invoice,has_warranty,has_showcase,modified,delist_time,postage_id,seller_cids,outer_id,sold_quantity"),
		serve:  (*Server).onSaleList,
	},
}

// maxNumIIDs is taobao.items.seller.list.get's batch cap: "一次最多不超过20个".
const maxNumIIDs = 20

// maxDepth: taobao.items.onsale.get fails when page_no × page_size goes
// beyond 20,000.
const maxDepth = 20000

// answer checks the API parameters and serves the call.
func (s *Server) answer(name string, p map[string]string) (map[string]any, *topError) {
	a := apis[name]
	for k := range p {
		if !systemParams[k] && !a.params[k] {
			return nil, badParam(k, "unknown parameter "+k+" for "+name)
		}
	}
	if p["fields"] == "" {
		return nil, refuse(40, "Missing required arguments:fields", "isv.missing-parameter:fields", "fields is required")
	}
	fields := strings.Split(p["fields"], ",")
	for _, f := range fields {
		if !a.fields[strings.TrimSpace(f)] {
			return nil, badParam("fields", "field "+f+" cannot be returned by "+name)
		}
	}
	return a.serve(s, p, fields)
}

func (s *Server) sellerList(p map[string]string, fields []string) (map[string]any, *topError) {
	if p["num_iids"] == "" {
		return nil, refuse(40, "Missing required arguments:num_iids", "isv.missing-parameter:num_iids", "num_iids is required")
	}
	ids := strings.Split(p["num_iids"], ",")
	if len(ids) > maxNumIIDs {
		return nil, badParam("num_iids", "一次最多不超过20个: got "+strconv.Itoa(len(ids)))
	}
	var out []any
	s.cat.RLock()
	defer s.cat.RUnlock()
	for _, id := range ids {
		if _, err := strconv.ParseInt(id, 10, 64); err != nil {
			return nil, badParam("num_iids", id+" is not a number")
		}
		// Unknown, deleted or another seller's items are left out
		// without an error, as the API documents.
		if i, ok := s.byID[id]; ok && s.items[i].state != deleted {
			out = append(out, s.items[i].render(fields))
		}
	}
	resp := map[string]any{}
	if len(out) > 0 {
		resp["items"] = map[string]any{"item": out}
	}
	return resp, nil
}

func (s *Server) onSaleList(p map[string]string, fields []string) (map[string]any, *topError) {
	page, size := 1, 40
	for name, v := range map[string]*int{"page_no": &page, "page_size": &size} {
		if raw, ok := p[name]; ok {
			n, err := strconv.Atoi(raw)
			if err != nil || n < 1 {
				return nil, badParam(name, name+" must be a positive integer")
			}
			*v = n
		}
	}
	if size > 200 {
		return nil, badParam("page_size", "page_size must not exceed 200")
	}
	if page*size > maxDepth {
		return nil, badParam("page_no", "page_no*page_size must not exceed 20000")
	}
	resp := map[string]any{"total_results": len(s.onSale)}
	var out []any
	s.cat.RLock()
	defer s.cat.RUnlock()
	for k := (page - 1) * size; k < len(s.onSale) && k < page*size; k++ {
		out = append(out, s.items[s.onSale[k]].render(fields))
	}
	if len(out) > 0 {
		resp["items"] = map[string]any{"item": out}
	}
	return resp, nil
}

// render writes the item as TOP's JSON with the requested fields. Lists
// are wrapped the non-simplified way: "skus":{"sku":[…]}, one SKU
// included. Some items leave approve_status out, write their numbers as
// strings or list a picture twice, as real answers do.
func (it *catalogItem) render(fields []string) map[string]any {
	out := map[string]any{}
	num := func(n int64) any {
		if it.quoted {
			return strconv.FormatInt(n, 10)
		}
		return n
	}
	status := "onsale"
	if it.state != onSale {
		status = "instock"
	}
	for _, f := range fields {
		switch strings.TrimSpace(f) {
		case "num_iid":
			out["num_iid"] = num(it.id)
		case "title":
			out["title"] = it.title
		case "approve_status":
			if !it.noStatus {
				out["approve_status"] = status
			}
		case "price":
			out["price"] = writePrice(it.price, it.priceForm)
		case "num":
			out["num"] = num(it.num)
		case "nick":
			out["nick"] = "拾光旗舰店"
		case "list_time":
			out["list_time"] = it.listTime.Format("2006-01-02 15:04:05")
		case "modified":
			out["modified"] = it.modified.Format("2006-01-02 15:04:05")
		case "desc":
			if it.desc != "" {
				out["desc"] = it.desc
			}
		case "pic_url":
			if len(it.images) > 0 {
				out["pic_url"] = it.images[0]
			}
		case "props_name":
			// The category properties list every value of the sale
			// properties too, by their standard names.
			var parts []string
			for _, pr := range it.allProps() {
				parts = append(parts, pr.key()+":"+pr.name+":"+pr.text)
			}
			out["props_name"] = strings.Join(parts, ";")
		case "property_alias":
			var parts []string
			for _, pr := range it.allProps() {
				if pr.alias != "" {
					parts = append(parts, pr.key()+":"+pr.alias)
				}
			}
			out["property_alias"] = strings.Join(parts, ";")
		case "item_img":
			if len(it.images) > 0 && !it.picOnly {
				// Written last position first: position, not list
				// order, is the display order.
				var imgs []any
				if it.repeatImage {
					again := "https://IMG.alicdn.com" + strings.TrimPrefix(it.images[0], "//img.alicdn.com")
					imgs = append(imgs, map[string]any{"id": num(it.id*10 + 9), "url": again, "position": num(int64(len(it.images)))})
				}
				for k := len(it.images) - 1; k >= 0; k-- {
					imgs = append(imgs, map[string]any{"id": num(it.id*10 + int64(k)), "url": it.images[k], "position": num(int64(k))})
				}
				out["item_imgs"] = map[string]any{"item_img": imgs}
			}
		case "sku":
			if len(it.skus) > 0 {
				var skus []any
				for _, s := range it.skus {
					skus = append(skus, s.render(it.priceForm, num))
				}
				out["skus"] = map[string]any{"sku": skus}
			}
		}
	}
	return out
}

// allProps are the item's properties followed by the distinct values of
// its sale properties, in SKU order.
func (it *catalogItem) allProps() []prop {
	out := append([]prop(nil), it.props...)
	seen := map[string]bool{}
	for _, s := range it.skus {
		for _, pr := range s.props {
			if !seen[pr.key()] {
				seen[pr.key()] = true
				out = append(out, pr)
			}
		}
	}
	return out
}

func (pr prop) key() string {
	return strconv.FormatInt(pr.pid, 10) + ":" + strconv.FormatInt(pr.vid, 10)
}

func (s *catalogSKU) render(form int, num func(int64) any) map[string]any {
	var props, names []string
	for _, pr := range s.props {
		props = append(props, pr.key())
		names = append(names, pr.key()+":"+pr.name+":"+pr.text)
	}
	status := "normal"
	if s.deleted {
		status = "delete"
	}
	return map[string]any{
		"sku_id":          num(s.id),
		"price":           writePrice(s.price, form),
		"quantity":        num(s.stock),
		"properties":      strings.Join(props, ";"),
		"properties_name": strings.Join(names, ";"),
		"status":          status,
	}
}
