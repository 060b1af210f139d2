package telemetry

import (
	"time"

	"github.com/marketsync/marketsync/daemon/webhook"
)

// Event sink and webhook metric families.
const (
	familyEventDeliveries = "marketsync_event_deliveries_total"
	familyEventPending    = "marketsync_event_sink_pending"
	familyEventOldest     = "marketsync_event_sink_oldest_age_seconds"
	familyEventFailures   = "marketsync_event_sink_failures"
	familyWebhooks        = "marketsync_webhooks_received_total"
	familyWebhookEvents   = "marketsync_webhook_events_total"
)

func init() {
	help[familyEventDeliveries] = "Attempts to deliver an event to a sink, by outcome: delivered (2xx) or failed (the event is kept and retried)."
	help[familyEventPending] = "Events waiting in the outbox for a sink."
	help[familyEventOldest] = "Age of the oldest event waiting for a sink; 0 when none waits."
	help[familyEventFailures] = "Consecutive failed deliveries to a sink; 0 once one succeeds."
	help[familyWebhooks] = "Webhook deliveries from platforms by outcome: accepted, duplicate (taken before, nothing done), refused (not genuine or unreadable), rate_limited, error (not verified or not recorded; the platform retries)."
	help[familyWebhookEvents] = "Verified webhook events by what became of them: resynced (handed to the sync engine), unhandled (no sync pipeline runs), no_products (the event names no product), failed (the sync engine refused them; kept and retried)."
}

var _ webhook.Observer = (*Metrics)(nil)

// SinkStat is what the gauges of a sink read at each scrape.
type SinkStat func() (pending int, oldest time.Time, failures int)

// RegisterEventSink creates a sink's series before its first event; stat
// is read at each scrape.
func (m *Metrics) RegisterEventSink(name string, stat SinkStat) {
	for _, outcome := range []string{"delivered", "failed"} {
		m.set.GetOrCreateCounter(series(familyEventDeliveries, "sink", name, "outcome", outcome))
	}
	m.set.GetOrCreateGauge(series(familyEventPending, "sink", name), func() float64 {
		n, _, _ := stat()
		return float64(n)
	})
	m.set.GetOrCreateGauge(series(familyEventOldest, "sink", name), func() float64 {
		_, oldest, _ := stat()
		if oldest.IsZero() {
			return 0
		}
		return max(time.Since(oldest).Seconds(), 0)
	})
	m.set.GetOrCreateGauge(series(familyEventFailures, "sink", name), func() float64 {
		_, _, f := stat()
		return float64(f)
	})
}

// EventAttempt counts one delivery attempt to sink.
func (m *Metrics) EventAttempt(sink string, failed bool) {
	outcome := "delivered"
	if failed {
		outcome = "failed"
	}
	m.set.GetOrCreateCounter(series(familyEventDeliveries, "sink", sink, "outcome", outcome)).Inc()
}

// RegisterWebhooks creates a platform's webhook series before its first
// delivery.
func (m *Metrics) RegisterWebhooks(platform string) {
	for _, o := range []string{"accepted", "duplicate", "refused", "rate_limited", "error", "handed_off"} {
		m.set.GetOrCreateCounter(series(familyWebhooks, "platform", platform, "outcome", o))
	}
	for _, o := range []string{"resynced", "unhandled", "no_products", "failed"} {
		m.set.GetOrCreateCounter(series(familyWebhookEvents, "platform", platform, "outcome", o))
	}
}

// WebhookReceived implements webhook.Observer.
func (m *Metrics) WebhookReceived(platform, outcome string) {
	m.set.GetOrCreateCounter(series(familyWebhooks, "platform", platform, "outcome", outcome)).Inc()
}

// WebhookHandled implements webhook.Observer.
func (m *Metrics) WebhookHandled(platform, outcome string, events int) {
	m.set.GetOrCreateCounter(series(familyWebhookEvents, "platform", platform, "outcome", outcome)).Add(events)
}
