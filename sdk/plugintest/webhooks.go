package plugintest

import (
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/host"
	"github.com/marketsync/marketsync/sdk/model"
)

// Webhooks holds the fixtures of the webhook check: deliveries as the
// platform would push them to the agent.
type Webhooks struct {
	// Genuine is a delivery signed as the platform signs it, with the
	// secret of Target.Config.
	Genuine sdk.Webhook
	// Want is the event Genuine carries (DeliveryID and Topic at least).
	Want sdk.WebhookEvent
}

// CheckWebhooks checks a plugin that verifies pushed deliveries
// (sdk.WebhookVerifier): a genuine delivery gives its event; the same
// delivery with one byte of its body changed, without its headers, or
// with its signature header blanked fails alone as AUTH next to genuine
// ones; an empty request is answered with no results. Plugins without
// the webhooks capability skip it.
func CheckWebhooks(w Webhooks) Check {
	return Check{Name: "webhooks", run: func(h *harness) {
		p := h.configured(h.target.config())
		if !p.Description().Has(sdk.CapabilityWebhooks) {
			h.t.Skip("the plugin does not verify webhooks")
		}
		h.need(w.Genuine.Body != nil, "webhooks fixture's Genuine delivery")
		tampered := toModel(w.Genuine)
		tampered.Body = append([]byte(nil), tampered.Body...)
		tampered.Body[len(tampered.Body)/2] ^= 0x01
		unsigned := &model.Webhook{Body: w.Genuine.Body}
		deliveries := []*model.Webhook{toModel(w.Genuine), tampered, toModel(w.Genuine), unsigned}
		resp, err := host.Call[*model.VerifyWebhooksResponse](h.ctx, p, &model.VerifyWebhooksRequest{Webhooks: deliveries})
		if err != nil {
			h.t.Fatalf("verifying 4 deliveries failed as a whole: %s; a bad signature must fail its delivery alone", describeErr(err))
		}
		for _, i := range []int{0, 2} {
			r := resp.GetResults()[i]
			if r.GetError() != nil {
				h.t.Fatalf("the genuine delivery was refused: %s", host.ErrorFromModel(r.GetError()))
			}
			if e := r.GetEvent(); e.GetDeliveryId() != w.Want.DeliveryID || e.GetTopic() != w.Want.Topic {
				h.t.Errorf("the genuine delivery gave delivery %q topic %q, want %q %q", e.GetDeliveryId(), e.GetTopic(), w.Want.DeliveryID, w.Want.Topic)
			}
		}
		for i, what := range map[int]string{1: "a delivery whose body was changed", 3: "a delivery without its signature"} {
			r := resp.GetResults()[i]
			if r.GetError().GetKind() != model.KindAuth || r.GetEvent() != nil {
				h.t.Errorf("%s must fail alone as AUTH; it gave event %v, error %v", what, r.GetEvent(), host.ErrorFromModel(r.GetError()))
			}
		}
	}}
}

func toModel(w sdk.Webhook) *model.Webhook {
	return &model.Webhook{Headers: w.Headers, Body: w.Body}
}
