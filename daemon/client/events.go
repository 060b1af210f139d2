package client

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"time"
)

// Error codes of POST /v1/webhooks/{plugin}/{name}.
const (
	// CodeBadSignature: the plugin found the delivery not genuine (a bad
	// or missing signature); nothing was recorded.
	CodeBadSignature = "bad_signature"
	// CodeInvalidDelivery: the delivery is signed but cannot be read.
	CodeInvalidDelivery = "invalid_delivery"
	// CodeRateLimited: over the platform's webhook rate; Retry-After says
	// when to send it again.
	CodeRateLimited = "rate_limited"
)

// What a webhook delivery became.
const (
	WebhookAccepted  = "accepted"  // recorded; its products are re-synced
	WebhookDuplicate = "duplicate" // taken before; nothing was done again
)

// WebhookAck is the answer to a genuine delivery.
type WebhookAck struct {
	Status     string `json:"status"`
	DeliveryID string `json:"delivery_id"`
	Topic      string `json:"topic,omitempty"`
}

// EventSink is the state of an event_sink: its backlog in the outbox and
// its health (GET /v1/events/sinks).
type EventSink struct {
	Name string `json:"name"`
	URL  string `json:"url,omitempty"`
	// Events are the types the sink receives; empty means all of them.
	Events []string `json:"events,omitempty"`
	// Configured is false for the queue of a sink that was removed from
	// the configuration: its events wait until it comes back.
	Configured bool `json:"configured"`
	Pending    int  `json:"pending"`
	// Oldest is when the oldest waiting event was made.
	Oldest *time.Time `json:"oldest,omitempty"`
	// Failures counts consecutive failed deliveries; NextAttempt is when
	// a failing sink is tried again; LastError is its last failure.
	Failures    int        `json:"failures"`
	NextAttempt *time.Time `json:"next_attempt,omitempty"`
	LastError   string     `json:"last_error,omitempty"`
}

// EventSinks returns the state of every event sink, configured ones
// first, each in name order.
func (c *Client) EventSinks(ctx context.Context) ([]EventSink, error) {
	var out []EventSink
	if err := c.do(ctx, http.MethodGet, "/v1/events/sinks", nil, nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// DeliverWebhook posts a platform's delivery to
// POST /v1/webhooks/{plugin}/{name}: the body byte for byte, with the
// headers the platform sent (their signature covers the body). A cluster
// node hands a delivery to the node that owns the platform account this
// way.
func (c *Client) DeliverWebhook(ctx context.Context, plugin, name string, header http.Header, body []byte) (*WebhookAck, error) {
	var out WebhookAck
	if _, err := c.sendBody(ctx, http.MethodPost, "/v1/webhooks/"+url.PathEscape(plugin)+"/"+url.PathEscape(name), nil, header, bytes.NewReader(body), &out); err != nil {
		return nil, err
	}
	return &out, nil
}
