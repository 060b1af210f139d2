package store

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/marketsync/marketsync/sdk"
)

// Headers of a WooCommerce delivery, lower-case as the agent hands them
// over (WC_Webhook::deliver).
const (
	headerSignature  = "x-wc-webhook-signature"
	headerDeliveryID = "x-wc-webhook-delivery-id"
	headerTopic      = "x-wc-webhook-topic"
	headerResource   = "x-wc-webhook-resource"
	headerEvent      = "x-wc-webhook-event"
)

// VerifyWebhooks implements sdk.WebhookVerifier. A delivery is genuine
// when X-WC-Webhook-Signature is the base64 HMAC-SHA256 of the body, byte
// for byte, keyed with the webhook's secret (WC_Webhook::
// generate_signature), compared in constant time. Its event is the
// topic (X-WC-Webhook-Topic, or Resource.Event), the delivery id, the
// product's id from the body and its date_modified_gmt.
func (p *Plugin) VerifyWebhooks(_ context.Context, req *sdk.VerifyWebhooksRequest) (*sdk.VerifyWebhooksResponse, error) {
	s, err := p.cfg.Get()
	if err != nil {
		return nil, err
	}
	resp := &sdk.VerifyWebhooksResponse{Results: make([]sdk.WebhookResult, len(req.Webhooks))}
	for i, w := range req.Webhooks {
		ev, e := s.verify(w)
		resp.Results[i].Event, resp.Results[i].Err = ev, e
		// The product changed in the store: what the plugin knew of its
		// variations may be out of date.
		for _, id := range eventIDs(ev) {
			s.shapes.forget(id)
		}
	}
	return resp, nil
}

func eventIDs(ev *sdk.WebhookEvent) []int64 {
	if ev == nil {
		return nil
	}
	var out []int64
	for _, r := range ev.RemoteIDs {
		if id, err := strconv.ParseInt(r, 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out
}

func (s *settings) verify(w sdk.Webhook) (*sdk.WebhookEvent, *sdk.Error) {
	if s.webhookSecret == "" {
		// Without a secret this platform takes no webhooks: NOT_FOUND,
		// which the agent answers as for a platform that never takes
		// them (404), rather than as a forgery. A capability is declared
		// by the operations a plugin implements, before it is configured
		// (sdk.Description), so it cannot depend on the secret.
		return nil, sdk.NotFound("webhooks_not_configured", "this platform takes no webhooks: no webhook_secret is configured")
	}
	given := strings.TrimSpace(w.Headers[headerSignature])
	if given == "" {
		return nil, sdk.Auth("missing_signature", "the delivery has no X-WC-Webhook-Signature header")
	}
	mac := hmac.New(sha256.New, []byte(s.webhookSecret))
	mac.Write(w.Body)
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(given), []byte(want)) {
		return nil, sdk.Auth("bad_signature", "X-WC-Webhook-Signature does not match the body under the configured webhook_secret")
	}
	ev := &sdk.WebhookEvent{DeliveryID: w.Headers[headerDeliveryID], Topic: w.Headers[headerTopic]}
	if ev.Topic == "" && w.Headers[headerResource] != "" {
		ev.Topic = w.Headers[headerResource] + "." + w.Headers[headerEvent]
	}
	if ev.DeliveryID == "" || ev.Topic == "" {
		return nil, sdk.Invalid("malformed_delivery", "the delivery has no X-WC-Webhook-Delivery-ID or X-WC-Webhook-Topic header")
	}
	var body struct {
		ID       json.Number `json:"id"`
		Modified string      `json:"date_modified_gmt"`
	}
	if err := json.Unmarshal(w.Body, &body); err != nil {
		return nil, sdk.Invalid("malformed_delivery", "the delivery's body is not a JSON object: "+err.Error())
	}
	if id, err := strconv.ParseInt(string(body.ID), 10, 64); err == nil && id > 0 {
		ev.RemoteIDs = []string{string(body.ID)}
	}
	if t, err := time.Parse("2006-01-02T15:04:05", body.Modified); err == nil {
		ev.OccurredAt = t.UTC()
	}
	return ev, nil
}
