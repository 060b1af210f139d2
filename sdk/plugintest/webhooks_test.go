package plugintest

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/marketsync/marketsync/sdk"
)

// hooked is a publisher that verifies webhooks the way many stores sign
// them: base64 HMAC-SHA256 of the raw body in a header. skipCheck makes it
// accept anything, as a plugin that forgot to verify would.
type hooked struct {
	*shop
	skipCheck bool
}

const hookSecret = "s3cret"

func sign(body []byte) string {
	m := hmac.New(sha256.New, []byte(hookSecret))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func (h *hooked) VerifyWebhooks(_ context.Context, req *sdk.VerifyWebhooksRequest) (*sdk.VerifyWebhooksResponse, error) {
	out := &sdk.VerifyWebhooksResponse{}
	for _, w := range req.Webhooks {
		got, _ := base64.StdEncoding.DecodeString(w.Headers["x-signature"])
		want, _ := base64.StdEncoding.DecodeString(sign(w.Body))
		if !h.skipCheck && (len(got) == 0 || !hmac.Equal(got, want)) {
			out.Results = append(out.Results, sdk.WebhookResult{Err: sdk.Auth("bad_signature", "signature does not match the body")})
			continue
		}
		out.Results = append(out.Results, sdk.WebhookResult{Event: &sdk.WebhookEvent{DeliveryID: w.Headers["x-delivery"], Topic: w.Headers["x-topic"]}})
	}
	return out, nil
}

func TestWebhookCheck(t *testing.T) {
	body := []byte(`{"id":"p1","title":"backpack"}`)
	w := Webhooks{
		Genuine: sdk.Webhook{Headers: map[string]string{"x-signature": sign(body), "x-delivery": "d-1", "x-topic": "products/update"}, Body: body},
		Want:    sdk.WebhookEvent{DeliveryID: "d-1", Topic: "products/update"},
	}
	if r := record(t, CheckWebhooks(w), Target{Config: `{"token": "good"}`, New: func() sdk.Plugin { return &hooked{shop: newShop(faults{}, new(atomic.Bool), nil)} }}); r.Failed() || r.Skipped() {
		t.Errorf("a verifier that checks signatures did not pass:\n%s", r.output())
	}
	r := record(t, CheckWebhooks(w), Target{Config: `{"token": "good"}`, New: func() sdk.Plugin { return &hooked{shop: newShop(faults{}, new(atomic.Bool), nil), skipCheck: true} }})
	if !r.Failed() || !strings.Contains(r.output(), "must fail alone as AUTH") {
		t.Errorf("a verifier that accepts anything was not faulted: %q", r.output())
	}
}

// TestWebhookCheckSkipsOtherPlugins: a plugin without the capability is
// skipped, saying why.
func TestWebhookCheckSkipsOtherPlugins(t *testing.T) {
	r := record(t, CheckWebhooks(Webhooks{}), Target{Config: `{"token": "good"}`, New: func() sdk.Plugin { return newShop(faults{}, new(atomic.Bool), nil) }})
	if !r.Skipped() || !strings.Contains(r.output(), "does not verify webhooks") {
		t.Errorf("skipped %v: %q", r.Skipped(), r.output())
	}
}
