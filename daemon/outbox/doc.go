// Package outbox owns the "outbox/" namespace of the store: a durable queue
// of events (a product collected or synced, a conflict detected or
// resolved, a job finished) for each webhook sink, written in the same
// transaction as the change they report. A Deliverer posts them to each
// sink in order as JSON signed with HMAC-SHA256 (see Sign), retries a
// failing sink with exponential backoff whose next attempt is stored, so
// a restart resumes where it stopped, and never drops an event: a sink
// that keeps failing keeps its events and is logged and reported.
package outbox
