package store_test

import (
	"context"
	"errors"
	"maps"
	"testing"

	"github.com/marketsync/marketsync/plugins/woocommerce/sim"
	"github.com/marketsync/marketsync/sdk"
)

// The plugin sends each write's fencing token (none for 0, and none on
// reads), and maps the store's 409 for a stale one, whichever write it
// is, to CONFLICT stale_fencing_token, which the host records and does
// not retry; the refused writes are not carried out.
func TestFencingTokenSentAndStaleOneRefused(t *testing.T) {
	s := sim.ServeTest(t, sim.Options{})
	p := configure(t, s, s.URL, nil)
	ctx := context.Background()
	// A lone agent's write carries no token.
	first := upsert(t, p, product("A", 0))
	if first[0].Err != nil {
		t.Fatal(first[0].Err)
	}
	remote := first[0].RemoteID
	resp, err := p.UpsertProducts(ctx, &sdk.UpsertProductsRequest{FencingToken: 5, Items: []sdk.UpsertItem{{IdempotencyKey: "kb", Product: product("B", 0)}}})
	if err != nil || resp.Results[0].Err != nil {
		t.Fatal(err, resp.Results[0].Err)
	}
	writes := s.Fencing().Accepted[5]
	stale := &sdk.Error{Kind: sdk.KindConflict, Code: sdk.CodeStaleFencingToken}
	// A refusal may be the call's error or its item's.
	failed := func(what string, results func() []sdk.WriteResult, err error) {
		t.Helper()
		if err == nil && len(results()) == 1 {
			err = results()[0].Err
		}
		if !errors.Is(err, stale) {
			t.Fatalf("%s under a stale token: %v", what, err)
		}
	}
	up, err := p.UpsertProducts(ctx, &sdk.UpsertProductsRequest{FencingToken: 3, Items: []sdk.UpsertItem{{IdempotencyKey: "kc", Product: product("C", 0)}}})
	failed("upsert", func() []sdk.WriteResult { return up.Results }, err)
	pr, err := p.SetPrices(ctx, &sdk.SetPricesRequest{FencingToken: 3, Items: []sdk.PriceItem{{IdempotencyKey: "kp", RemoteID: remote, SKU: "A-ONE", Price: usd(999)}}})
	failed("prices", func() []sdk.WriteResult { return pr.Results }, err)
	st, err := p.SetInventory(ctx, &sdk.SetInventoryRequest{FencingToken: 3, Items: []sdk.InventoryItem{{IdempotencyKey: "ks", RemoteID: remote, SKU: "A-ONE", Stock: 1}}})
	failed("stock", func() []sdk.WriteResult { return st.Results }, err)

	f := s.Fencing()
	if f.High != 5 || f.Accepted[0] == 0 || f.Accepted[5] != writes || f.Refused[3] == 0 || len(f.Refused) != 1 {
		t.Fatalf("the store saw %+v", f)
	}
	if n := s.ProductCount(); n != 2 {
		t.Fatalf("%d products: the stale create was carried out", n)
	}
	if got, _, _ := s.Product(mustID(t, remote)); got.RegularPrice != "19.90" || stockOf(t, s, remote, "A-ONE") != 4 {
		t.Fatalf("a stale write changed the product: price %s stock %d", got.RegularPrice, stockOf(t, s, remote, "A-ONE"))
	}
	// Under the current token the stock goes through.
	st, err = p.SetInventory(ctx, &sdk.SetInventoryRequest{FencingToken: 5, Items: []sdk.InventoryItem{{IdempotencyKey: "ks2", RemoteID: remote, SKU: "A-ONE", Stock: 1}}})
	if err != nil || st.Results[0].Err != nil {
		t.Fatal(err, st.Results[0].Err)
	}
	if got := s.Fencing(); !maps.Equal(got.Refused, f.Refused) || got.Accepted[5] <= writes {
		t.Fatalf("after a current write: %+v", got)
	}
}
