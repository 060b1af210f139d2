package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

type userError struct {
	Field   []string `json:"field"`
	Message string   `json:"message"`
	Code    string   `json:"code,omitempty"`
}

type productSetArgs struct {
	Identifier *struct {
		ID       string     `json:"id"`
		CustomID *metafield `json:"customId"`
	} `json:"identifier"`
	Input productSetInput `json:"input"`
}

type productSetInput struct {
	Title           *string `json:"title"`
	DescriptionHTML *string `json:"descriptionHtml"`
	Status          *string `json:"status"`
	ProductOptions  []struct {
		Name   string `json:"name"`
		Values []struct {
			Name string `json:"name"`
		} `json:"values"`
	} `json:"productOptions"`
	Variants []variantSetInput `json:"variants"`
	Files    []struct {
		OriginalSource string `json:"originalSource"`
	} `json:"files"`
	Metafields []metafield `json:"metafields"`
}

type variantSetInput struct {
	ID           string `json:"id"`
	OptionValues []struct {
		OptionName string `json:"optionName"`
		Name       string `json:"name"`
	} `json:"optionValues"`
	Price *string `json:"price"`
	// CompareAtPrice is raw so that null (clear it) differs from absent
	// (keep it).
	CompareAtPrice json.RawMessage `json:"compareAtPrice"`
	Barcode        *string         `json:"barcode"`
	InventoryItem  *struct {
		SKU string `json:"sku"`
	} `json:"inventoryItem"`
	InventoryQuantities []struct {
		LocationID string `json:"locationId"`
		Name       string `json:"name"`
		Quantity   int64  `json:"quantity"`
	} `json:"inventoryQuantities"`
}

// validPrice accepts a non-negative decimal with at most the currency's
// digits (a Money scalar).
func validPrice(p string, digits int) bool {
	whole, frac, _ := strings.Cut(p, ".")
	if whole == "" || len(frac) > digits || strings.HasPrefix(p, "-") {
		return false
	}
	for _, c := range whole + frac {
		if c < '0' || c > '9' {
			return false
		}
	}
	n, err := strconv.ParseFloat(p, 64)
	return err == nil && n < 1e15
}

func currencyDigits(c string) int {
	switch c {
	case "JPY", "KRW", "VND", "CLP", "ISK":
		return 0
	case "KWD", "BHD", "OMR", "JOD", "TND":
		return 3
	}
	return 2
}

