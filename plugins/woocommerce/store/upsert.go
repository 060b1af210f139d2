package store

import (
	"context"
	"fmt"
	"strconv"

	"github.com/marketsync/marketsync/plugins/woocommerce/wcapi"
	"github.com/marketsync/marketsync/sdk"
)

// upsert is one item of UpsertProducts on its way to the store.
type upsert struct {
	i          int // index in the request
	id         int64
	create     bool
	product    wcProduct
	variations []wcVariation
	// before is the product's shape in the store, for an update.
	before shape
}

// UpsertProducts implements sdk.Publisher.
//
// Each item is checked first (a product the store cannot hold fails
// alone). Creates are looked up by their SKU (productSKU) in one call
// and become updates of the products found, so a repeated create never
// makes a second product. Then one products/batch request carries every
// create and update (at most 100, the store's cap, which is also the
// declared MaxBatch). A variable product's variations are then written
// with one products/{id}/variations/batch per product: created, updated
// by id, and the variations whose SKU the product no longer has deleted.
//
// An item the store refuses inside the 200 fails alone with the store's
// code and message. A failure of a whole request (credentials, the store
// down, throttling) fails the call: nothing is retried here, and a
// repeated call finds by SKU what this one created.
func (p *Plugin) UpsertProducts(ctx context.Context, req *sdk.UpsertProductsRequest) (*sdk.UpsertProductsResponse, error) {
	ctx = wcapi.WithFencingToken(ctx, req.FencingToken)
	s, err := p.cfg.Get()
	if err != nil {
		return nil, err
	}
	var q quota
	results := make([]sdk.WriteResult, len(req.Items))
	var items []*upsert
	var creates []string
	for i, it := range req.Items {
		results[i].IdempotencyKey = it.IdempotencyKey
		if e := s.checkProduct(&it.Product); e != nil {
			results[i].Err = e
			continue
		}
		u := &upsert{i: i}
		if it.RemoteID == "" {
			u.create = true
			creates = append(creates, productSKU(&it.Product))
		} else if u.id, results[i].Err = remoteID(it.RemoteID); results[i].Err != nil {
			continue
		}
		items = append(items, u)
	}
	found, err := s.bySKU(ctx, creates, &q)
	if err != nil {
		return nil, err
	}
	var updates []int64
	for _, u := range items {
		if r, ok := found[productSKU(&req.Items[u.i].Product)]; ok && u.create {
			u.create, u.id = false, r.ID
		}
		if !u.create {
			updates = append(updates, u.id)
		}
	}
	// Always read: a full write must see the variations the merchant may
	// have added or removed since the plugin last looked.
	before, _, err := s.shapesOf(ctx, updates, true, &q)
	if err != nil {
		return nil, err
	}
	for _, u := range items {
		u.before = before[u.id]
		u.product, u.variations = s.toWC(&req.Items[u.i].Product, u.create)
		if !u.create {
			u.product.ID = u.id
		}
	}
	if err := s.dropVariations(ctx, items, results, &q); err != nil {
		return nil, err
	}
	if err := s.writeProducts(ctx, items, results, &q); err != nil {
		return nil, err
	}
	for _, u := range items {
		if results[u.i].Err != nil || u.variations == nil {
			continue
		}
		if err := s.writeVariations(ctx, u, results, &q); err != nil {
			return nil, err
		}
	}
	return &sdk.UpsertProductsResponse{Results: results, Quota: q.q}, nil
}

// dropVariations deletes the variations of a variable product that
// becomes simple, first, since its SKU is one of theirs.
func (s *settings) dropVariations(ctx context.Context, items []*upsert, results []sdk.WriteResult, q *quota) error {
	for _, u := range items {
		if u.create || u.variations != nil || !u.before.variable || len(u.before.variations) == 0 {
			continue
		}
		var ids []int64
		for _, id := range u.before.variations {
			ids = append(ids, id)
		}
		if err := s.variationBatches(ctx, u, nil, nil, ids, results, q); err != nil {
			return err
		}
	}
	return nil
}

// writeProducts sends the creates and updates in one products/batch.
func (s *settings) writeProducts(ctx context.Context, items []*upsert, results []sdk.WriteResult, q *quota) error {
	var b wcapi.Batch
	var created, updated []*upsert
	for _, u := range items {
		if results[u.i].Err != nil {
			continue
		}
		if u.create {
			b.Create, created = append(b.Create, u.product), append(created, u)
		} else {
			b.Update, updated = append(b.Update, u.product), append(updated, u)
		}
	}
	if b.Len() == 0 {
		return nil
	}
	r, resp, err := s.client.DoBatch(ctx, "products/batch", &b)
	if err != nil {
		return err
	}
	q.see(resp)
	for k, item := range r.Create {
		s.productResult(created[k], item, results)
	}
	for k, item := range r.Update {
		s.productResult(updated[k], item, results)
	}
	return nil
}

