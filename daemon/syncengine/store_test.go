package syncengine_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/marketsync/marketsync/sdk"
)

// fakeStore is a store platform kept in memory, the far side the tests
// count on: it records every call it takes, keeps creates idempotent by
// key, looks products up by "sku:<SKU>", refuses stock writes whose
// expected quantity is stale (CONFLICT), refuses batches over its cap as
// WooCommerce does (413 woocommerce_rest_request_entity_too_large), and
// lets a test play the merchant.
type fakeStore struct {
	limit int // declared max batch of every operation
	cap   int // the batch the store really takes; 0: limit

	mu       sync.Mutex
	next     int
	products map[string]*sdk.Product
	byKey    map[string]string
	calls    map[string]int // by operation
	items    map[string]int
	refused  int
	// tokens counts the write calls by the fencing token they carried.
	tokens map[uint64]int
	// lose, while above zero, makes an accepted upsert answer as lost
	// (the store wrote it; the caller hears UNAVAILABLE).
	lose int
	// onUpsert runs after each accepted upsert call, outside the lock;
	// onCall when any call arrives, with its operation.
	onUpsert func()
	onCall   func(op string)
}

func newFakeStore(limit int) *fakeStore {
	return &fakeStore{limit: limit, products: map[string]*sdk.Product{}, byKey: map[string]string{}, calls: map[string]int{}, items: map[string]int{}, tokens: map[uint64]int{}}
}

func (f *fakeStore) Describe() sdk.Description {
	ops := map[sdk.Operation]sdk.OperationLimit{}
	for _, op := range []sdk.Operation{sdk.OpUpsertProducts, sdk.OpSetPrices, sdk.OpSetInventory, sdk.OpGetRemoteProducts} {
		ops[op] = sdk.OperationLimit{MaxBatch: f.limit}
	}
	return sdk.Description{Name: "fakestore", Version: "0.0.1", Summary: "test store", Limits: sdk.Limits{Rate: 1e6, Burst: 1e6, Operations: ops}}
}

func (f *fakeStore) Configure(context.Context, *sdk.Config) error { return nil }

// holdFirstUpsert makes the store's first accepted upsert call close
// fired and wait for release before it answers: a call on the wire.
func (h *harness) holdFirstUpsert() (fired, release chan struct{}) {
	fired, release = make(chan struct{}), make(chan struct{})
	var once sync.Once
	h.store.mu.Lock()
	h.store.onUpsert = func() { once.Do(func() { close(fired); <-release }) }
	h.store.mu.Unlock()
	return fired, release
}

// fenced counts a write call under its fencing token.
func (f *fakeStore) fenced(token uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokens[token]++
}

// takeTokens returns and resets the write calls by token.
func (f *fakeStore) takeTokens() map[uint64]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.tokens
	f.tokens = map[uint64]int{}
	return t
}

