package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/marketsync/marketsync/plugins/shopify/sim"
	"github.com/marketsync/marketsync/plugins/shopify/store"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/faultinject"
	"github.com/marketsync/marketsync/sdk/plugintest"
)

// binary is the plugin built once for the package's tests, so that they
// run the real process, handshake and gRPC transport.
var binary string

func TestMain(m *testing.M) { plugintest.Main(m, "shopify", &binary) }

// config is the plugin's config block for a simulator, changed by edit.
func config(s *sim.Running, edit func(map[string]any)) string {
	o := s.Options()
	values := map[string]any{
		store.FieldShop: o.Shop, store.FieldAccessToken: o.Token, store.FieldAppSecret: o.Secret,
		store.FieldLocationID: sim.LocationID, store.FieldEndpoint: s.URL, store.FieldBulkPollInterval: "1ms",
	}
	if edit != nil {
		edit(values)
	}
	b, _ := json.Marshal(values)
	return string(b)
}

func set(field string, v any) func(map[string]any) {
	return func(values map[string]any) { values[field] = v }
}

func usd(amount int64) sdk.Money { return sdk.Money{Amount: amount, Currency: "USD"} }

// products are the fixtures the kit writes: one with two options and
// three variants, one without options.
func products() []sdk.Product {
	return []sdk.Product{
		{ID: "1001", Source: "taobao", Title: map[string]string{"en": "Canvas backpack", "zh-CN": "帆布双肩包"},
			Description: map[string]string{"en": "Waxed canvas & leather straps."},
			Images:      []sdk.Image{{URL: "https://img.example/1001.jpg"}},
			Variants: []sdk.Variant{
				{SKU: "BP-1001-BLK-S", Options: []sdk.Option{{Name: "Color", Value: "Black"}, {Name: "Size", Value: "S"}}, Price: usd(3999), Stock: 12},
				{SKU: "BP-1001-BLK-L", Options: []sdk.Option{{Name: "Color", Value: "Black"}, {Name: "Size", Value: "L"}}, Price: usd(4299), Stock: 4},
				{SKU: "BP-1001-TAN-S", Options: []sdk.Option{{Name: "Color", Value: "Tan"}, {Name: "Size", Value: "S"}}, Price: usd(3999), Stock: 0},
			}},
		{ID: "2002", Source: "alibaba1688", Title: map[string]string{"en": "Steel bottle"},
			Variants: []sdk.Variant{{SKU: "BOT-2002", Price: usd(1250), Stock: 30, Barcode: "6901234567892"}}},
	}
}

// refused are writes Shopify refuses per item, with the userError's code
// and field path.
func refused() []plugintest.Refusal {
	long := products()[1]
	long.ID, long.Title = "3003", map[string]string{"en": strings.Repeat("long ", 60)}
	price := products()[1]
	price.ID, price.Variants = "3004", []sdk.Variant{{SKU: "BOT-3004", Price: usd(100_000_000_000_000_000), Stock: 1}}
	dup := products()[0]
	dup.ID = "3005"
	dup.Variants = append([]sdk.Variant(nil), dup.Variants...)
	dup.Variants[1].SKU = dup.Variants[0].SKU
	return []plugintest.Refusal{
		{Name: "a title over 255 characters", Item: sdk.UpsertItem{Product: long}, Kind: sdk.KindInvalid, Code: "INVALID_INPUT", Field: "input.title"},
		{Name: "a price Shopify cannot hold", Item: sdk.UpsertItem{Product: price}, Kind: sdk.KindInvalid, Code: "INVALID_VARIANT", Field: "input.variants.0.price"},
		{Name: "a SKU twice in one product", Item: sdk.UpsertItem{Product: dup}, Kind: sdk.KindInvalid, Code: "DUPLICATED_VALUE", Field: "input.variants.1.inventoryItem.sku"},
		{Name: "a price in another currency", Item: sdk.UpsertItem{Product: func() sdk.Product {
			p := products()[1]
			p.ID, p.Variants = "3006", []sdk.Variant{{SKU: "BOT-3006", Price: sdk.Money{Amount: 100, Currency: "CNY"}}}
			return p
		}()}, Kind: sdk.KindInvalid, Code: "currency_mismatch", Field: "variants.0.price"},
	}
}

// generous is a bucket no conformance check drains; RateLimit shrinks it.
const generous = 1e9

