package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/marketsync/marketsync/plugins/shopify/admin"
	"github.com/marketsync/marketsync/sdk"
)

// setPayload is productSet's answer as the plugin selects it.
type setPayload struct {
	Product *struct {
		ID string `json:"id"`
	} `json:"product"`
	UserErrors []admin.UserError `json:"userErrors"`
}

// result is the per-item outcome of a productSet payload.
func (p setPayload) result() (string, *sdk.Error) {
	if len(p.UserErrors) > 0 {
		e := p.UserErrors[0]
		if e.Code == "PRODUCT_DOES_NOT_EXIST" {
			return "", sdk.NotFound(e.Code, e.Path()+": "+e.Message)
		}
		return "", e.Err()
	}
	if p.Product == nil || p.Product.ID == "" {
		return "", sdk.Unavailable(admin.CodeMalformed, "productSet answered neither a product nor userErrors")
	}
	return p.Product.ID, nil
}

// write is one product ready to send: its index in the request and the
// productSet variables.
type write struct {
	index      int
	identifier map[string]any
	input      map[string]any
}

// UpsertProducts implements sdk.Publisher. Items are checked and mapped
// first (a bad one fails alone, without a call); then batches up to the
// bulk threshold go as synchronous documents of 10 productSet fields,
// larger ones as one bulk mutation.
func (p *Plugin) UpsertProducts(ctx context.Context, req *sdk.UpsertProductsRequest) (*sdk.UpsertProductsResponse, error) {
	ctx = admin.WithFencingToken(ctx, req.FencingToken)
	s, err := p.cfg.Get()
	if err != nil {
		return nil, err
	}
	out := &sdk.UpsertProductsResponse{Results: make([]sdk.WriteResult, len(req.Items))}
	var writes []write
	for i := range req.Items {
		it := &req.Items[i]
		out.Results[i].IdempotencyKey = it.IdempotencyKey
		if it.RemoteID != "" && !isProductGID(it.RemoteID) {
			out.Results[i].Err = sdk.NotFound("PRODUCT_DOES_NOT_EXIST", fmt.Sprintf("%q is not a Shopify product id", it.RemoteID))
			continue
		}
		in, e := s.setInput(&it.Product)
		if e != nil {
			out.Results[i].Err = e
			continue
		}
		writes = append(writes, write{index: i, identifier: identifier(it), input: in})
	}
	if len(writes) > s.threshold {
		q, err := p.bulkUpsert(ctx, s, writes, out.Results)
		out.Quota = q
		return out, err
	}
	for start := 0; start < len(writes); start += syncChunk {
		chunk := writes[start:min(start+syncChunk, len(writes))]
		resp, err := s.client.Do(ctx, setDocument(len(chunk)), setVariables(chunk))
		out.Quota = admin.Tally(out.Quota, resp)
		if err != nil {
			if start == 0 || ctx.Err() != nil {
				return nil, err
			}
			// Some products are written: the rest fail one by one with
			// the call's error, which the host retries alone.
			for _, w := range writes[start:] {
				out.Results[w.index].Err = asError(err)
			}
			return out, nil
		}
		var data map[string]setPayload
		if err := json.Unmarshal(resp.Data, &data); err != nil {
			return nil, sdk.Unavailable(admin.CodeMalformed, "productSet answer: "+err.Error())
		}
		for j, w := range chunk {
			payload, ok := data[fmt.Sprintf("p%d", j)]
			if !ok {
				out.Results[w.index].Err = sdk.Unavailable(admin.CodeMalformed, "no answer for this product")
				continue
			}
			out.Results[w.index].RemoteID, out.Results[w.index].Err = payload.result()
		}
	}
	return out, nil
}

// setDocument is a mutation of n aliased productSet fields p0…pn-1 with
// variables $id<i> and $in<i>.
func setDocument(n int) string {
	var defs, fields strings.Builder
	for i := range n {
		fmt.Fprintf(&defs, "$id%d: ProductSetIdentifiers, $in%d: ProductSetInput!, ", i, i)
		fmt.Fprintf(&fields, "  p%d: productSet(identifier: $id%d, input: $in%d, synchronous: true) { product { id } userErrors { field message code } }\n", i, i, i)
	}
	return "mutation upsert(" + strings.TrimSuffix(defs.String(), ", ") + ") {\n" + fields.String() + "}"
}

func setVariables(ws []write) map[string]any {
	vars := map[string]any{}
	for i, w := range ws {
		vars[fmt.Sprintf("id%d", i)] = w.identifier
		vars[fmt.Sprintf("in%d", i)] = w.input
	}
	return vars
}

func isProductGID(id string) bool { return isGID(id, "Product") }

func isGID(id, kind string) bool {
	rest, ok := strings.CutPrefix(id, "gid://shopify/"+kind+"/")
	if !ok || rest == "" {
		return false
	}
	for _, c := range rest {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// asError is err as an *sdk.Error, a plain error becoming UNAVAILABLE.
func asError(err error) *sdk.Error {
	if e, ok := sdk.AsError(err); ok {
		return e
	}
	return sdk.Unavailable("error", err.Error())
}