// admit counts a call and refuses it when it carries too many items.
func (f *fakeStore) admit(op string, n int) error {
	f.mu.Lock()
	hook := f.onCall
	f.mu.Unlock()
	if hook != nil {
		hook(op)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[op]++
	if f.cap > 0 && n > f.cap {
		f.refused++
		return sdk.Invalid("woocommerce_rest_request_entity_too_large", fmt.Sprintf("Unable to accept more than %d items for this request.", f.cap))
	}
	f.items[op] += n
	return nil
}

func (f *fakeStore) UpsertProducts(_ context.Context, req *sdk.UpsertProductsRequest) (*sdk.UpsertProductsResponse, error) {
	f.fenced(req.FencingToken)
	if err := f.admit("upsert", len(req.Items)); err != nil {
		return nil, err
	}
	f.mu.Lock()
	out := &sdk.UpsertProductsResponse{}
	for _, it := range req.Items {
		res := sdk.WriteResult{IdempotencyKey: it.IdempotencyKey}
		id := it.RemoteID
		switch {
		case id != "":
			if f.products[id] == nil {
				res.Err = sdk.NotFound("not_found", "no product "+id)
				out.Results = append(out.Results, res)
				continue
			}
		case f.byKey[it.IdempotencyKey] != "":
			id = f.byKey[it.IdempotencyKey]
		default:
			f.next++
			id = fmt.Sprintf("r-%d", f.next)
			f.byKey[it.IdempotencyKey] = id
		}
		p := it.Product
		p.ID, p.Source = id, "fakestore"
		p.Variants = append([]sdk.Variant(nil), it.Product.Variants...)
		p.UpdatedAt = time.Now()
		f.products[id] = &p
		res.RemoteID = id
		out.Results = append(out.Results, res)
	}
	lost := f.lose > 0
	if lost {
		f.lose--
	}
	hook := f.onUpsert
	f.mu.Unlock()
	if hook != nil {
		hook()
	}
	if lost {
		return nil, sdk.Unavailable("connection_reset", "the answer was lost")
	}
	return out, nil
}

func (f *fakeStore) variant(id, sku string) (*sdk.Variant, *sdk.Error) {
	p := f.products[id]
	if p == nil {
		return nil, sdk.NotFound("not_found", "no product "+id)
	}
	for i := range p.Variants {
		if p.Variants[i].SKU == sku {
			return &p.Variants[i], nil
		}
	}
	return nil, sdk.NotFound("sku_not_found", "no SKU "+sku)
}

func (f *fakeStore) SetPrices(_ context.Context, req *sdk.SetPricesRequest) (*sdk.SetPricesResponse, error) {
	f.fenced(req.FencingToken)
	if err := f.admit("prices", len(req.Items)); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	out := &sdk.SetPricesResponse{}
	for _, it := range req.Items {
		v, e := f.variant(it.RemoteID, it.SKU)
		if e == nil {
			v.Price = it.Price
		}
		out.Results = append(out.Results, sdk.WriteResult{RemoteID: it.RemoteID, IdempotencyKey: it.IdempotencyKey, Err: e})
	}
	return out, nil
}

func (f *fakeStore) SetInventory(_ context.Context, req *sdk.SetInventoryRequest) (*sdk.SetInventoryResponse, error) {
	f.fenced(req.FencingToken)
	if err := f.admit("inventory", len(req.Items)); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	out := &sdk.SetInventoryResponse{}
	for _, it := range req.Items {
		v, e := f.variant(it.RemoteID, it.SKU)
		switch {
		case e != nil:
		case it.ExpectedStock != nil && *it.ExpectedStock != v.Stock:
			e = sdk.Conflict("stale_quantity", fmt.Sprintf("expected %d, the store holds %d", *it.ExpectedStock, v.Stock))
		default:
			v.Stock = it.Stock
		}
		out.Results = append(out.Results, sdk.WriteResult{RemoteID: it.RemoteID, IdempotencyKey: it.IdempotencyKey, Err: e})
	}
	return out, nil
}

func (f *fakeStore) GetRemoteProducts(_ context.Context, req *sdk.GetRemoteProductsRequest) (*sdk.GetRemoteProductsResponse, error) {
	if err := f.admit("get", len(req.RemoteIDs)); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	out := &sdk.GetRemoteProductsResponse{}
	for _, id := range req.RemoteIDs {
		res := sdk.ProductResult{ID: id}
		p := f.products[id]
		if sku, ok := strings.CutPrefix(id, "sku:"); ok {
			for _, q := range f.products {
				for _, v := range q.Variants {
					if v.SKU == sku {
						p = q
					}
				}
			}
		}
		if p == nil {
			res.Err = sdk.NotFound("not_found", "no product "+id)
		} else {
			cp := *p
			cp.Variants = append([]sdk.Variant(nil), p.Variants...)
			res.Product = &cp
		}
		out.Results = append(out.Results, res)
	}
	return out, nil
}

// merchant edits a product as the store's admin would.
func (f *fakeStore) merchant(id string, edit func(*sdk.Product)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	edit(f.products[id])
	f.products[id].UpdatedAt = time.Now()
}

func (f *fakeStore) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.products)
}

// callsOf returns and resets the call counts.
func (f *fakeStore) takeCalls() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.calls
	f.calls = map[string]int{}
	return c
}

func (f *fakeStore) product(id string) sdk.Product {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := *f.products[id]
	p.Variants = append([]sdk.Variant(nil), p.Variants...)
	return p
}
