package e2e

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/marketsync/marketsync/daemon/agent/agenttest"
	"github.com/marketsync/marketsync/daemon/client"
	shopifysim "github.com/marketsync/marketsync/plugins/shopify/sim"
	shopify "github.com/marketsync/marketsync/plugins/shopify/store"
	taobaosim "github.com/marketsync/marketsync/plugins/taobao/sim"
	woosim "github.com/marketsync/marketsync/plugins/woocommerce/sim"
	woo "github.com/marketsync/marketsync/plugins/woocommerce/store"
)

// The sync tests also run the two store plugins.
func init() { plugins = append(plugins, "shopify", "woocommerce") }

// syncProducts is how many taobao products the main sync test pushes to
// each store: 1,000, a fifth under -short. The kill and change tests take
// half (sideProducts): their point is the counts, which scale, and make
// test runs all three.
func syncProducts() int {
	if testing.Short() {
		return 200
	}
	return 1000
}

func sideProducts() int { return syncProducts() / 2 }

// stores are the simulators of the two stores and of the source, served
// on loopback ports, and the agent config that points at them.
type stores struct {
	taobao                *taobaosim.Server
	shopify               *shopifysim.Server
	woo                   *woosim.Server
	hcl                   string
	tbURL, shopURL, wcURL string
}

// syncOptions vary the agent config of the sync tests.
type syncOptions struct {
	// shopRate is the points a second the agent spends at Shopify
	// (default 100000: no limit to speak of).
	shopRate float64
	reserve  int
	// stock is the conflict strategy for stock (default source_wins).
	stock string
}

func newStores(t testing.TB, shop ...func(*shopifysim.Options)) *stores {
	// A bucket large enough that the cost limit is not what the tests
	// measure (the benchmark does).
	so := shopifysim.Options{BucketSize: 1e7, RestoreRate: 1e6}
	for _, edit := range shop {
		edit(&so)
	}
	s := &stores{
		taobao:  taobaosim.New(taobaosim.Options{Seed: 7}),
		shopify: shopifysim.New(so),
		woo:     woosim.New(woosim.Options{}),
	}
	tb := httptest.NewServer(s.taobao.Handler())
	sh := httptest.NewServer(s.shopify.Handler())
	wc := httptest.NewServer(s.woo.Handler())
	t.Cleanup(tb.Close)
	t.Cleanup(sh.Close)
	t.Cleanup(wc.Close)
	s.tbURL, s.shopURL, s.wcURL = tb.URL, sh.URL, wc.URL
	s.hcl = s.config(syncOptions{reserve: 2})
	return s
}

// config is the agent config of the three platforms and the two
// pipelines, tb-shop and tb-woo.
func (s *stores) config(o syncOptions) string {
	if o.shopRate == 0 {
		o.shopRate = 100000
	}
	if o.stock == "" {
		o.stock = "source_wins"
	}
	tb, sh, wc := s.tbURL, s.shopURL, s.wcURL
	tc, so, wcc := s.taobao.Credentials(), s.shopify.Options(), s.woo.Credentials()
	pipeline := func(name, target string) string {
		return fmt.Sprintf(`
sync %q {
  source     = "taobao"
  target     = %q
  batch_size = 50
  fields {
    title       = ["en", "zh-CN"]
    description = ["en", "zh-CN"]
  }
  price {
    currency = "USD"
    rate     = 0.14
    round    = "0.99"
    rule {
      below    = 50
      multiply = 2.5
    }
    rule {
      multiply = 1.8
      add      = 3
    }
  }
  stock {
    reserve = %d
  }
  conflicts {
    default = "remote_wins"
    price   = "source_wins"
    stock   = %q
  }
}
`, name, target, o.reserve, o.stock)
	}
	return fmt.Sprintf(`
platform "taobao" "taobao" {
  # The simulator sets no limit here: collecting is not what is measured.
  rate_limit {
    rate  = 1000
    burst = 100
  }
  config {
    app_key    = %q
    app_secret = %q
    session    = %q
    endpoint   = %q
  }
}
platform "shopify" "shop" {
  # Points, as the plugin declares them: a read of 9 products asks 927.
  rate_limit {
    rate  = %g
    burst = 1000
  }
  config {
    %s = %q
    %s = %q
    %s = %q
    %s = %q
    %s = %q
    %s = 10
    %s = "5ms"
  }
}
platform "woocommerce" "woo" {
  rate_limit {
    rate  = 1000
    burst = 100
  }
  config {
    %s = %q
    %s = %q
    %s = %q
  }
}
`, tc.AppKey, tc.AppSecret, tc.Session, tb+taobaosim.Path, o.shopRate,
		shopify.FieldShop, so.Shop, shopify.FieldAccessToken, so.Token, shopify.FieldAppSecret, so.Secret,
		shopify.FieldLocationID, shopifysim.LocationID, shopify.FieldEndpoint, sh, shopify.FieldBulkThreshold, shopify.FieldBulkPollInterval,
		woo.FieldStoreURL, wc, woo.FieldConsumerKey, wcc.ConsumerKey, woo.FieldConsumerSecret, wcc.ConsumerSecret,
	) + pipeline("tb-shop", "shop") + pipeline("tb-woo", "woo")
}