// productSet creates or updates one product. Lists (options, variants,
// files, metafields) become exactly what the input holds: entries left
// out are deleted ("productSet",
// https://shopify.dev/docs/api/admin-graphql/latest/mutations/productSet).
// A variant is the existing one with its id or, without one, with the
// same option values; a new one otherwise.
func (s *Server) productSet(a productSetArgs) map[string]any {
	s.mu.Lock()
	var p *product
	in := a.Input
	fail := func(errs ...userError) map[string]any {
		s.mu.Unlock()
		return map[string]any{"product": nil, "userErrors": errs}
	}
	if a.Identifier != nil && a.Identifier.ID != "" {
		id, _ := parseGID("Product", a.Identifier.ID)
		if p = s.products[id]; p == nil {
			return fail(userError{Field: []string{"identifier", "id"}, Message: "Product does not exist", Code: "PRODUCT_DOES_NOT_EXIST"})
		}
	}
	var custom *metafield
	if a.Identifier != nil && a.Identifier.CustomID != nil {
		// Upsert by custom ID: an id-typed metafield, unique per store
		// ("Working with custom IDs",
		// https://shopify.dev/docs/apps/build/custom-data/metafields/working-with-custom-ids).
		c := *a.Identifier.CustomID
		c.Type = "id"
		custom = &c
		p = s.byCustomIDLocked(c)
	}
	var errs []userError
	if in.Title == nil && p == nil || in.Title != nil && strings.TrimSpace(*in.Title) == "" {
		errs = append(errs, userError{Field: []string{"input", "title"}, Message: "Title can't be blank", Code: "INVALID_INPUT"})
	} else if in.Title != nil && utf8.RuneCountInString(*in.Title) > MaxTitle {
		errs = append(errs, userError{Field: []string{"input", "title"}, Message: fmt.Sprintf("Title is too long (maximum is %d characters)", MaxTitle), Code: "INVALID_INPUT"})
	}
	if len(in.Variants) == 0 {
		errs = append(errs, userError{Field: []string{"input", "variants"}, Message: "Variants input is required", Code: "VARIANTS_INPUT_MISSING"})
	}
	opts := map[string][]string{}
	for _, o := range in.ProductOptions {
		for _, v := range o.Values {
			opts[o.Name] = append(opts[o.Name], v.Name)
		}
	}
	// ProductStatus: ACTIVE, ARCHIVED, DRAFT
	// (https://shopify.dev/docs/api/admin-graphql/2026-04/enums/ProductStatus);
	// the API refuses another value when it coerces the input.
	if in.Status != nil && !slices.Contains([]string{"ACTIVE", "ARCHIVED", "DRAFT"}, *in.Status) {
		errs = append(errs, userError{Field: []string{"input", "status"}, Message: fmt.Sprintf("Expected %q to be one of: ACTIVE, ARCHIVED, DRAFT", *in.Status), Code: "INVALID_INPUT"})
	}
	skus := map[string]int{}
	digits := currencyDigits(s.opts.Currency)
	compareAt := make([]*string, len(in.Variants))
	for i, v := range in.Variants {
		at := func(f ...string) []string { return append([]string{"input", "variants", strconv.Itoa(i)}, f...) }
		if v.Price != nil && !validPrice(*v.Price, digits) {
			errs = append(errs, userError{Field: at("price"), Message: fmt.Sprintf("Price %q is not a valid amount of %s", *v.Price, s.opts.Currency), Code: "INVALID_VARIANT"})
		}
		if len(v.CompareAtPrice) > 0 {
			var was *string
			if json.Unmarshal(v.CompareAtPrice, &was) != nil || was != nil && !validPrice(*was, digits) {
				errs = append(errs, userError{Field: at("compareAtPrice"), Message: fmt.Sprintf("Compare at price %s is not a valid amount of %s", v.CompareAtPrice, s.opts.Currency), Code: "INVALID_VARIANT"})
			}
			empty := ""
			if compareAt[i] = &empty; was != nil {
				compareAt[i] = was
			}
		}
		if v.InventoryItem != nil && v.InventoryItem.SKU != "" {
			if j, dup := skus[v.InventoryItem.SKU]; dup {
				errs = append(errs, userError{Field: at("inventoryItem", "sku"), Message: fmt.Sprintf("SKU %q is already used by variant %d", v.InventoryItem.SKU, j), Code: "DUPLICATED_VALUE"})
			}
			skus[v.InventoryItem.SKU] = i
		}
		for _, ov := range v.OptionValues {
			if !slices.Contains(opts[ov.OptionName], ov.Name) {
				errs = append(errs, userError{Field: at("optionValues"), Message: fmt.Sprintf("Option value %s: %s does not exist", ov.OptionName, ov.Name), Code: "OPTION_VALUE_DOES_NOT_EXIST"})
			}
		}
	}
	if len(errs) > 0 {
		return fail(errs...)
	}
	topic := "products/update"
	if p == nil {
		topic = "products/create"
		p = &product{id: s.next(), status: "ACTIVE"}
		s.products[p.id] = p
		s.order = append(s.order, p.id)
	}
	if in.Title != nil {
		p.title = *in.Title
	}
	if in.DescriptionHTML != nil {
		p.description = *in.DescriptionHTML
	}
	if in.Status != nil {
		p.status = *in.Status
	}
	p.options = nil
	for _, o := range in.ProductOptions {
		p.options = append(p.options, option{Name: o.Name, Values: opts[o.Name]})
	}
	old := p.variants
	p.variants = nil
	kept := map[int64]bool{}
	for i, vin := range in.Variants {
		var sel []selected
		for _, ov := range vin.OptionValues {
			sel = append(sel, selected{Name: ov.OptionName, Value: ov.Name})
		}
		var v *variant
		for _, o := range old {
			if !kept[o.id] && (vin.ID != "" && gid("ProductVariant", o.id) == vin.ID || vin.ID == "" && slices.Equal(o.options, sel)) {
				v = o
				break
			}
		}
		if v == nil {
			v = &variant{id: s.next(), item: s.next(), price: "0.00"}
			for _, q := range vin.InventoryQuantities {
				if q.LocationID == LocationID {
					s.stock[v.item] = q.Quantity
				}
			}
		}
		kept[v.id] = true
		v.options = sel
		if vin.Price != nil {
			v.price = *vin.Price
		}
		if compareAt[i] != nil {
			v.compareAt = *compareAt[i]
		}
		if vin.Barcode != nil {
			v.barcode = *vin.Barcode
		}
		if vin.InventoryItem != nil {
			v.sku = vin.InventoryItem.SKU
		}
		p.variants = append(p.variants, v)
	}
	for _, o := range old {
		if !kept[o.id] {
			delete(s.stock, o.item)
		}
	}
	p.media = nil
	for _, f := range in.Files {
		p.media = append(p.media, f.OriginalSource)
	}
	if in.Metafields != nil {
		p.metafields = append([]metafield(nil), in.Metafields...)
	}
	if custom != nil && s.byCustomIDLocked(*custom) != p {
		p.metafields = append(p.metafields, *custom)
	}
	p.updated = s.gw.Now()
	out := s.productJSON(p)
	hook := s.productHookLocked(topic, p)
	s.mu.Unlock()
	s.deliver(hook)
	return map[string]any{"product": out, "userErrors": []userError{}}
}

