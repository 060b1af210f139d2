// Package sdk is everything a marketsync plugin author needs: the canonical
// product model and its validation, typed errors, the description a plugin
// gives of itself (limits, capabilities, config schema), the interfaces a
// plugin implements, opaque listing cursors (EncodeCursor), and Serve,
// which runs a plugin as a go-plugin gRPC server.
//
// A plugin is a stateless translator between this model and one platform's
// API. It never sleeps for rate limits and never retries: it reports what
// happened, with the platform's own error code and any retry-after, and the
// host's platform actor decides what to do next.
//
// The data model the host stores and passes around is sdk/model (versioned
// protobuf); the wire protocol is sdk/proto/plugin/v1, spoken only by
// sdk/host and by the server behind Serve (sdk/internal/rpc). Authors use
// neither: the types here are converted at Serve's edge.
//
// This package must not import the agent (daemon), actors, plugins or
// config packages; a test enforces it so that a third party can build
// against the SDK alone.
package sdk
