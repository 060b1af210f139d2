package store

import (
	"context"
	"errors"
	"maps"
	"testing"

	"github.com/marketsync/marketsync/plugins/shopify/sim"
	"github.com/marketsync/marketsync/sdk"
)

// The plugin sends each write's fencing token (none for 0), and maps the
// store's refusal of a stale one, whichever write it is, to CONFLICT
// stale_fencing_token, which the host records and does not retry.
func TestFencingTokenSentAndStaleOneRefused(t *testing.T) {
	s := sim.ServeTest(t, sim.Options{})
	p := configured(t, s, nil)
	ctx := context.Background()
	items := catalogue(3, "taobao")
	// A lone agent's write carries no token.
	first, err := p.UpsertProducts(ctx, &sdk.UpsertProductsRequest{Items: items[:1]})
	if err != nil || first.Results[0].Err != nil {
		t.Fatal(err, first.Results[0].Err)
	}
	if resp, err := p.UpsertProducts(ctx, &sdk.UpsertProductsRequest{Items: items[1:2], FencingToken: 5}); err != nil || resp.Results[0].Err != nil {
		t.Fatal(err, resp.Results[0].Err)
	}
	stale := &sdk.Error{Kind: sdk.KindConflict, Code: sdk.CodeStaleFencingToken}
	remote := first.Results[0].RemoteID
	_, err = p.UpsertProducts(ctx, &sdk.UpsertProductsRequest{Items: items[2:], FencingToken: 3})
	if !errors.Is(err, stale) {
		t.Fatalf("upsert under a stale token: %v", err)
	}
	_, err = p.SetPrices(ctx, &sdk.SetPricesRequest{FencingToken: 3, Items: []sdk.PriceItem{{RemoteID: remote, SKU: "100000-S", Price: sdk.Money{Amount: 2999, Currency: "USD"}}}})
	if !errors.Is(err, stale) {
		t.Fatalf("prices under a stale token: %v", err)
	}
	_, err = p.SetInventory(ctx, &sdk.SetInventoryRequest{FencingToken: 3, Items: []sdk.InventoryItem{{IdempotencyKey: "k", RemoteID: remote, SKU: "100000-S", Stock: 1}}})
	if !errors.Is(err, stale) {
		t.Fatalf("stock under a stale token: %v", err)
	}
	// Stock under the current token goes through.
	resp, err := p.SetInventory(ctx, &sdk.SetInventoryRequest{FencingToken: 5, Items: []sdk.InventoryItem{{IdempotencyKey: "k2", RemoteID: remote, SKU: "100000-S", Stock: 1}}})
	if err != nil || resp.Results[0].Err != nil {
		t.Fatal(err, resp.Results[0].Err)
	}
	f := s.Fencing()
	if !maps.Equal(f.Accepted, map[uint64]int64{0: 1, 5: 2}) || !maps.Equal(f.Refused, map[uint64]int64{3: 3}) {
		t.Fatalf("the store saw %+v; want accepted {0:1 5:2}, refused {3:3}", f)
	}
	if n := s.ProductCount(); n != 2 {
		t.Fatalf("%d products: the stale create was applied", n)
	}
	if got, _ := s.Stock(remote, "100000-S"); got != 1 {
		t.Fatalf("stock %d", got)
	}
}
