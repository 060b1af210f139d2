package store

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/marketsync/marketsync/plugins/shopify/admin"
	"github.com/marketsync/marketsync/sdk"
)

// variantRef is what a price or stock write needs of a variant.
type variantRef struct {
	id, item string
	stock    int64
}

const variantsDocument = `query variants($ids: [ID!]!) {
  nodes(ids: $ids) { ... on Product { id variants(first: 100) { nodes { id sku inventoryQuantity inventoryItem { id } } } } }
}`

// readVariants reads the variants of products (ids known to be product
// gids), readChunk products a document, into product → SKU → variant.
// Products that do not exist are absent from the map.
func readVariants(ctx context.Context, s *settings, products []string) (map[string]map[string]variantRef, *sdk.Quota, error) {
	out := map[string]map[string]variantRef{}
	var quota *sdk.Quota
	for start := 0; start < len(products); start += readChunk {
		ids := products[start:min(start+readChunk, len(products))]
		resp, err := s.client.Do(ctx, variantsDocument, map[string]any{"ids": ids})
		quota = admin.Tally(quota, resp)
		if err != nil {
			return nil, quota, err
		}
		var data struct {
			Nodes []*struct {
				ID       string `json:"id"`
				Variants struct {
					Nodes []variantNode `json:"nodes"`
				} `json:"variants"`
			} `json:"nodes"`
		}
		if err := json.Unmarshal(resp.Data, &data); err != nil {
			return nil, quota, sdk.Unavailable(admin.CodeMalformed, "nodes answer: "+err.Error())
		}
		for _, n := range data.Nodes {
			if n == nil {
				continue
			}
			refs := map[string]variantRef{}
			for _, v := range n.Variants.Nodes {
				refs[v.SKU] = variantRef{id: v.ID, item: v.InventoryItem.ID, stock: v.InventoryQuantity}
			}
			out[n.ID] = refs
		}
	}
	return out, quota, nil
}

// resolve finds each item's variant: results get per-item NOT_FOUND for
// an unknown product or SKU; refs[i] is set for the others.
func resolve(ctx context.Context, s *settings, remote func(int) (string, string), n int, results []sdk.WriteResult) ([]*variantRef, *sdk.Quota, error) {
	var products []string
	for i := range n {
		id, _ := remote(i)
		if !isProductGID(id) {
			results[i].Err = sdk.NotFound("PRODUCT_DOES_NOT_EXIST", fmt.Sprintf("%q is not a Shopify product id", id))
			continue
		}
		if !slices.Contains(products, id) {
			products = append(products, id)
		}
	}
	variants, quota, err := readVariants(ctx, s, products)
	if err != nil {
		return nil, quota, err
	}
	refs := make([]*variantRef, n)
	for i := range n {
		if results[i].Err != nil {
			continue
		}
		id, sku := remote(i)
		vs, ok := variants[id]
		if !ok {
			results[i].Err = sdk.NotFound("PRODUCT_DOES_NOT_EXIST", "no product "+id+" in the store")
			continue
		}
		ref, ok := vs[sku]
		if !ok {
			results[i].Err = sdk.NotFound("sku_not_found", fmt.Sprintf("product %s has no variant with SKU %q", id, sku))
			continue
		}
		results[i].RemoteID = id
		refs[i] = &ref
	}
	return refs, quota, nil
}

