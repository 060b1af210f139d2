package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/marketsync/marketsync/daemon/client"
)

// WebhookReceiver takes the deliveries platforms push (Config.Webhooks).
// ReceiveWebhook gets the plugin and platform name of the path, header
// names in lower case (a repeated header's values joined with ", ") and
// the body byte for byte, and a context that ends at WebhookDeadline.
// It answers with what became of a genuine delivery; it returns NotFound
// for a platform no block has, of another plugin, or without the
// webhooks capability, a *Error with CodeBadSignature (401) or
// CodeInvalidDelivery (400) for one the plugin refused, and a
// *RetryLater for one to send again.
type WebhookReceiver interface {
	ReceiveWebhook(ctx context.Context, plugin, name string, headers map[string]string, body []byte) (*client.WebhookAck, error)
}

// EventSinks serves GET /v1/events/sinks (Config.Events).
type EventSinks interface {
	EventSinks(ctx context.Context) ([]client.EventSink, error)
}

const (
	// WebhookMaxBodyBytes caps a delivery's body: a Shopify product with
	// its 2,048 variants stays under it.
	WebhookMaxBodyBytes = 2 << 20
	// WebhookDeadline bounds the work done before answering a delivery
	// (verification by the plugin, recording it): Shopify counts a
	// delivery as failed after 5 s
	// (https://shopify.dev/docs/apps/build/webhooks/troubleshooting-webhooks),
	// so the answer leaves before that even on a slow link.
	WebhookDeadline = 4 * time.Second
)

// webhookPattern is the route platforms post to. It needs no token
// (platforms cannot send one): a delivery is only taken once the
// platform's plugin has verified its signature.
const webhookPattern = "POST /v1/webhooks/{plugin}/{name}"

// RetryLater is a webhook error that tells the platform when to send the
// delivery again (the Retry-After header).
type RetryLater struct {
	Err   *Error
	After time.Duration
}

func (e *RetryLater) Error() string { return e.Err.Error() }
func (e *RetryLater) Unwrap() error { return e.Err }

func (s *Server) webhookRoutes() {
	s.mux.HandleFunc(webhookPattern, s.wrap(s.webhook))
	s.mux.HandleFunc("GET /v1/events/sinks", s.wrap(s.eventSinks))
}

// isWebhook says whether r is a delivery to the webhook route, which is
// exempt from tokens and from the loopback Host rule.
func (s *Server) isWebhook(r *http.Request) bool {
	if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, "/v1/webhooks/") {
		return false
	}
	_, pattern := s.mux.Handler(r)
	return pattern == webhookPattern
}

func (s *Server) webhook(w http.ResponseWriter, r *http.Request) (any, error) {
	plugin, name := r.PathValue("plugin"), r.PathValue("name")
	if s.webhooks == nil {
		return nil, NotFound(client.CodeNotFound, "this agent takes no webhooks")
	}
	for _, part := range []string{plugin, name} {
		if len(part) > 255 || strings.ContainsAny(part, "/ \t\r\n") {
			return nil, NotFound(client.CodeNotFound, fmt.Sprintf("no platform %q of plugin %q", name, plugin))
		}
	}
	if r.ContentLength > WebhookMaxBodyBytes {
		return nil, webhookTooLarge()
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, WebhookMaxBodyBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, webhookTooLarge()
	case err != nil:
		return nil, BadRequest(client.CodeInvalidRequest, "reading the body: "+err.Error())
	}
	headers := make(map[string]string, len(r.Header))
	for k, v := range r.Header {
		headers[strings.ToLower(k)] = strings.Join(v, ", ")
	}
	ctx, cancel := context.WithTimeout(r.Context(), WebhookDeadline)
	defer cancel()
	ack, err := s.webhooks.ReceiveWebhook(ctx, plugin, name, headers, body)
	var later *RetryLater
	if errors.As(err, &later) {
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int((later.After+time.Second-1)/time.Second))))
	}
	if err != nil {
		return nil, err
	}
	if ack == nil {
		return nil, errors.New("the webhook receiver returned no answer")
	}
	return ack, nil
}

func webhookTooLarge() *Error {
	return &Error{Status: http.StatusRequestEntityTooLarge, Code: client.CodeBodyTooLarge,
		Message: fmt.Sprintf("the delivery's body is over the limit of %d bytes", WebhookMaxBodyBytes)}
}

func (s *Server) eventSinks(w http.ResponseWriter, r *http.Request) (any, error) {
	if s.events == nil {
		return nil, NotFound(client.CodeNotFound, "events are not enabled on this agent")
	}
	list, err := s.events.EventSinks(r.Context())
	if err != nil {
		return nil, err
	}
	return nonNil(list), nil
}