func target(s *sim.Running) plugintest.Target {
	return plugintest.Target{
		Binary: binary,
		New:    func() sdk.Plugin { return store.New() },
		Config: config(s, nil),
		Declared: &plugintest.Declared{
			Name: "shopify", Capabilities: []sdk.Capability{sdk.CapabilityPublish, sdk.CapabilityWebhooks}, Rate: 50,
			MaxBatch: map[sdk.Operation]int{
				sdk.OpUpsertProducts: 1000, sdk.OpSetPrices: 50, sdk.OpSetInventory: 50, sdk.OpGetRemoteProducts: 9, sdk.OpVerifyWebhooks: 100,
			},
			Sensitive: []string{store.FieldAccessToken, store.FieldAppSecret},
			Fields: []sdk.ConfigField{
				{Name: store.FieldShop, Type: sdk.FieldString}, {Name: store.FieldCurrency, Default: "USD"},
				{Name: store.FieldBulkThreshold, Type: sdk.FieldInt, Default: int64(250)}, {Name: store.FieldTimeout, Default: "30s"},
			},
		},
		BadConfigs: map[string]string{
			"shop not on myshopify.com": config(s, set(store.FieldShop, "shop.example.com")),
			"shop with a scheme":        config(s, set(store.FieldShop, "https://acme.myshopify.com")),
			"location not a gid":        config(s, set(store.FieldLocationID, "1")),
			"currency in lower case":    config(s, set(store.FieldCurrency, "usd")),
			"no bulk threshold":         config(s, set(store.FieldBulkThreshold, 0)),
		},
		AuthConfig: config(s, set(store.FieldAccessToken, "shpat_revoked")),
		AuthCode:   "http_401",
		RateLimit: &plugintest.RateLimit{
			// The probe reads one product: 103 points requested
			// (variants(first: 100)) against 50 available at 50 a
			// second, so Shopify asks to wait (103−50)/50 s.
			Start: func(testing.TB) func() {
				s.SetBucket(50, 50)
				return func() { s.SetBucket(generous, generous) }
			},
			Code: "THROTTLED",
			Wait: 1060 * time.Millisecond,
		},
		Faults: &plugintest.Faults{
			Inject: plugintest.Injector(s.Injector()),
			Errors: []plugintest.FaultError{
				{Name: "Shopify's internal error", Kind: sdk.KindUnavailable, Code: "INTERNAL_SERVER_ERROR",
					Fault: faultinject.ErrorBody(func(*http.Request) []byte {
						return []byte(`{"errors":[{"message":"Internal error. Looks like something went wrong on our end.","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}`)
					})},
				{Name: "a missing access scope", Kind: sdk.KindAuth, Code: "ACCESS_DENIED",
					Fault: faultinject.ErrorBody(func(*http.Request) []byte {
						return []byte(`{"errors":[{"message":"Access denied for nodes field.","extensions":{"code":"ACCESS_DENIED"}}]}`)
					})},
				{Name: "a 403", Kind: sdk.KindAuth, Code: "http_403", Fault: faultinject.Status(http.StatusForbidden, nil)},
			},
		},
		Requests: func() int64 { return s.Stats().Requests },
		Publish: &plugintest.Publish{
			Products: products(),
			Refused:  refused(),
			AbsentRemoteIDs: func(n int) []string {
				out := make([]string, n)
				for i := range out {
					out[i] = fmt.Sprintf("gid://shopify/Product/%d", 9_000_000_000+i)
				}
				return out
			},
			RaceStock: func(t testing.TB, remote, sku string, stock int64) {
				if err := s.RaceStock(remote, sku, stock); err != nil {
					t.Fatal(err)
				}
			},
			MerchantStock: func(t testing.TB, remote, sku string, stock int64) {
				if err := s.MerchantSetStock(remote, sku, stock); err != nil {
					t.Fatal(err)
				}
			},
		},
		Timeout: 5 * time.Minute,
	}
}

func webhookFixture() plugintest.Webhooks {
	body := []byte(`{"id":7,"admin_graphql_api_id":"gid://shopify/Product/7","title":"Canvas backpack"}`)
	return plugintest.Webhooks{
		Genuine: sdk.Webhook{Body: body, Headers: map[string]string{
			"x-shopify-hmac-sha256": sim.Sign(sim.DefaultSecret, body), "x-shopify-topic": "products/update",
			"x-shopify-webhook-id": "b54557e4-bdd9-4b37-8a5f-000000000001", "x-shopify-shop-domain": sim.DefaultShop,
			"x-shopify-triggered-at": "2026-12-02T02:00:00Z",
		}},
		Want: sdk.WebhookEvent{DeliveryID: "b54557e4-bdd9-4b37-8a5f-000000000001", Topic: "products/update"},
	}
}

func TestConformance(t *testing.T) {
	s := sim.ServeTest(t, sim.Options{BucketSize: generous, RestoreRate: generous})
	plugintest.Run(t, target(s), append(plugintest.DefaultChecks(), plugintest.CheckWebhooks(webhookFixture()))...)
}

// The fenced-write check on a store of its own: after it the store
// refuses writes without a token.
func TestConformanceFencedWrites(t *testing.T) {
	s := sim.ServeTest(t, sim.Options{BucketSize: generous, RestoreRate: generous})
	tg := target(s)
	tg.Publish.Fencing = s.Fencing
	plugintest.Run(t, tg, plugintest.CheckFencedWrites())
}