// SetPrices implements sdk.Publisher: the variants are read, then each
// product's prices change in one productVariantsBulkUpdate with partial
// updates allowed, so a refused variant fails alone.
func (p *Plugin) SetPrices(ctx context.Context, req *sdk.SetPricesRequest) (*sdk.SetPricesResponse, error) {
	ctx = admin.WithFencingToken(ctx, req.FencingToken)
	s, err := p.cfg.Get()
	if err != nil {
		return nil, err
	}
	out := &sdk.SetPricesResponse{Results: make([]sdk.WriteResult, len(req.Items))}
	for i, it := range req.Items {
		out.Results[i].IdempotencyKey = it.IdempotencyKey
		if it.Price.Currency != s.currency {
			out.Results[i].Err = sdk.Invalid("currency_mismatch", fmt.Sprintf("price %s is not in the store's currency %s", it.Price, s.currency))
		}
	}
	refs, quota, err := resolve(ctx, s, func(i int) (string, string) { return req.Items[i].RemoteID, req.Items[i].SKU }, len(req.Items), out.Results)
	out.Quota = quota
	if err != nil {
		return nil, err
	}
	type entry struct {
		item int
		in   map[string]any
	}
	byProduct := map[string][]entry{}
	var order []string
	for i, it := range req.Items {
		if refs[i] == nil || out.Results[i].Err != nil {
			continue
		}
		if _, ok := byProduct[it.RemoteID]; !ok {
			order = append(order, it.RemoteID)
		}
		byProduct[it.RemoteID] = append(byProduct[it.RemoteID], entry{i, map[string]any{"id": refs[i].id, "price": decimal(it.Price.Amount, s.digits)}})
	}
	if len(order) == 0 {
		return out, nil
	}
	var defs, fields strings.Builder
	vars := map[string]any{}
	for j, id := range order {
		fmt.Fprintf(&defs, "$p%d: ID!, $v%d: [ProductVariantsBulkInput!]!, ", j, j)
		fmt.Fprintf(&fields, "  u%d: productVariantsBulkUpdate(productId: $p%d, variants: $v%d, allowPartialUpdates: true) { productVariants { id } userErrors { field message code } }\n", j, j, j)
		var vs []map[string]any
		for _, e := range byProduct[id] {
			vs = append(vs, e.in)
		}
		vars[fmt.Sprintf("p%d", j)], vars[fmt.Sprintf("v%d", j)] = id, vs
	}
	data, err := mutate(ctx, s, "prices", &defs, &fields, vars, &out.Quota)
	if err != nil {
		return nil, err
	}
	for j, id := range order {
		payload := data[fmt.Sprintf("u%d", j)]
		entries := byProduct[id]
		if payload == nil {
			for _, e := range entries {
				out.Results[e.item].Err = sdk.Unavailable(admin.CodeMalformed, "no answer for this product")
			}
			continue
		}
		for _, ue := range payload.UserErrors {
			// field is ["variants", "<index>", …]: the index of the
			// product's list; an error without one fails them all.
			if len(ue.Field) >= 2 && ue.Field[0] == "variants" {
				if k, err := strconv.Atoi(ue.Field[1]); err == nil && k < len(entries) {
					out.Results[entries[k].item].Err = ue.Err()
					continue
				}
			}
			for _, e := range entries {
				out.Results[e.item].Err = ue.Err()
			}
		}
	}
	return out, nil
}

