package webhook_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/marketsync/marketsync/daemon/store"
	"github.com/marketsync/marketsync/daemon/store/storetest"
	"github.com/marketsync/marketsync/daemon/webhook"
	shopifysim "github.com/marketsync/marketsync/plugins/shopify/sim"
	woosim "github.com/marketsync/marketsync/plugins/woocommerce/sim"
	"github.com/marketsync/marketsync/sdk/simkit"
)

// FuzzDelivery gives the receiver, with the real Shopify and WooCommerce
// plugins verifying, deliveries whose body, topic and delivery id are the
// fuzzer's, signed with the store's secret or with another. Whatever they
// hold, nothing panics; a delivery not signed with the secret is refused
// as not genuine and records nothing; a signed one is recorded (accepted,
// or a duplicate of one before) or refused as unreadable, never as a
// forgery, and records nothing then; a recorded event has the delivery's
// id and names at most the one product the body gives (WooCommerce: a
// positive number). Seeds: testdata/fuzz/FuzzDelivery.
func FuzzDelivery(f *testing.F) {
	db := storetest.Open(f, store.Options{InMemory: true})
	r := webhook.New(webhook.Options{DB: db, Verify: pluginVerifier(f), Clock: simkit.NewFakeClock(t0), Rate: 1e9, Burst: 1 << 30})
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, woo bool, body []byte, topic, id string, signed bool) {
		platform, h := "my-store", map[string]string{
			"x-shopify-topic":       topic,
			"x-shopify-webhook-id":  id,
			"x-shopify-shop-domain": shopifysim.DefaultShop,
		}
		secret := shopifysim.DefaultSecret
		if !signed {
			secret += "-not"
		}
		h["x-shopify-hmac-sha256"] = shopifysim.Sign(secret, body)
		if woo {
			secret = woosim.DefaultWebhookSecret
			if !signed {
				secret += "-not"
			}
			platform, h = "woo", map[string]string{
				"x-wc-webhook-topic":       topic,
				"x-wc-webhook-delivery-id": id,
				"x-wc-webhook-signature":   woosim.Sign(body, secret),
			}
		}
		before := queueLen(t, r)
		out, ev, err := r.Receive(ctx, platform, webhook.Delivery{Headers: h, Body: body})
		var refused *webhook.Refused
		switch {
		case !signed:
			if !errors.As(err, &refused) || !refused.Auth {
				t.Fatalf("a delivery under another secret: %s %+v %v; want refused as not genuine", out, ev, err)
			}
		case err == nil:
			if out != webhook.Accepted && out != webhook.Duplicate {
				t.Fatalf("outcome %q", out)
			}
			if ev.DeliveryID != id || len(ev.RemoteIDs) > 1 {
				t.Fatalf("event %+v of delivery %q", ev, id)
			}
			for _, rid := range ev.RemoteIDs {
				if n, err := strconv.ParseInt(rid, 10, 64); woo && (err != nil || n <= 0) {
					t.Fatalf("WooCommerce event names product %q", rid)
				}
				if !woo && strings.TrimSpace(rid) == "" {
					t.Fatalf("Shopify event names a blank product")
				}
			}
			return
		case errors.As(err, &refused):
			if refused.Auth {
				t.Fatalf("a signed delivery refused as a forgery: %v", err)
			}
		default:
			t.Fatalf("a signed delivery: %v", err)
		}
		if n := queueLen(t, r); n != before {
			t.Fatalf("a refused delivery recorded %d events", n-before)
		}
	})
}
