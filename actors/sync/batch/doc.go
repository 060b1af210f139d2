// Package batch is the sync engine's batch optimiser: it sends a list of
// items to one plugin operation in batches no larger than the plugin
// declares (or a smaller configured size), retries only the items that
// failed, halves a batch the platform refuses as too large and remembers
// that size per platform and operation. Window gathers items that arrive
// over time into one batch, flushed when full or after a maximum wait.
package batch
