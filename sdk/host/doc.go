// Package host is the host side of the plugin protocol: it launches a
// plugin binary through go-plugin (gRPC only, versioned handshake, AutoMTLS,
// optional SHA-256 pin), asks it to Describe itself, configures it, calls
// it, health-checks it and kills it.
//
// It does not trust what it gets back. Every product a plugin returns is
// validated against the canonical model, results are realigned with the
// request (one per item, in order) and a missing or malformed result turns
// into a per-item error, so one confused plugin answer never corrupts a
// catalogue or fails a whole batch. Whole-call failures come back as
// *sdk.Error with their kind, the platform's code and any retry-after.
//
// The agent's platform actor wraps a Plugin with rate limiting, retries and
// restarts; this package does none of that.
package host
