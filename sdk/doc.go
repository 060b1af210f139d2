// Package sdk is everything a marketsync plugin author needs: the canonical
// product model and its validation, typed errors, the description a plugin
// gives of itself (limits, capabilities, config schema), the interfaces a
// plugin implements, and Serve, which runs a plugin as a go-plugin gRPC
// server.
//
// A plugin is a stateless translator between this model and one platform's
// API. It never sleeps for rate limits and never retries: it reports what
// happened, with the platform's own error code and any retry-after, and the
// host's platform actor decides what to do next.
//
// The generated protocol lives in sdk/proto/plugin/v1; authors never need to
// touch it. The converters in wire.go are exported for hosts (sdk/host and
// the agent), which speak the protocol types directly.
//
// This package must not import the agent (daemon), actors, plugins or
// config packages; a test enforces it so that a third party can build
// against the SDK alone.
package sdk