func (s *settings) productResult(u *upsert, item wcapi.BatchItem, results []sdk.WriteResult) {
	res := &results[u.i]
	if item.Err != nil {
		res.Err = wcapi.ItemError(*item.Err)
		s.shapes.forget(u.id)
		return
	}
	rp, err := decode[remoteProduct](item.Raw)
	if err != nil || rp.ID == 0 {
		res.Err = sdk.Unavailable(wcapi.CodeMalformed, fmt.Sprintf("products/batch answered item %d without a product id", u.i))
		return
	}
	u.id = rp.ID
	res.RemoteID = strconv.FormatInt(rp.ID, 10)
	sh := shape{variable: rp.Type == typeVariable, sku: rp.SKU, variations: map[string]int64{}}
	if sh.variable && !u.create {
		sh.variations = u.before.variations
	}
	s.shapes.put(rp.ID, sh)
}

// writeVariations makes the product's variations what its variants are:
// updates by id for the SKUs the store has, creates for the others,
// deletes for the store's variations the product no longer has.
func (s *settings) writeVariations(ctx context.Context, u *upsert, results []sdk.WriteResult, q *quota) error {
	have := u.before.variations
	if sh, ok := s.shapes.get(u.id); ok && sh.variations != nil {
		have = sh.variations
	}
	var create, update []wcVariation
	keep := map[string]bool{}
	for _, v := range u.variations {
		keep[v.SKU] = true
		if id, ok := have[v.SKU]; ok {
			v.ID = id
			update = append(update, v)
		} else {
			create = append(create, v)
		}
	}
	var del []int64
	for sku, id := range have {
		if !keep[sku] {
			del = append(del, id)
		}
	}
	return s.variationBatches(ctx, u, create, update, del, results, q)
}

// variationBatches sends creates, updates and deletes of one product's
// variations in batches of at most 100 items. The first variation the
// store refuses becomes the item's error, naming its SKU.
func (s *settings) variationBatches(ctx context.Context, u *upsert, create, update []wcVariation, del []int64, results []sdk.WriteResult, q *quota) error {
	route := "products/" + strconv.FormatInt(u.id, 10) + "/variations/batch"
	sh, _ := s.shapes.get(u.id)
	vars := map[string]int64{}
	for k, v := range sh.variations {
		vars[k] = v
	}
	failed := false
	for len(create)+len(update)+len(del) > 0 {
		var b wcapi.Batch
		var sent []wcVariation
		room := wcapi.MaxBatch
		for ; len(del) > 0 && room > 0; room-- {
			b.Delete, del = append(b.Delete, del[0]), del[1:]
		}
		for ; len(update) > 0 && room > 0; room-- {
			b.Update, sent, update = append(b.Update, update[0]), append(sent, update[0]), update[1:]
		}
		nUpdate := len(sent)
		for ; len(create) > 0 && room > 0; room-- {
			b.Create, sent, create = append(b.Create, create[0]), append(sent, create[0]), create[1:]
		}
		r, resp, err := s.client.DoBatch(ctx, route, &b)
		if err != nil {
			return err
		}
		q.see(resp)
		for k, item := range r.Delete {
			failed = failed || item.Err != nil
			if item.Err == nil {
				for sku, id := range vars {
					if id == b.Delete[k] {
						delete(vars, sku)
					}
				}
			}
		}
		for k, item := range append(r.Update, r.Create...) {
			v := sent[k]
			if item.Err != nil {
				failed = true
				if results[u.i].Err == nil {
					e := wcapi.ItemError(*item.Err)
					e.Message = fmt.Sprintf("variant %s: %s", v.SKU, e.Message)
					results[u.i].Err = e
				}
				continue
			}
			if k >= nUpdate {
				if rv, err := decode[remoteVariation](item.Raw); err == nil {
					vars[v.SKU] = rv.ID
				}
			}
		}
	}
	sh.variations = vars
	if failed { // what the store holds is not known for sure
		s.shapes.forget(u.id)
	} else {
		s.shapes.put(u.id, sh)
	}
	return nil
}