// runSync runs a pipeline and follows its job to the end.
func runSync(t testing.TB, c *client.Client, name string, ids ...string) *client.Job {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	j, err := c.Sync().Run(ctx, name, client.SyncRunRequest{IDs: ids})
	if err != nil {
		t.Fatal(err)
	}
	for !j.State.Final() {
		if j, err = c.Jobs().Watch(ctx, j.ID, client.WaitOptions{Index: j.Index, Wait: 30 * time.Second}); err != nil {
			t.Fatal(err)
		}
	}
	return j
}

// catalogue returns every product collected from taobao.
func catalogue(t testing.TB, c *client.Client) []client.Product {
	t.Helper()
	var all []client.Product
	opts := client.ProductListOptions{Platform: "taobao", Limit: 1000}
	for {
		page, err := c.Products().List(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page.Products...)
		if page.Next == "" {
			return all
		}
		opts.Cursor = page.Next
	}
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// Products collected from the taobao simulator are synced to the Shopify
// and WooCommerce simulators: every product and SKU is in each store once,
// with its stock after the reserve, counted in the simulators' own state;
// the write calls are ⌈products ÷ 50⌉ upserts (the seed's 1,000 at batch
// 50 → 20) as the stores saw them; a second run writes nothing; a
// merchant's title edit in Shopify survives a forced re-sync under
// remote_wins.
func TestSyncTaobaoToShopifyAndWooCommerce(t *testing.T) {
	t.Parallel() // each runs its own agent and simulators; most of their time is spent waiting on rate limits and processes
	s := newStores(t)
	a := agenttest.New(t, bin, s.hcl)
	n := syncProducts()
	ids := s.taobao.OnSaleIDs()[:n]
	if j, err := collect(a.Client, "taobao", ids); err != nil || j.Succeeded != n {
		t.Fatalf("collect: %+v %v", j, err)
	}
	products := catalogue(t, a.Client)
	skus := 0
	for _, p := range products {
		skus += len(p.Variants)
	}
	t.Logf("%d products, %d SKUs (%.1f a product)", len(products), skus, float64(skus)/float64(len(products)))

	shop0, woo0 := s.shopify.Stats(), s.woo.Stats()
	jShop := runSync(t, a.Client, "tb-shop")
	jWoo := runSync(t, a.Client, "tb-woo")
	for _, j := range []*client.Job{jShop, jWoo} {
		if j.State != client.JobSucceeded || j.Succeeded != n {
			t.Fatalf("sync job %+v", j)
		}
		if j.Writes.UpsertProducts != ceilDiv(n, 50) || j.Writes.SetPrices+j.Writes.SetInventory != 0 {
			t.Errorf("job %s counted writes %+v, want %d upserts", j.Pipeline, j.Writes, ceilDiv(n, 50))
		}
	}
	shop1, woo1 := s.shopify.Stats(), s.woo.Stats()

	// Shopify's own count: each UpsertProducts of 50 is one bulk
	// mutation of 50 productSet lines.
	if got := s.shopify.ProductCount(); got != n {
		t.Errorf("shopify holds %d products, want %d", got, n)
	}
	if got := shop1.Fields["bulkOperationRunMutation"] - shop0.Fields["bulkOperationRunMutation"]; got != int64(ceilDiv(n, 50)) {
		t.Errorf("shopify ran %d bulk mutations, want ⌈%d ÷ 50⌉ = %d", got, n, ceilDiv(n, 50))
	}
	// WooCommerce's own count: one products/batch create call per 50.
	if got := s.woo.ProductCount(); got != n {
		t.Errorf("woocommerce holds %d products, want %d", got, n)
	}
	if got := woo1.Calls["POST products/batch"] - woo0.Calls["POST products/batch"]; got != int64(ceilDiv(n, 50)) {
		t.Errorf("woocommerce took %d products/batch calls, want %d", got, ceilDiv(n, 50))
	}
	if got := woo1.Items["products/batch create"] - woo0.Items["products/batch create"]; got != int64(n) {
		t.Errorf("woocommerce created %d products in batches, want %d", got, n)
	}
	// Every SKU is in each store with the stock after the reserve.
	for _, p := range products {
		bs, err := a.Client.Sync().Bindings(context.Background(), "taobao", p.ID)
		if err != nil || len(bs) != 2 {
			t.Fatalf("bindings of %s: %+v %v", p.ID, bs, err)
		}
		var shopID string
		for _, b := range bs {
			if b.Target == "shop" {
				shopID = b.RemoteID
			}
		}
		for _, v := range p.Variants {
			want := max(v.Stock-2, 0)
			if got, ok := s.shopify.Stock(shopID, v.SKU); !ok || got != want {
				t.Fatalf("shopify %s %s: stock %d (found %v), want %d", shopID, v.SKU, got, ok, want)
			}
			if _, ok := s.woo.IDBySKU(v.SKU); !ok {
				t.Fatalf("woocommerce has no SKU %s", v.SKU)
			}
		}
	}

	// Nothing changed: no write at all, in either store.
	for _, name := range []string{"tb-shop", "tb-woo"} {
		if j := runSync(t, a.Client, name); j.Total != 0 || j.Writes.Total() != 0 {
			t.Errorf("second run of %s: %+v", name, j)
		}
	}
	shop2, woo2 := s.shopify.Stats(), s.woo.Stats()
	for _, f := range []string{"productSet", "bulkOperationRunMutation", "productVariantsBulkUpdate", "inventorySetQuantities"} {
		if shop2.Fields[f] != shop1.Fields[f] {
			t.Errorf("the second run ran %s in shopify %d times", f, shop2.Fields[f]-shop1.Fields[f])
		}
	}
	for route, n := range woo2.Calls {
		if strings.HasPrefix(route, "POST") || strings.HasPrefix(route, "PUT") {
			if n != woo1.Calls[route] {
				t.Errorf("the second run called woocommerce %s %d times", route, n-woo1.Calls[route])
			}
		}
	}

	// A merchant's title edit in Shopify stays under remote_wins.
	first := products[0]
	bs, _ := a.Client.Sync().Bindings(context.Background(), "taobao", first.ID)
	var gid string
	for _, b := range bs {
		if b.Target == "shop" {
			gid = b.RemoteID
		}
	}
	if err := s.shopify.MerchantSetTitle(gid, "The merchant's title"); err != nil {
		t.Fatal(err)
	}
	if j := runSync(t, a.Client, "tb-shop", first.ID); j.Succeeded != 1 || j.Writes.Total() != 0 {
		t.Fatalf("re-sync after the merchant's edit: %+v; items %+v", j, items(t, a.Client, j.ID))
	}
	hist, err := a.Client.Sync().History(context.Background(), "taobao", first.ID)
	if err != nil {
		t.Fatal(err)
	}
	kept := false
	for _, d := range hist {
		if strings.HasPrefix(d.Field, "title[") && d.Remote == "The merchant's title" && !d.Pushed {
			kept = true
		}
	}
	if !kept {
		t.Errorf("no decision keeps the merchant's title: %+v", hist)
	}
	t.Logf("shopify: %d requests, %d documents for %d products; woocommerce: %d requests",
		shop1.Requests-shop0.Requests, shop1.Documents-shop0.Documents, n, woo1.Requests-woo0.Requests)
}
