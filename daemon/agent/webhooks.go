package agent

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/marketsync/marketsync/actors/platform"
	"github.com/marketsync/marketsync/daemon/api"
	"github.com/marketsync/marketsync/daemon/client"
	"github.com/marketsync/marketsync/daemon/webhook"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/model"
)

// webhookRetryAfter is what a platform is told to wait when a delivery
// could not be verified or recorded now.
const webhookRetryAfter = 5 * time.Second

// setupWebhooks starts the receiver of platforms' deliveries and the
// worker that hands their events on. Until SetResyncer gives it the sync
// engine, events are recorded, logged and counted as unhandled.
func (a *Agent) setupWebhooks(context.Context) error {
	a.webhooks = webhook.New(webhook.Options{DB: a.db, Verify: a.verifyWebhook, Handoff: a.handOffWebhook, Observer: a.metrics, Logger: a.log})
	a.registerWebhooks()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = a.webhooks.Run(ctx)
	}()
	a.stopWebhooks = func() {
		cancel()
		<-done
	}
	return nil
}

// registerWebhooks creates the webhook series of every platform that
// takes webhooks, before its first delivery: at start, and after a
// reload for the platforms it added (a reload drops a removed platform's
// series, Metrics.ForgetPlatform).
func (a *Agent) registerWebhooks() {
	for _, e := range a.current() {
		if e.desc.Has(sdk.CapabilityWebhooks) {
			a.metrics.RegisterWebhooks(e.cfg.Name)
		}
	}
}

// SetResyncer hands the events of verified webhooks to rs, the sync
// engine, from now on.
func (a *Agent) SetResyncer(rs webhook.Resyncer) { a.webhooks.SetResyncer(rs) }

// ReceiveWebhook implements api.WebhookReceiver: the platform named name
// must be configured with plugin and verify webhooks.
func (a *Agent) ReceiveWebhook(ctx context.Context, plugin, name string, headers map[string]string, body []byte) (*client.WebhookAck, error) {
	e, ok := a.current()[name]
	if !ok || e.cfg.Plugin != plugin || !e.desc.Has(sdk.CapabilityWebhooks) {
		return nil, noWebhooks(plugin, name)
	}
	out, ev, err := a.webhooks.Receive(ctx, name, webhook.Delivery{Headers: headers, Body: body})
	if err != nil {
		return nil, webhookError(plugin, name, err)
	}
	return &client.WebhookAck{Status: string(out), DeliveryID: ev.DeliveryID, Topic: ev.Topic}, nil
}

// webhookError is the answer to a delivery Receive did not take. The
// route is open to anyone, so a failure to verify or record says no more
// than that: its cause (store, plugin, paths) is in the log line Receive
// wrote at ERROR.
func webhookError(plugin, name string, err error) error {
	var limited *webhook.RateLimited
	var refused *webhook.Refused
	var notTaken *webhook.NotTaken
	switch {
	case errors.As(err, &notTaken):
		return noWebhooks(plugin, name)
	case errors.As(err, &limited):
		return &api.RetryLater{After: limited.RetryAfter, Err: &api.Error{Status: http.StatusTooManyRequests, Code: client.CodeRateLimited,
			Message: fmt.Sprintf("platform %s sends webhooks faster than this agent takes them; send again in %s", name, limited.RetryAfter.Round(time.Millisecond))}}
	case errors.As(err, &refused) && refused.Auth:
		return &api.Error{Status: http.StatusUnauthorized, Code: client.CodeBadSignature, Message: refused.Message}
	case errors.As(err, &refused):
		return api.BadRequest(client.CodeInvalidDelivery, refused.Message)
	}
	return &api.RetryLater{After: webhookRetryAfter, Err: api.Unavailable(client.CodeUnavailable,
		"the delivery could not be verified and recorded now; send it again")}
}

// noWebhooks is the answer for a platform that takes no webhooks: not
// configured, of another plugin, whose plugin verifies none, or that as
// configured has nothing to verify them with. The route is open to
// anyone, so it does not tell which.
func noWebhooks(plugin, name string) error {
	return api.NotFound(client.CodeNotFound, fmt.Sprintf("no platform %q of plugin %q takes webhooks on this agent", name, plugin))
}

// verifyWebhook has the platform's plugin verify a delivery, through its
// actor, ahead of bulk calls. A per-delivery AUTH or INVALID error is a
// refusal; anything else means it could not be checked now.
func (a *Agent) verifyWebhook(ctx context.Context, name string, d webhook.Delivery) (webhook.Event, error) {
	e, ok := a.current()[name]
	if !ok {
		return webhook.Event{}, fmt.Errorf("platform %s is no longer configured", name)
	}
	call := platform.NewCall(&model.VerifyWebhooksRequest{Webhooks: []*model.Webhook{{Headers: d.Headers, Body: d.Body}}})
	call.Priority = platform.Priority_PRIORITY_INTERACTIVE
	res, err := platform.Request(ctx, a.system.Root, e.pid, call)
	if err != nil {
		return webhook.Event{}, err
	}
	if ce := res.Err(); ce != nil {
		return webhook.Event{}, ce
	}
	results := res.GetVerifyWebhooks().GetResults()
	if len(results) != 1 {
		return webhook.Event{}, fmt.Errorf("plugin answered %d results for one delivery", len(results))
	}
	if we := results[0].GetError(); we != nil {
		switch we.GetKind() {
		case model.KindAuth:
			return webhook.Event{}, &webhook.Refused{Auth: true, Code: we.GetCode(), Message: we.GetMessage()}
		case model.KindInvalid:
			return webhook.Event{}, &webhook.Refused{Code: we.GetCode(), Message: we.GetMessage()}
		case model.KindNotFound:
			// The plugin, as configured, takes no webhooks (a store
			// without its webhook secret).
			return webhook.Event{}, &webhook.NotTaken{Code: we.GetCode(), Message: we.GetMessage()}
		}
		return webhook.Event{}, we
	}
	ev := results[0].GetEvent()
	out := webhook.Event{DeliveryID: ev.GetDeliveryId(), Topic: ev.GetTopic(), RemoteIDs: ev.GetRemoteIds()}
	if ev.GetOccurredAt() != nil {
		out.OccurredAt = ev.GetOccurredAt().AsTime()
	}
	return out, nil
}
