// Package webhook receives the deliveries platforms push to the agent
// (Shopify's and WooCommerce's product webhooks). A Receiver has each one
// verified by the platform's plugin, drops a delivery it has already
// taken (by delivery id and body, remembered for DedupeTTL), and records
// the verified event in the store's "webhook/" namespace in the same
// transaction as that mark, before it answers; a worker then hands the
// events, grouped by platform, to a Resyncer, retrying with backoff, so
// the platform's short answer deadline never waits on the work. A
// Handoff can pass a verified delivery on instead (a cluster node, to the
// node that owns the platform account).
package webhook
