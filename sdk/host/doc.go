// Package host is the host side of the plugin protocol: it launches a
// plugin binary through go-plugin (gRPC only, versioned handshake, AutoMTLS,
// optional SHA-256 pin), asks it to Describe itself, configures it, calls
// it, health-checks it and kills it.
//
// It is the only host-side code that speaks the wire protocol: one
// Invoke for every operation, driven by the operation table in sdk/model,
// with requests and responses as sdk/model messages. A protocol version 2
// would be a second transport here, converting to the same model.
//
// It does not trust what it gets back. Every product a plugin returns is
// validated against the canonical model, results are realigned with the
// request (one per item, in order) and a missing or malformed result turns
// into a per-item error, so one confused plugin answer never corrupts a
// catalogue or fails a whole batch. Whole-call failures come back as
// *model.Error with their kind, the platform's code and any retry-after.
//
// It does not trust the plugin with more than it needs either. A plugin
// process gets a small allow-listed environment, not the agent's
// (pluginEnv); its binary is refused when other accounts may replace it,
// and is hashed and executed through one descriptor (binary); it runs in
// a process group of its own, killed whole with it (processRunner). The
// values of the sensitive settings it was configured with are replaced by
// [redacted] in every error and log line it sends back (redactor), and
// its log lines pass a flood gate that reports drops once per interval.
//
// The agent's platform actor wraps a Plugin with rate limiting, retries and
// restarts; this package does none of that.
package host
