package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/marketsync/marketsync/plugins/shopify/admin"
	"github.com/marketsync/marketsync/sdk"
)

// SKUPrefix marks a GetRemoteProducts id that names a product by one of
// its variants' SKU ("sku:ABC-1"), for rebinding a product whose remote id
// was lost: the result's product carries the store's id.
const SKUPrefix = "sku:"

// GetRemoteProducts implements sdk.Publisher: product gids are read with
// one nodes query; "sku:<SKU>" ids are first looked up with
// productVariants(query: "sku:…").
func (p *Plugin) GetRemoteProducts(ctx context.Context, req *sdk.GetRemoteProductsRequest) (*sdk.GetRemoteProductsResponse, error) {
	s, err := p.cfg.Get()
	if err != nil {
		return nil, err
	}
	out := &sdk.GetRemoteProductsResponse{Results: make([]sdk.ProductResult, len(req.RemoteIDs))}
	gids := make([]string, len(req.RemoteIDs))
	var skus []int
	for i, id := range req.RemoteIDs {
		out.Results[i].ID = id
		switch {
		case strings.HasPrefix(id, SKUPrefix) && len(id) > len(SKUPrefix):
			skus = append(skus, i)
		case isProductGID(id):
			gids[i] = id
		default:
			out.Results[i].Err = sdk.NotFound("PRODUCT_DOES_NOT_EXIST", fmt.Sprintf("%q is not a Shopify product id", id))
		}
	}
	if len(skus) > 0 {
		var defs, fields strings.Builder
		vars := map[string]any{}
		for j, i := range skus {
			fmt.Fprintf(&defs, "$s%d: String!, ", j)
			fmt.Fprintf(&fields, "  v%d: productVariants(first: 5, query: $s%d) { nodes { id sku product { id } } }\n", j, j)
			vars[fmt.Sprintf("s%d", j)] = "sku:" + quoteSearch(strings.TrimPrefix(req.RemoteIDs[i], SKUPrefix))
		}
		resp, err := s.client.Do(ctx, "query bySKU("+strings.TrimSuffix(defs.String(), ", ")+") {\n"+fields.String()+"}", vars)
		out.Quota = admin.Tally(out.Quota, resp)
		if err != nil {
			return nil, err
		}
		var data map[string]*struct {
			Nodes []struct {
				SKU     string `json:"sku"`
				Product struct {
					ID string `json:"id"`
				} `json:"product"`
			} `json:"nodes"`
		}
		if err := json.Unmarshal(resp.Data, &data); err != nil {
			return nil, sdk.Unavailable(admin.CodeMalformed, "productVariants answer: "+err.Error())
		}
		for j, i := range skus {
			sku := strings.TrimPrefix(req.RemoteIDs[i], SKUPrefix)
			var products []string
			if d := data[fmt.Sprintf("v%d", j)]; d != nil {
				for _, n := range d.Nodes {
					// The search matches by token; keep exact SKUs only.
					if n.SKU == sku && !contains(products, n.Product.ID) {
						products = append(products, n.Product.ID)
					}
				}
			}
			switch len(products) {
			case 0:
				out.Results[i].Err = sdk.NotFound("sku_not_found", fmt.Sprintf("no variant has SKU %q", sku))
			case 1:
				gids[i] = products[0]
			default:
				out.Results[i].Err = sdk.Invalid("ambiguous_sku", fmt.Sprintf("SKU %q is on %d products: %s", sku, len(products), strings.Join(products, ", ")))
			}
		}
	}
	var ids []string
	for _, g := range gids {
		if g != "" && !contains(ids, g) {
			ids = append(ids, g)
		}
	}
	if len(ids) == 0 {
		return out, nil
	}
	resp, err := s.client.Do(ctx, "query products($ids: [ID!]!) {\n  nodes(ids: $ids) { ... on Product { "+productFields+" } }\n}", map[string]any{"ids": ids})
	out.Quota = admin.Tally(out.Quota, resp)
	if err != nil {
		return nil, err
	}
	var data struct {
		Nodes []*productNode `json:"nodes"`
	}
	if err := json.Unmarshal(resp.Data, &data); err != nil {
		return nil, sdk.Unavailable(admin.CodeMalformed, "nodes answer: "+err.Error())
	}
	found := map[string]*productNode{}
	for _, n := range data.Nodes {
		if n != nil {
			found[n.ID] = n
		}
	}
	for i, g := range gids {
		if g == "" {
			continue
		}
		n := found[g]
		if n == nil {
			out.Results[i].Err = sdk.NotFound("PRODUCT_DOES_NOT_EXIST", "no product "+g+" in the store")
			continue
		}
		out.Results[i].Product, out.Results[i].Err = s.product(n)
	}
	return out, nil
}

// quoteSearch quotes a value for Shopify's search syntax.
func quoteSearch(v string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v) + `"`
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