// byCustomIDLocked finds the product whose metafield holds the value.
func (s *Server) byCustomIDLocked(c metafield) *product {
	for _, id := range s.order {
		for _, m := range s.products[id].metafields {
			if m.Namespace == c.Namespace && m.Key == c.Key && m.Value == c.Value {
				return s.products[id]
			}
		}
	}
	return nil
}

func (s *Server) productJSON(p *product) map[string]any {
	variants := []map[string]any{}
	for _, v := range p.variants {
		var compareAt any // null when the variant has none
		if v.compareAt != "" {
			compareAt = v.compareAt
		}
		variants = append(variants, map[string]any{
			"id": gid("ProductVariant", v.id), "sku": v.sku, "price": v.price, "compareAtPrice": compareAt, "barcode": v.barcode,
			"inventoryQuantity": s.stock[v.item], "selectedOptions": v.options,
			"inventoryItem": map[string]any{"id": gid("InventoryItem", v.item)},
		})
	}
	media := []map[string]any{}
	for _, m := range p.media {
		media = append(media, map[string]any{"mediaContentType": "IMAGE", "image": map[string]any{"url": m}})
	}
	return map[string]any{
		"id": gid("Product", p.id), "title": p.title, "descriptionHtml": p.description, "status": p.status,
		"updatedAt": p.updated.UTC().Format("2006-01-02T15:04:05Z"), "options": p.options,
		"media": map[string]any{"nodes": media}, "metafields": map[string]any{"nodes": p.metafields},
		"variants": map[string]any{"nodes": variants},
	}
}

