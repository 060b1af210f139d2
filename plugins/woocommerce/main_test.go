package main

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/marketsync/marketsync/plugins/woocommerce/sim"
	"github.com/marketsync/marketsync/plugins/woocommerce/store"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/host"
	"github.com/marketsync/marketsync/sdk/model"
	"github.com/marketsync/marketsync/sdk/plugintest"
)

// binary is the plugin built once for the package's tests, so that they
// run the real process, handshake and gRPC transport.
var binary string

func TestMain(m *testing.M) { plugintest.Main(m, "woocommerce", &binary) }

// config is the plugin's config block for a simulated store, changed by
// edit. The simulator is plain HTTP, so every request is OAuth-signed.
func config(s *sim.Running, edit func(map[string]any)) string {
	c := s.Credentials()
	values := map[string]any{
		store.FieldStoreURL: s.URL, store.FieldConsumerKey: c.ConsumerKey, store.FieldConsumerSecret: c.ConsumerSecret,
		store.FieldWebhookSecret: s.WebhookSecret(),
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

func usd(cents int64) sdk.Money { return sdk.Money{Amount: cents, Currency: "USD"} }

// fixtures are a simple product and a variable one with three variants.
func fixtures(prefix string) []sdk.Product {
	return []sdk.Product{
		{
			ID: prefix + "1", Source: "sandbox", Title: map[string]string{"en": "Enamel mug", "zh-CN": "搪瓷杯"},
			Description: map[string]string{"en": "A mug."},
			Images:      []sdk.Image{{URL: "https://img.example/mug.jpg"}},
			Attributes:  []sdk.Attribute{{Name: "Material", Value: "Enamel", Locale: "en"}},
			Variants:    []sdk.Variant{{SKU: prefix + "MUG", Price: usd(1290), Stock: 7}},
		},
		{
			ID: prefix + "2", Source: "sandbox", Title: map[string]string{"en": "Linen shirt"},
			Variants: []sdk.Variant{
				{SKU: prefix + "SHIRT-S", Options: []sdk.Option{{Name: "Size", Value: "S"}}, Price: usd(2500), Stock: 3},
				{SKU: prefix + "SHIRT-M", Options: []sdk.Option{{Name: "Size", Value: "M"}}, Price: usd(2500), Stock: 0},
				{SKU: prefix + "SHIRT-L", Options: []sdk.Option{{Name: "Size", Value: "L"}}, Price: usd(2700), Stock: 5},
			},
		},
	}
}

// genuine publishes a product, changes it as the merchant and returns
// the store's webhook delivery of that change.
func genuine(t *testing.T, s *sim.Running, tg plugintest.Target) (sdk.Webhook, sdk.WebhookEvent) {
	t.Helper()
	p := plugintest.Launch(t, tg, "")
	prod := fixtures("hook-")[0]
	resp, err := host.Call[*model.UpsertProductsResponse](context.Background(), p, &model.UpsertProductsRequest{
		Items: []*model.UpsertItem{{IdempotencyKey: "hook", Product: host.ProductToModel(&prod)}},
	})
	if err != nil || resp.GetResults()[0].GetError() != nil {
		t.Fatalf("publishing the webhook's product: %v %v", err, resp.GetResults())
	}
	id, _ := strconv.ParseInt(resp.GetResults()[0].GetRemoteId(), 10, 64)
	if err := s.MerchantUpdate(id, map[string]any{"name": "Enamel mug (blue)"}); err != nil {
		t.Fatal(err)
	}
	ds := s.Deliveries()
	d := ds[len(ds)-1]
	headers := map[string]string{}
	for k, v := range d.Header {
		headers[strings.ToLower(k)] = strings.Join(v, ", ")
	}
	return sdk.Webhook{Headers: headers, Body: d.Body},
		sdk.WebhookEvent{DeliveryID: d.Header.Get(sim.HeaderDeliveryID), Topic: "product.updated", RemoteIDs: []string{strconv.FormatInt(id, 10)}}
}

// target is the conformance kit's view of the plugin with the simulated
// store.
func target(s *sim.Running) plugintest.Target {
	products := fixtures("kit-")
	// A simple product whose SKU is a variation's: the store refuses it
	// with product_invalid_sku inside a 200.
	rejected := sdk.UpsertItem{Product: sdk.Product{
		ID: "kit-dup", Source: "sandbox", Title: map[string]string{"en": "Clash"},
		Variants: []sdk.Variant{{SKU: "kit-SHIRT-M", Price: usd(100), Stock: 1}},
	}}
	return plugintest.Target{
		Binary: binary,
		New:    func() sdk.Plugin { return store.New() },
		Config: config(s, nil),
		Declared: &plugintest.Declared{
			Name:         "woocommerce",
			Capabilities: []sdk.Capability{sdk.CapabilityPublish, sdk.CapabilityWebhooks},
			Rate:         5,
			MaxBatch: map[sdk.Operation]int{
				sdk.OpUpsertProducts: 100, sdk.OpSetInventory: 100, sdk.OpSetPrices: 100, sdk.OpGetRemoteProducts: 100,
			},
			Sensitive: []string{store.FieldConsumerSecret, store.FieldWebhookSecret},
			Fields: []sdk.ConfigField{
				{Name: store.FieldStoreURL, Type: sdk.FieldString},
				{Name: store.FieldCurrency, Type: sdk.FieldString, Default: "USD"},
				{Name: store.FieldLocale, Type: sdk.FieldString, Default: "en"},
				{Name: store.FieldTimeout, Type: sdk.FieldDuration, Default: "30s"},
			},
		},
		BadConfigs: map[string]string{
			"store_url not a URL":   config(s, set(store.FieldStoreURL, "shop.example")),
			"store_url with query":  config(s, set(store.FieldStoreURL, s.URL+"/?p=1")),
			"store_url ftp":         config(s, set(store.FieldStoreURL, "ftp://shop.example")),
			"lower-case currency":   config(s, set(store.FieldCurrency, "usd")),
			"unknown currency":      config(s, set(store.FieldCurrency, "XYZ")),
			"zero timeout":          config(s, set(store.FieldTimeout, "0s")),
			"blank consumer secret": config(s, set(store.FieldConsumerSecret, " ")),
		},
		Requests: func() int64 { return s.Stats().Requests },
		Publish: &plugintest.Publish{
			Products: products, Rejected: &rejected, Refused: refused(),
			// RaceStock is left out: WooCommerce has no conditional
			// update, so a change landing between the plugin's read and
			// its write is overwritten (store.SetInventory, README
			// "Stock"); the kit's stock_conflict check is skipped.
			MerchantStock: func(t testing.TB, remote, sku string, stock int64) {
				id, ok := s.IDBySKU(sku)
				if !ok {
					t.Fatalf("no product or variation with SKU %q", sku)
				}
				if err := s.MerchantUpdate(id, map[string]any{"manage_stock": true, "stock_quantity": stock}); err != nil {
					t.Fatal(err)
				}
			},
		},
	}
}

// refused are upserts the store, or the plugin before any call, refuses
// per item.
func refused() []plugintest.Refusal {
	// A simple product with a variation's SKU: SKUs are unique across
	// products and variations (the shirt's variations exist once
	// upsert_idempotent, which runs first, has created them).
	dup := sdk.Product{
		ID: "kit-dup2", Source: "sandbox", Title: map[string]string{"en": "Clash"},
		Variants: []sdk.Variant{{SKU: "kit-SHIRT-L", Price: usd(100), Stock: 1}},
	}
	yuan := fixtures("kit-cny-")[0]
	yuan.Variants[0].Price = sdk.Money{Amount: 100, Currency: "CNY"}
	return []plugintest.Refusal{
		{Name: "a SKU another product has", Item: sdk.UpsertItem{Product: dup}, Kind: sdk.KindInvalid, Code: "product_invalid_sku"},
		{Name: "a price in another currency", Item: sdk.UpsertItem{Product: yuan}, Kind: sdk.KindInvalid, Code: "currency_mismatch"},
	}
}

func TestConformance(t *testing.T) {
	s := sim.ServeTest(t, sim.Options{})
	tg := target(s)
	w, want := genuine(t, s, tg)
	checks := append(plugintest.PublisherChecks(), plugintest.CheckBatchCaps(), plugintest.CheckWebhooks(plugintest.Webhooks{Genuine: w, Want: want}))
	plugintest.Run(t, tg, checks...)
}

// The fenced-write check on a store of its own: after it the store
// refuses writes without a token.
func TestConformanceFencedWrites(t *testing.T) {
	s := sim.ServeTest(t, sim.Options{})
	tg := target(s)
	tg.Publish.Fencing = s.Fencing
	plugintest.Run(t, tg, plugintest.CheckFencedWrites())
}
