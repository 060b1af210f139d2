package sim_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/marketsync/marketsync/plugins/taobao/sim"
)

// answered is one item of a seller.list.get answer, as the gateway wrote
// it (numbers bare or quoted).
type answered struct {
	NumIID   json.Number `json:"num_iid"`
	Title    string      `json:"title"`
	Price    string      `json:"price"`
	Modified string      `json:"modified"`
	Skus     struct {
		Sku []struct {
			Price  string `json:"price"`
			Status string `json:"status"`
		} `json:"sku"`
	} `json:"skus"`
}

// read fetches ids (at most 20) through taobao.items.seller.list.get.
func (g *gateway) read(ids ...string) map[string]answered {
	g.t.Helper()
	params := map[string]string{"fields": "num_iid,title,price,modified,sku", "num_iids": strings.Join(ids, ",")}
	out := g.send(joinQB(g.encode("taobao.items.seller.list.get", params, 0, nil)))
	if e := refusal(g.t, out); e != nil {
		g.t.Fatalf("refused: %+v", e)
	}
	var body struct {
		Items struct {
			Item []answered `json:"item"`
		} `json:"items"`
	}
	if err := json.Unmarshal(out["items_seller_list_get_response"], &body); err != nil {
		g.t.Fatal(err)
	}
	m := map[string]answered{}
	for _, it := range body.Items.Item {
		m[it.NumIID.String()] = it
	}
	return m
}

// yuan writes fen as the shortest yuan string, to compare with answers
// that use either of the catalogue's two forms.
func yuan(fen int64) string {
	s := fmt.Sprintf("%d.%02d", fen/100, fen%100)
	return strings.TrimSuffix(strings.TrimSuffix(s, "0"), ".0")
}

func shortest(price string) string {
	if strings.Contains(price, ".") {
		price = strings.TrimRight(strings.TrimRight(price, "0"), ".")
	}
	return price
}

// The seller's edits show in the answers and in Expect: the new title,
// every SKU's price scaled and the item's price the lowest of them, and
// modified the gateway's clock; the other items stay as they were, and an
// edit naming an unknown or deleted item changes nothing.
func TestSellerEdits(t *testing.T) {
	g := start(t, sim.Options{Seed: 5, Items: 200})
	var withSKUs, without, deleted string
	for _, id := range g.sim.OnSaleIDs() {
		switch e := g.sim.Expect(id); {
		case len(e.Variants) > 1 && withSKUs == "":
			withSKUs = id
		case len(e.Variants) == 1 && e.Variants[0].SKU == id && without == "":
			without = id
		}
	}
	for _, id := range g.sim.IDs() {
		if g.sim.Expect(id).Reason == "deleted" {
			deleted = id
			break
		}
	}
	if withSKUs == "" || without == "" || deleted == "" {
		t.Fatalf("the catalogue lacks an item kind: %q %q %q", withSKUs, without, deleted)
	}
	retitled := g.sim.OnSaleIDs()[0]
	if retitled == withSKUs || retitled == without {
		retitled = g.sim.OnSaleIDs()[1]
	}
	untouched := g.sim.OnSaleIDs()[2]
	before := map[string]sim.Expectation{}
	for _, id := range []string{retitled, withSKUs, without, untouched} {
		before[id] = g.sim.Expect(id)
	}

	g.clock.Advance(90 * time.Minute)
	now := g.clock.Now().Truncate(time.Second)
	if err := g.sim.Retitle([]string{retitled}, " 升级款"); err != nil {
		t.Fatal(err)
	}
	if err := g.sim.Reprice([]string{withSKUs, without}, 50); err != nil {
		t.Fatal(err)
	}

	got := g.read(retitled, withSKUs, without, untouched)
	modified := now.In(time.FixedZone("GMT+8", 8*3600)).Format("2006-01-02 15:04:05")
	if e := g.sim.Expect(retitled); e.Title != before[retitled].Title+" 升级款" || !e.UpdatedAt.Equal(now) || fmt.Sprint(e.Variants) != fmt.Sprint(before[retitled].Variants) {
		t.Errorf("retitled: expect %+v", e)
	}
	if a := got[retitled]; a.Title != before[retitled].Title+" 升级款" || a.Modified != modified {
		t.Errorf("retitled: answer %+v, want modified %s", a, modified)
	}
	for _, id := range []string{withSKUs, without} {
		e, was := g.sim.Expect(id), before[id]
		if e.Title != was.Title || !e.UpdatedAt.Equal(now) || len(e.Variants) != len(was.Variants) {
			t.Fatalf("repriced %s: expect %+v", id, e)
		}
		lowest := e.Variants[0].Price
		for k, v := range e.Variants {
			if want := (was.Variants[k].Price*150 + 50) / 100; v.Price != want {
				t.Errorf("repriced %s variant %d: %d fen, want %d", id, k, v.Price, want)
			}
			lowest = min(lowest, v.Price)
		}
		a := got[id]
		if a.Modified != modified || shortest(a.Price) != yuan(lowest) {
			t.Errorf("repriced %s: answer price %s modified %s, want %s and %s", id, a.Price, a.Modified, yuan(lowest), modified)
		}
		var live []string
		for _, s := range a.Skus.Sku {
			if s.Status != "delete" {
				live = append(live, shortest(s.Price))
			}
		}
		var want []string
		if len(a.Skus.Sku) > 0 {
			for _, v := range e.Variants {
				want = append(want, yuan(v.Price))
			}
		}
		if fmt.Sprint(live) != fmt.Sprint(want) {
			t.Errorf("repriced %s: SKU prices %v, want %v", id, live, want)
		}
	}
	if e := g.sim.Expect(untouched); fmt.Sprint(e) != fmt.Sprint(before[untouched]) {
		t.Errorf("untouched item changed: %+v", e)
	}

	// A bad id fails the whole edit: the good one in it is not changed.
	for _, ids := range [][]string{{untouched, "1"}, {untouched, deleted}} {
		if err := g.sim.Retitle(ids, " 清仓"); err == nil {
			t.Errorf("retitle %v: no error", ids)
		}
		if err := g.sim.Reprice(ids, -10); err == nil {
			t.Errorf("reprice %v: no error", ids)
		}
	}
	if err := g.sim.Reprice([]string{untouched}, -100); err == nil {
		t.Error("a price of zero was accepted")
	}
	if e := g.sim.Expect(untouched); fmt.Sprint(e) != fmt.Sprint(before[untouched]) {
		t.Errorf("a failed edit changed the item: %+v", e)
	}
}

// Edits while the gateway answers are safe (run with -race): every answer
// shows an item either before or after an edit.
func TestSellerEditsWhileServing(t *testing.T) {
	g := start(t, sim.Options{Seed: 6, Items: 100})
	ids := g.sim.OnSaleIDs()[:20]
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for k := range 20 {
			if err := g.sim.Retitle(ids, fmt.Sprint(k%10)); err != nil {
				t.Error(err)
				return
			}
			if err := g.sim.Reprice(ids, 10); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for range 10 {
		if got := g.read(ids...); len(got) != len(ids) {
			t.Fatalf("%d items answered, want %d", len(got), len(ids))
		}
		g.sim.Expect(ids[0])
	}
	wg.Wait()
	// Twenty edits each appended one digit.
	if a := g.read(ids[0])[ids[0]]; !strings.HasSuffix(a.Title, "01234567890123456789") {
		t.Errorf("title after the edits %q", a.Title)
	}
}
