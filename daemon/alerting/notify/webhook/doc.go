// Package webhook posts alert notifications as JSON in Alertmanager's
// webhook format (version 4, https://prometheus.io/docs/alerting/latest/configuration/#webhook_config),
// so receivers written for Alertmanager work unchanged, signed like the
// agent's other webhooks (package daemon/outbox): the X-Marketsync-Signature
// header holds t=<unix seconds>,v1=<hex HMAC-SHA256 of t + "." + body>.
package webhook
