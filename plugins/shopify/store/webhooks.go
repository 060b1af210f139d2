package store

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"time"

	"github.com/marketsync/marketsync/sdk"
)

// Webhook headers ("Verify webhook deliveries",
// https://shopify.dev/docs/apps/build/webhooks/verify-deliveries), by the
// lower-case names the agent hands over.
const (
	headerHMAC        = "x-shopify-hmac-sha256"
	headerTopic       = "x-shopify-topic"
	headerWebhookID   = "x-shopify-webhook-id"
	headerShop        = "x-shopify-shop-domain"
	headerTriggeredAt = "x-shopify-triggered-at"
)

// VerifyWebhooks implements sdk.WebhookVerifier: a delivery is genuine
// when X-Shopify-Hmac-Sha256 is the base64 HMAC-SHA256 of the raw body
// under the app's client secret (compared in constant time, as
// shopify-api-js's validateHmac does with safeCompare) and it names the
// configured shop. Its delivery id is X-Shopify-Webhook-Id, the same on
// every redelivery, for the agent to drop duplicates.
func (p *Plugin) VerifyWebhooks(_ context.Context, req *sdk.VerifyWebhooksRequest) (*sdk.VerifyWebhooksResponse, error) {
	s, err := p.cfg.Get()
	if err != nil {
		return nil, err
	}
	out := &sdk.VerifyWebhooksResponse{Results: make([]sdk.WebhookResult, len(req.Webhooks))}
	for i, w := range req.Webhooks {
		out.Results[i] = s.verify(w)
	}
	return out, nil
}

func (s *settings) verify(w sdk.Webhook) sdk.WebhookResult {
	got, err := base64.StdEncoding.DecodeString(w.Headers[headerHMAC])
	if w.Headers[headerHMAC] == "" || err != nil {
		return sdk.WebhookResult{Err: sdk.Auth("missing_signature", "the delivery has no valid X-Shopify-Hmac-Sha256")}
	}
	m := hmac.New(sha256.New, []byte(s.secret))
	m.Write(w.Body)
	if !hmac.Equal(got, m.Sum(nil)) {
		return sdk.WebhookResult{Err: sdk.Auth("bad_signature", "X-Shopify-Hmac-Sha256 does not match the body under "+FieldAppSecret)}
	}
	if shop := w.Headers[headerShop]; shop != "" && shop != s.shop() {
		return sdk.WebhookResult{Err: sdk.Auth("wrong_shop", "the delivery is for "+shop+", not the configured shop")}
	}
	topic, id := w.Headers[headerTopic], w.Headers[headerWebhookID]
	if topic == "" || id == "" {
		return sdk.WebhookResult{Err: sdk.Invalid("missing_header", "the delivery lacks X-Shopify-Topic or X-Shopify-Webhook-Id")}
	}
	var body struct {
		GID string `json:"admin_graphql_api_id"`
	}
	if err := json.Unmarshal(w.Body, &body); err != nil {
		return sdk.WebhookResult{Err: sdk.Invalid("malformed_body", "the delivery's body is not JSON: "+err.Error())}
	}
	ev := &sdk.WebhookEvent{DeliveryID: id, Topic: topic}
	if body.GID != "" {
		ev.RemoteIDs = []string{body.GID}
	}
	if t, err := time.Parse(time.RFC3339Nano, w.Headers[headerTriggeredAt]); err == nil {
		ev.OccurredAt = t
	}
	return sdk.WebhookResult{Event: ev}
}