// SetInventory implements sdk.Publisher: the variants are read (for
// their inventory items), then each item is set with
// inventorySetQuantities and the item's idempotency key in @idempotent (a
// retried write returns the first answer and changes nothing).
// changeFromQuantity, the compare-and-swap value of the pinned version
// (it replaced compareQuantity in 2026-01 and is mandatory from 2026-04),
// is the item's ExpectedStock when the host gives one — the stock it
// last wrote or read, so a sale since then fails the item as CONFLICT
// and is never overwritten — and otherwise the quantity just read, which
// protects the time between that read and the write.
func (p *Plugin) SetInventory(ctx context.Context, req *sdk.SetInventoryRequest) (*sdk.SetInventoryResponse, error) {
	ctx = admin.WithFencingToken(ctx, req.FencingToken)
	s, err := p.cfg.Get()
	if err != nil {
		return nil, err
	}
	out := &sdk.SetInventoryResponse{Results: make([]sdk.WriteResult, len(req.Items))}
	for i, it := range req.Items {
		out.Results[i].IdempotencyKey = it.IdempotencyKey
		if it.Stock < 0 {
			out.Results[i].Err = sdk.Invalid("negative_stock", fmt.Sprintf("stock %d is negative", it.Stock))
		}
	}
	refs, quota, err := resolve(ctx, s, func(i int) (string, string) { return req.Items[i].RemoteID, req.Items[i].SKU }, len(req.Items), out.Results)
	out.Quota = quota
	if err != nil {
		return nil, err
	}
	var defs, fields strings.Builder
	vars := map[string]any{}
	var sent []int
	// The fields run in order, so a variant written twice in one call
	// expects, the second time, what the first write set.
	expect := map[string]int64{}
	for i, it := range req.Items {
		if refs[i] == nil || out.Results[i].Err != nil {
			continue
		}
		key := it.IdempotencyKey
		if key == "" {
			key = newKey()
		}
		j := len(sent)
		sent = append(sent, i)
		fmt.Fprintf(&defs, "$q%d: InventorySetQuantitiesInput!, $k%d: String!, ", j, j)
		fmt.Fprintf(&fields, "  s%d: inventorySetQuantities(input: $q%d) @idempotent(key: $k%d) { inventoryAdjustmentGroup { reason } userErrors { field message code } }\n", j, j, j)
		from, ok := expect[refs[i].item]
		switch {
		case it.ExpectedStock != nil:
			from = *it.ExpectedStock
		case !ok:
			from = refs[i].stock
		}
		expect[refs[i].item] = it.Stock
		vars[fmt.Sprintf("q%d", j)] = map[string]any{
			"name": "available", "reason": "correction",
			"quantities": []map[string]any{{"inventoryItemId": refs[i].item, "locationId": s.location, "quantity": it.Stock, "changeFromQuantity": from}},
		}
		vars[fmt.Sprintf("k%d", j)] = key
	}
	if len(sent) == 0 {
		return out, nil
	}
	data, err := mutate(ctx, s, "stock", &defs, &fields, vars, &out.Quota)
	if err != nil {
		return nil, err
	}
	for j, i := range sent {
		payload := data[fmt.Sprintf("s%d", j)]
		switch {
		case payload == nil:
			out.Results[i].Err = sdk.Unavailable(admin.CodeMalformed, "no answer for this item")
		case len(payload.UserErrors) > 0:
			ue := payload.UserErrors[0]
			if ue.Code == "CHANGE_FROM_QUANTITY_STALE" {
				out.Results[i].Err = sdk.Conflict(ue.Code, ue.Message+" "+staleReason(req.Items[i].ExpectedStock, refs[i].stock))
			} else {
				out.Results[i].Err = ue.Err()
			}
		}
	}
	return out, nil
}

// staleReason says why a compare-and-swap failed: the store's stock is
// not what the host expected, or changed since the plugin read it.
func staleReason(expected *int64, read int64) string {
	if expected != nil {
		if *expected != read {
			return fmt.Sprintf("(the store holds %d, not the expected %d: it changed since the host last saw it)", read, *expected)
		}
		return fmt.Sprintf("(the store held the expected %d when read, and changed before the write)", *expected)
	}
	return "(the store's stock changed since it was read)"
}

// payload is a mutation field's answer as the plugin selects it: its
// userErrors.
type payload struct {
	UserErrors []admin.UserError `json:"userErrors"`
}

// mutate sends the mutation named name with variable definitions defs
// (each ending in ", ") and aliased fields, keeps the answer's quota in
// *quota and returns each alias's payload (nil for one missing).
func mutate(ctx context.Context, s *settings, name string, defs, fields *strings.Builder, vars map[string]any, quota **sdk.Quota) (map[string]*payload, error) {
	resp, err := s.client.Do(ctx, "mutation "+name+"("+strings.TrimSuffix(defs.String(), ", ")+") {\n"+fields.String()+"}", vars)
	*quota = admin.Tally(*quota, resp)
	if err != nil {
		return nil, err
	}
	var data map[string]*payload
	if err := json.Unmarshal(resp.Data, &data); err != nil {
		return nil, sdk.Unavailable(admin.CodeMalformed, name+" answer: "+err.Error())
	}
	return data, nil
}

// newKey is a random UUID (version 4), for a write that came without an
// idempotency key.
func newKey() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
