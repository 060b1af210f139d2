// Package events emits the agent's events (a product collected or synced,
// a conflict detected or resolved, a job finished) to the configured
// webhook sinks. An Emitter enqueues each event in the durable outbox
// (daemon/outbox) for every sink subscribed to its type, inside the
// caller's transaction, so an event is stored if and only if the change
// it reports is; it runs the outbox's Deliverer, restarts it with new
// sinks on a reload, and reports each sink's backlog.
package events