// variantsBulkUpdate sets variant prices of one product. With
// allowPartialUpdates the valid variants are saved and the others
// refused one by one.
func (s *Server) variantsBulkUpdate(args map[string]any) (any, error) {
	var in struct {
		ProductID string `json:"productId"`
		Variants  []struct {
			ID      string  `json:"id"`
			Price   *string `json:"price"`
			Barcode *string `json:"barcode"`
		} `json:"variants"`
		AllowPartialUpdates bool `json:"allowPartialUpdates"`
	}
	if err := decode(args, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	id, _ := parseGID("Product", in.ProductID)
	p := s.products[id]
	if p == nil {
		s.mu.Unlock()
		return map[string]any{"product": nil, "productVariants": nil, "userErrors": []userError{{Field: []string{"productId"}, Message: "Product does not exist", Code: "PRODUCT_DOES_NOT_EXIST"}}}, nil
	}
	var errs []userError
	type change struct {
		v     *variant
		price string
	}
	var changes []change
	digits := currencyDigits(s.opts.Currency)
	for i, vin := range in.Variants {
		var v *variant
		for _, x := range p.variants {
			if gid("ProductVariant", x.id) == vin.ID {
				v = x
			}
		}
		switch {
		case v == nil:
			errs = append(errs, userError{Field: []string{"variants", strconv.Itoa(i), "id"}, Message: "Product variant does not exist", Code: "PRODUCT_VARIANT_DOES_NOT_EXIST"})
		case vin.Price != nil && !validPrice(*vin.Price, digits):
			errs = append(errs, userError{Field: []string{"variants", strconv.Itoa(i), "price"}, Message: fmt.Sprintf("Price %q is not a valid amount of %s", *vin.Price, s.opts.Currency), Code: "INVALID_INPUT"})
		case vin.Price != nil:
			changes = append(changes, change{v, *vin.Price})
		}
	}
	if len(errs) > 0 && !in.AllowPartialUpdates {
		changes = nil
	}
	var updated []map[string]any
	for _, c := range changes {
		c.v.price = c.price
		updated = append(updated, map[string]any{"id": gid("ProductVariant", c.v.id), "price": c.price})
	}
	var hook *Delivery
	if len(changes) > 0 {
		p.updated = s.gw.Now()
		hook = s.productHookLocked("products/update", p)
	}
	s.mu.Unlock()
	s.deliver(hook)
	if errs == nil {
		errs = []userError{}
	}
	return map[string]any{"product": map[string]any{"id": in.ProductID}, "productVariants": updated, "userErrors": errs}, nil
}

// inventorySet sets available quantities at absolute values with
// compare-and-swap: every quantity carries changeFromQuantity (null opts
// out), and a stale one fails the whole mutation with
// CHANGE_FROM_QUANTITY_STALE. The @idempotent key makes a replay return
// the first answer and change nothing.
func (s *Server) inventorySet(key string, args map[string]any) (any, error) {
	var in struct {
		Input struct {
			Name       string `json:"name"`
			Reason     string `json:"reason"`
			Quantities []map[string]json.RawMessage
		} `json:"input"`
	}
	if err := decode(args, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	if prev, ok := s.idem[key]; ok {
		s.mu.Unlock()
		var out any
		json.Unmarshal(prev, &out)
		return out, nil
	}
	answer := func(v map[string]any) map[string]any {
		b, _ := json.Marshal(v)
		s.idem[key] = b
		return v
	}
	var errs []userError
	type change struct {
		item      int64
		qty, from int64
	}
	var changes []change
	if in.Input.Name != "available" && in.Input.Name != "on_hand" {
		errs = append(errs, userError{Field: []string{"input", "name"}, Message: "The quantity name must be available or on_hand", Code: "INVALID_NAME"})
	}
	var hooks []*Delivery
	for i, q := range in.Input.Quantities {
		at := func(f string) []string { return []string{"input", "quantities", strconv.Itoa(i), f} }
		var itemGID, loc string
		var qty int64
		json.Unmarshal(q["inventoryItemId"], &itemGID)
		json.Unmarshal(q["locationId"], &loc)
		json.Unmarshal(q["quantity"], &qty)
		item, _ := parseGID("InventoryItem", itemGID)
		cur, known := s.stock[item]
		if race, ok := s.races[item]; ok && known {
			delete(s.races, item)
			s.stock[item], cur = race, race
			hooks = append(hooks, s.inventoryHookLocked(item))
		}
		raw, has := q["changeFromQuantity"]
		switch {
		case !known:
			errs = append(errs, userError{Field: at("inventoryItemId"), Message: "The specified inventory item could not be found.", Code: "INVALID_INVENTORY_ITEM"})
		case loc != LocationID:
			errs = append(errs, userError{Field: at("locationId"), Message: "The specified location could not be found.", Code: "INVALID_LOCATION"})
		case !has:
			errs = append(errs, userError{Field: at("changeFromQuantity"), Message: "changeFromQuantity is required; pass null to skip the check.", Code: "INVALID_INPUT"})
		default:
			var from *int64
			json.Unmarshal(raw, &from)
			if from != nil && *from != cur {
				// The enum's documented meaning as the message
				// (https://shopify.dev/docs/api/admin-graphql/2026-04/enums/InventorySetQuantitiesUserErrorCode);
				// the store's own wording is not documented.
				errs = append(errs, userError{Field: at("changeFromQuantity"), Message: "The changeFromQuantity value does not match persisted value.", Code: "CHANGE_FROM_QUANTITY_STALE"})
				continue
			}
			changes = append(changes, change{item, qty, cur})
		}
	}
	if len(errs) > 0 {
		out := answer(map[string]any{"inventoryAdjustmentGroup": nil, "userErrors": errs})
		s.mu.Unlock()
		s.deliver(hooks...)
		return out, nil
	}
	var list []map[string]any
	for _, c := range changes {
		s.stock[c.item] = c.qty
		list = append(list, map[string]any{"name": in.Input.Name, "delta": c.qty - c.from, "quantityAfterChange": c.qty, "item": map[string]any{"id": gid("InventoryItem", c.item)}})
		hooks = append(hooks, s.inventoryHookLocked(c.item))
	}
	out := answer(map[string]any{"inventoryAdjustmentGroup": map[string]any{"reason": in.Input.Reason, "changes": list}, "userErrors": []userError{}})
	s.mu.Unlock()
	s.deliver(hooks...)
	return out, nil
}

// nodes returns the products with the ids asked, null for the others.
func (s *Server) nodes(args map[string]any) (any, float64, error) {
	ids, _ := args["ids"].([]any)
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]any, len(ids))
	cost := 0.0
	for i, x := range ids {
		g, _ := x.(string)
		id, ok := parseGID("Product", g)
		if p := s.products[id]; ok && p != nil {
			out[i] = s.productJSON(p)
			cost += 1 + float64(len(p.variants))
		}
	}
	return out, cost, nil
}

