package api_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/marketsync/marketsync/daemon/api"
	"github.com/marketsync/marketsync/daemon/api/apitest"
	"github.com/marketsync/marketsync/daemon/client"
)

// hooks is a WebhookReceiver that takes deliveries signed "good" for
// shopify/my-store and records what reached it.
type hooks struct {
	mu       sync.Mutex
	got      []string
	deadline time.Duration
}

func (h *hooks) ReceiveWebhook(ctx context.Context, plugin, name string, headers map[string]string, body []byte) (*client.WebhookAck, error) {
	h.mu.Lock()
	h.got = append(h.got, plugin+"/"+name+" "+headers["x-signature"]+" "+string(body))
	if dl, ok := ctx.Deadline(); ok {
		h.deadline = time.Until(dl)
	}
	h.mu.Unlock()
	switch {
	case plugin != "shopify" || name != "my-store":
		return nil, api.NotFound(client.CodeNotFound, "no such platform")
	case headers["x-signature"] == "busy":
		return nil, &api.RetryLater{Err: &api.Error{Status: http.StatusTooManyRequests, Code: client.CodeRateLimited, Message: "slow down"}, After: 1500 * time.Millisecond}
	case headers["x-signature"] != "good":
		return nil, &api.Error{Status: http.StatusUnauthorized, Code: client.CodeBadSignature, Message: "X-Signature does not match"}
	}
	return &client.WebhookAck{Status: client.WebhookAccepted, DeliveryID: "d1", Topic: "products/update"}, nil
}

func (h *hooks) reached() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.got...)
}

// TestWebhookRoute: the route takes deliveries without the API's token
// and by any Host, answers the receiver's refusals as JSON errors, caps
// the body, and leaves every other route behind the token.
func TestWebhookRoute(t *testing.T) {
	h := &hooks{}
	srv := apitest.Serve(t, api.Config{Backend: apitest.NewBackend(), Token: "s3cret", Webhooks: h})
	send := func(path, sig string, body []byte) reply {
		return call(t, srv, http.MethodPost, path, bytes.NewReader(body), map[string]string{"X-Signature": sig, "Content-Type": "application/json"})
	}
	var ack client.WebhookAck
	send("/v1/webhooks/shopify/my-store", "good", []byte(`{"id":7}`)).decode(t, http.StatusOK, &ack)
	if ack.Status != client.WebhookAccepted || ack.DeliveryID != "d1" {
		t.Errorf("ack %+v", ack)
	}
	if got := h.reached(); len(got) != 1 || got[0] != `shopify/my-store good {"id":7}` {
		t.Errorf("the receiver got %q", got)
	}
	if h.deadline <= 0 || h.deadline > api.WebhookDeadline {
		t.Errorf("deadline %s, want at most %s", h.deadline, api.WebhookDeadline)
	}
	send("/v1/webhooks/shopify/my-store", "forged", []byte(`{}`)).wantError(t, http.StatusUnauthorized, client.CodeBadSignature)
	send("/v1/webhooks/woocommerce/my-store", "good", []byte(`{}`)).wantError(t, http.StatusNotFound, client.CodeNotFound)
	r := send("/v1/webhooks/shopify/my-store", "busy", []byte(`{}`))
	r.wantError(t, http.StatusTooManyRequests, client.CodeRateLimited)
	if got := r.header.Get("Retry-After"); got != "2" {
		t.Errorf("Retry-After %q, want 2 (1.5 s rounded up)", got)
	}
	n := len(h.reached())
	send("/v1/webhooks/shopify/my-store", "good", bytes.Repeat([]byte("x"), api.WebhookMaxBodyBytes+1)).
		wantError(t, http.StatusRequestEntityTooLarge, client.CodeBodyTooLarge)
	if len(h.reached()) != n {
		t.Error("an oversized body reached the receiver")
	}
	// Other routes still need the token; GET on the webhook path too.
	get(t, srv, "/v1/events/sinks").wantError(t, http.StatusUnauthorized, client.CodeUnauthorized)
	get(t, srv, "/v1/webhooks/shopify/my-store").wantError(t, http.StatusUnauthorized, client.CodeUnauthorized)
	call(t, srv, http.MethodPost, "/v1/collect", strings.NewReader(`{}`), nil).wantError(t, http.StatusUnauthorized, client.CodeUnauthorized)
}

// TestWebhookRouteAnyHost: a tokenless agent answers only loopback Hosts,
// but a platform posts with the agent's public name (behind a proxy).
func TestWebhookRouteAnyHost(t *testing.T) {
	h := &hooks{}
	srv := apitest.Serve(t, api.Config{Backend: apitest.NewBackend(), Webhooks: h})
	host := map[string]string{"Host": "agent.example.com", "X-Signature": "good"}
	call(t, srv, http.MethodPost, "/v1/webhooks/shopify/my-store", strings.NewReader(`{}`), host).decode(t, http.StatusOK, &client.WebhookAck{})
	call(t, srv, http.MethodGet, "/v1/health", nil, host).wantError(t, http.StatusForbidden, client.CodeForbiddenHost)
}

func TestWebhooksNotEnabled(t *testing.T) {
	srv, _ := newServer(t)
	call(t, srv, http.MethodPost, "/v1/webhooks/shopify/my-store", strings.NewReader(`{}`), nil).
		wantError(t, http.StatusNotFound, client.CodeNotFound, "takes no webhooks")
	get(t, srv, "/v1/events/sinks").wantError(t, http.StatusNotFound, client.CodeNotFound, "events are not enabled")
}

type sinks []client.EventSink

func (s sinks) EventSinks(context.Context) ([]client.EventSink, error) { return s, nil }

func TestEventSinksRoute(t *testing.T) {
	at := apitest.Epoch
	srv := apitest.Serve(t, api.Config{Backend: apitest.NewBackend(), Events: sinks{{Name: "erp", URL: "https://erp.example", Configured: true, Pending: 3, Oldest: &at, Failures: 2, LastError: "HTTP 503"}}})
	c, err := client.New(client.Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.EventSinks(t.Context())
	if err != nil || len(got) != 1 || got[0].Pending != 3 || !got[0].Oldest.Equal(at) || got[0].LastError != "HTTP 503" {
		t.Fatalf("EventSinks = %+v, %v", got, err)
	}
}
