package market

import (
	"context"
	"fmt"
	"sync"

	"github.com/marketsync/marketsync/sdk"
)

// store is the sandbox's store side: products published to it, by remote
// id. Creates are idempotent by key, as Shopify's and WooCommerce's
// idempotency headers make them, so a retried create never duplicates.
// A product keeps its publishing status and compare-at prices as written;
// a write without a status keeps the stored one (active on create), as
// the stores do.
type store struct {
	mu       sync.Mutex
	next     int
	products map[string]*sdk.Product
	byKey    map[string]string // idempotency key → remote id
}

func newStore() *store {
	return &store{products: map[string]*sdk.Product{}, byKey: map[string]string{}}
}

func (s *store) upsert(it sdk.UpsertItem) sdk.WriteResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	res := sdk.WriteResult{IdempotencyKey: it.IdempotencyKey}
	if err := it.Product.Validate(); err != nil {
		res.Err = sdk.Invalid("INVALID_PRODUCT", err.Error())
		return res
	}
	id := it.RemoteID
	switch {
	case id != "":
		if _, ok := s.products[id]; !ok {
			res.Err = sdk.NotFound("REMOTE_NOT_FOUND", fmt.Sprintf("remote product %s does not exist", id))
			return res
		}
	case it.IdempotencyKey != "" && s.byKey[it.IdempotencyKey] != "":
		id = s.byKey[it.IdempotencyKey]
	default:
		s.next++
		id = fmt.Sprintf("r-%d", s.next)
		if it.IdempotencyKey != "" {
			s.byKey[it.IdempotencyKey] = id
		}
	}
	p := it.Product
	if p.Status == "" {
		p.Status = sdk.StatusActive
		if old := s.products[id]; old != nil {
			p.Status = old.Status
		}
	}
	s.products[id] = &p
	res.RemoteID = id
	return res
}

// variant finds a SKU of a remote product, or the per-item error.
func (s *store) variant(remoteID, sku string) (*sdk.Variant, *sdk.Error) {
	p, ok := s.products[remoteID]
	if !ok {
		return nil, sdk.NotFound("REMOTE_NOT_FOUND", fmt.Sprintf("remote product %s does not exist", remoteID))
	}
	for i := range p.Variants {
		if p.Variants[i].SKU == sku {
			return &p.Variants[i], nil
		}
	}
	return nil, sdk.NotFound("SKU_NOT_FOUND", fmt.Sprintf("remote product %s has no SKU %s", remoteID, sku))
}

func (s *store) setStock(it sdk.InventoryItem) sdk.WriteResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	res := sdk.WriteResult{IdempotencyKey: it.IdempotencyKey, RemoteID: it.RemoteID}
	if it.Stock < 0 {
		res.Err = sdk.Invalid("INVALID_STOCK", fmt.Sprintf("stock must not be negative, got %d", it.Stock))
		return res
	}
	v, err := s.variant(it.RemoteID, it.SKU)
	if err != nil {
		res.Err = err
		return res
	}
	v.Stock = it.Stock
	return res
}

func (s *store) setPrice(it sdk.PriceItem) sdk.WriteResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	res := sdk.WriteResult{IdempotencyKey: it.IdempotencyKey, RemoteID: it.RemoteID}
	if err := it.Price.Validate(); err != nil {
		res.Err = sdk.Invalid("INVALID_PRICE", err.Error())
		return res
	}
	v, err := s.variant(it.RemoteID, it.SKU)
	if err != nil {
		res.Err = err
		return res
	}
	v.Price = it.Price
	return res
}

func (s *store) get(remoteID string) sdk.ProductResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.products[remoteID]
	if !ok {
		return sdk.ProductResult{ID: remoteID, Err: sdk.NotFound("REMOTE_NOT_FOUND", fmt.Sprintf("remote product %s does not exist", remoteID))}
	}
	cp := *p
	cp.Variants = append([]sdk.Variant(nil), p.Variants...)
	return sdk.ProductResult{ID: remoteID, Product: &cp}
}

// writeAll runs one admitted call that applies write to every item.
func writeAll[T any](ctx context.Context, m *Market, items []T, write func(T) sdk.WriteResult) ([]sdk.WriteResult, *sdk.Quota, error) {
	quota, err := m.admit(ctx)
	if err != nil {
		return nil, nil, err
	}
	out := make([]sdk.WriteResult, len(items))
	for i, it := range items {
		out[i] = write(it)
	}
	return out, quota, nil
}

// UpsertProducts implements sdk.Publisher.
func (m *Market) UpsertProducts(ctx context.Context, req *sdk.UpsertProductsRequest) (*sdk.UpsertProductsResponse, error) {
	res, quota, err := writeAll(ctx, m, req.Items, m.store.upsert)
	if err != nil {
		return nil, err
	}
	return &sdk.UpsertProductsResponse{Results: res, Quota: quota}, nil
}

// SetInventory implements sdk.Publisher.
func (m *Market) SetInventory(ctx context.Context, req *sdk.SetInventoryRequest) (*sdk.SetInventoryResponse, error) {
	res, quota, err := writeAll(ctx, m, req.Items, m.store.setStock)
	if err != nil {
		return nil, err
	}
	return &sdk.SetInventoryResponse{Results: res, Quota: quota}, nil
}

// SetPrices implements sdk.Publisher.
func (m *Market) SetPrices(ctx context.Context, req *sdk.SetPricesRequest) (*sdk.SetPricesResponse, error) {
	res, quota, err := writeAll(ctx, m, req.Items, m.store.setPrice)
	if err != nil {
		return nil, err
	}
	return &sdk.SetPricesResponse{Results: res, Quota: quota}, nil
}

// GetRemoteProducts implements sdk.Publisher.
func (m *Market) GetRemoteProducts(ctx context.Context, req *sdk.GetRemoteProductsRequest) (*sdk.GetRemoteProductsResponse, error) {
	quota, err := m.admit(ctx)
	if err != nil {
		return nil, err
	}
	out := &sdk.GetRemoteProductsResponse{Quota: quota, Results: make([]sdk.ProductResult, len(req.RemoteIDs))}
	for i, id := range req.RemoteIDs {
		out.Results[i] = m.store.get(id)
	}
	return out, nil
}