// listProducts pages through products by id; the cursor is opaque.
func (s *Server) listProducts(args map[string]any) (any, float64, error) {
	first, _ := args["first"].(float64)
	if first < 1 || first > 250 {
		return nil, 0, fmt.Errorf("first must be between 1 and 250")
	}
	after, _ := args["after"].(string)
	s.mu.Lock()
	defer s.mu.Unlock()
	start := 0
	if after != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(after, "c"))
		if err != nil {
			//lint:ignore ST1005 Shopify's own message, verbatim
			return nil, 0, errors.New("Invalid cursor for current pagination sort.")
		}
		start = n
	}
	var nodes []map[string]any
	end := start
	for end < len(s.order) && len(nodes) < int(first) {
		if p := s.products[s.order[end]]; p != nil {
			nodes = append(nodes, map[string]any{"id": gid("Product", p.id)})
		}
		end++
	}
	return map[string]any{
		"nodes":    nodes,
		"pageInfo": map[string]any{"hasNextPage": end < len(s.order), "endCursor": "c" + strconv.Itoa(end)},
	}, 2 + float64(len(nodes)), nil
}

// findVariants answers productVariants(first:, query: "sku:X"): the
// variants with that exact SKU and their products.
func (s *Server) findVariants(args map[string]any) (any, float64, error) {
	q, _ := args["query"].(string)
	sku, ok := strings.CutPrefix(q, "sku:")
	if !ok {
		return nil, 0, fmt.Errorf("only sku: searches are simulated")
	}
	sku = strings.Trim(sku, `"'`)
	first, _ := args["first"].(float64)
	s.mu.Lock()
	defer s.mu.Unlock()
	var nodes []map[string]any
	for _, id := range s.order {
		for _, v := range s.products[id].variants {
			if v.sku == sku && len(nodes) < int(first) {
				nodes = append(nodes, map[string]any{"id": gid("ProductVariant", v.id), "sku": v.sku, "product": map[string]any{"id": gid("Product", id)}})
			}
		}
	}
	return map[string]any{"nodes": nodes}, 2 + 2*float64(len(nodes)), nil
}
