package store

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/marketsync/marketsync/plugins/woocommerce/wcapi"
	"github.com/marketsync/marketsync/sdk"
)

// quota keeps the last quota a response reported.
type quota struct{ q *sdk.Quota }

func (q *quota) see(r *wcapi.Response) {
	if r != nil && r.Quota != nil {
		q.q = r.Quota
	}
}

// products reads the products with ids (at most MaxPerPage) in one call,
// GET products?include=…, by id; ids the store does not have are absent.
func (s *settings) products(ctx context.Context, ids []int64, q *quota) (map[int64]*remoteProduct, error) {
	out := map[int64]*remoteProduct{}
	if len(ids) == 0 {
		return out, nil
	}
	list := make([]string, len(ids))
	for i, id := range ids {
		list[i] = strconv.FormatInt(id, 10)
	}
	var page []remoteProduct
	resp, err := s.client.Get(ctx, "products", url.Values{
		"include":  {strings.Join(list, ",")},
		"per_page": {strconv.Itoa(wcapi.MaxPerPage)},
	}, &page)
	if err != nil {
		return nil, err
	}
	q.see(resp)
	for i := range page {
		out[page[i].ID] = &page[i]
	}
	return out, nil
}

// bySKU looks products up by their own SKU, GET products?sku=a,b,… (the
// parameter takes a comma-separated list), for rebinding and to make
// creates safe to repeat. SKUs with a comma cannot be looked up this way
// and are looked up alone.
func (s *settings) bySKU(ctx context.Context, skus []string, q *quota) (map[string]*remoteProduct, error) {
	out := map[string]*remoteProduct{}
	var plain []string
	for _, sku := range skus {
		if strings.Contains(sku, ",") {
			if err := s.lookup(ctx, sku, out, q); err != nil {
				return nil, err
			}
		} else if sku != "" {
			plain = append(plain, sku)
		}
	}
	for len(plain) > 0 {
		n := min(len(plain), wcapi.MaxPerPage)
		if err := s.lookup(ctx, strings.Join(plain[:n], ","), out, q); err != nil {
			return nil, err
		}
		plain = plain[n:]
	}
	return out, nil
}

func (s *settings) lookup(ctx context.Context, skus string, out map[string]*remoteProduct, q *quota) error {
	var page []remoteProduct
	resp, err := s.client.Get(ctx, "products", url.Values{"sku": {skus}, "per_page": {strconv.Itoa(wcapi.MaxPerPage)}}, &page)
	if err != nil {
		return err
	}
	q.see(resp)
	for i := range page {
		out[page[i].SKU] = &page[i]
	}
	return nil
}

// variations reads every variation of a product, page by page.
func (s *settings) variations(ctx context.Context, id int64, q *quota) ([]remoteVariation, error) {
	var all []remoteVariation
	for page := 1; ; page++ {
		var batch []remoteVariation
		resp, err := s.client.Get(ctx, "products/"+strconv.FormatInt(id, 10)+"/variations", url.Values{
			"per_page": {strconv.Itoa(wcapi.MaxPerPage)},
			"page":     {strconv.Itoa(page)},
		}, &batch)
		if err != nil {
			return nil, err
		}
		q.see(resp)
		all = append(all, batch...)
		if len(batch) == 0 || page >= resp.Page().TotalPages {
			return all, nil
		}
	}
}

// shapesOf returns the shapes of ids, from the cache (unless fresh) or
// read from the store (one call for the products, one per variable
// product for its variations), and which came from the cache. Ids the
// store does not have are absent.
func (s *settings) shapesOf(ctx context.Context, ids []int64, fresh bool, q *quota) (out map[int64]shape, cached map[int64]bool, err error) {
	out, cached = map[int64]shape{}, map[int64]bool{}
	var missing []int64
	for _, id := range ids {
		if sh, ok := s.shapes.get(id); ok && !fresh {
			out[id], cached[id] = sh, true
		} else if _, seen := out[id]; !seen && !slices.Contains(missing, id) {
			missing = append(missing, id)
		}
	}
	read, err := s.products(ctx, missing, q)
	if err != nil {
		return nil, nil, err
	}
	for id, r := range read {
		var vars []remoteVariation
		if r.Type == typeVariable {
			if vars, err = s.variations(ctx, id, q); err != nil {
				return nil, nil, err
			}
		}
		out[id] = r.shape(vars)
		s.shapes.put(id, out[id])
	}
	return out, cached, nil
}

// GetRemoteProducts implements sdk.Publisher: the products by id in one
// call, GET products?include=…, and each variable product's variations.
// An id the store does not have is a per-item NOT_FOUND.
func (p *Plugin) GetRemoteProducts(ctx context.Context, req *sdk.GetRemoteProductsRequest) (*sdk.GetRemoteProductsResponse, error) {
	s, err := p.cfg.Get()
	if err != nil {
		return nil, err
	}
	resp := &sdk.GetRemoteProductsResponse{Results: make([]sdk.ProductResult, len(req.RemoteIDs))}
	var ids []int64
	for i, raw := range req.RemoteIDs {
		resp.Results[i].ID = raw
		id, e := remoteID(raw)
		if e != nil {
			resp.Results[i].Err = e
			continue
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	var q quota
	read, err := s.products(ctx, ids, &q)
	if err != nil {
		return nil, err
	}
	vars := map[int64][]remoteVariation{}
	for id, r := range read {
		if r.Type == typeVariable {
			if vars[id], err = s.variations(ctx, id, &q); err != nil {
				return nil, err
			}
		}
		s.shapes.put(id, r.shape(vars[id]))
	}
	for i := range resp.Results {
		r := &resp.Results[i]
		if r.Err != nil {
			continue
		}
		id, _ := remoteID(r.ID)
		rp, ok := read[id]
		if !ok {
			r.Err = sdk.NotFound("woocommerce_rest_product_invalid_id", "the store has no product "+r.ID)
			continue
		}
		r.Product, r.Err = s.fromWC(rp, vars[id])
	}
	resp.Quota = q.q
	return resp, nil
}
