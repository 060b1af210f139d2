package store_test

import (
	"context"
	"testing"

	"github.com/marketsync/marketsync/plugins/woocommerce/sim"
	"github.com/marketsync/marketsync/sdk"
)

// A product's status is its post status (publish, draft), and a variant's
// compare-at price is regular_price with the price as sale_price, as the
// store holds them and the plugin reads them back; without a compare-at
// price the sale ends (sale_price ""), and without a status the store
// keeps its own.
func TestStatusAndCompareAtRoundTrip(t *testing.T) {
	s := sim.ServeTest(t, sim.Options{})
	p := configure(t, s, s.URL, nil)
	simple, variable := product("SC1", 0), product("SC2", 2)
	simple.Status, variable.Status = sdk.StatusDraft, sdk.StatusActive
	was := usd(2990)
	simple.Variants[0].CompareAt = &was
	variable.Variants[1].CompareAt = &was
	rs := upsert(t, p, simple, variable)
	for _, r := range rs {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	id1, id2 := mustID(t, rs[0].RemoteID), mustID(t, rs[1].RemoteID)
	sp, _, _ := s.Product(id1)
	if sp.Status != "draft" || sp.RegularPrice != "29.90" || sp.SalePrice != "19.90" || sp.Price != "19.90" || !sp.OnSale {
		t.Errorf("simple product in the store: status %q, regular %q, sale %q, price %q", sp.Status, sp.RegularPrice, sp.SalePrice, sp.Price)
	}
	vp, vars, _ := s.Product(id2)
	if vp.Status != "publish" || vars[0].RegularPrice != "25.00" || vars[0].SalePrice != "" ||
		vars[1].RegularPrice != "29.90" || vars[1].SalePrice != "26.00" {
		t.Errorf("variable product in the store: status %q, variations %+v", vp.Status, vars)
	}

	read := func() []*sdk.Product {
		t.Helper()
		resp, err := p.GetRemoteProducts(context.Background(), &sdk.GetRemoteProductsRequest{RemoteIDs: []string{rs[0].RemoteID, rs[1].RemoteID}})
		if err != nil {
			t.Fatal(err)
		}
		var out []*sdk.Product
		for _, r := range resp.Results {
			if r.Product == nil {
				t.Fatal(r.Err)
			}
			out = append(out, r.Product)
		}
		return out
	}
	got := read()
	if got[0].Status != sdk.StatusDraft || got[1].Status != sdk.StatusActive {
		t.Errorf("read back statuses %q %q", got[0].Status, got[1].Status)
	}
	if v := got[0].Variants[0]; v.Price != usd(1990) || v.CompareAt == nil || *v.CompareAt != was {
		t.Errorf("simple variant read back %+v", v)
	}
	if v := got[1].Variants[1]; v.Price != usd(2600) || v.CompareAt == nil || *v.CompareAt != was || got[1].Variants[0].CompareAt != nil {
		t.Errorf("variations read back %+v", got[1].Variants)
	}

	// The sale ends and no status is sent: the store keeps draft.
	simple.Status, simple.Variants[0].CompareAt = "", nil
	if r := upsert(t, p, simple)[0]; r.Err != nil {
		t.Fatal(r.Err)
	}
	sp, _, _ = s.Product(id1)
	if sp.Status != "draft" || sp.RegularPrice != "19.90" || sp.SalePrice != "" || sp.OnSale {
		t.Errorf("after the sale: status %q, regular %q, sale %q", sp.Status, sp.RegularPrice, sp.SalePrice)
	}
	if v := read()[0].Variants[0]; v.Price != usd(1990) || v.CompareAt != nil {
		t.Errorf("after the sale read back %+v", v)
	}
}
