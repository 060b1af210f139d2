// Package plugintest is a conformance kit for marketsync plugins. A plugin
// author calls it from their own tests to run their plugin through the
// rules every plugin must follow: a complete Describe, a config schema the
// host can enforce, per-item results and errors, declared batch caps,
// typed errors for quota and credentials, valid canonical products,
// resumable cursors and idempotent writes.
//
// A Target describes the plugin under test and what the kit cannot guess:
// a valid config, ids that exist and ids that do not, a config with bad
// credentials, a way to make the platform refuse calls for quota, and
// fixtures to publish. Each rule is a Check; Run runs a list of them as
// subtests:
//
//	func TestConformance(t *testing.T) {
//		plugintest.Run(t, plugintest.Target{
//			Binary:     binary, // or New: func() sdk.Plugin { return myplugin.New() }
//			Config:     `{"url": "` + srv.URL + `"}`,
//			KnownIDs:   []string{"1001", "1002"},
//			UnknownIDs: []string{"999999"},
//		}, plugintest.DefaultChecks()...)
//	}
//
// Every check talks to the plugin the way the agent does, through
// sdk/host: either the built binary (the real process, handshake and
// mutual TLS) or the plugin served in-process with sdk.ServeTest. Each
// check starts its own plugin, so one check's state (a cached response, a
// rate-limited simulator) never leaks into the next. Checks that need a
// fixture the Target does not give are skipped with a message saying
// which field to set.
//
// This package imports nothing of the agent or of first-party plugins, so
// a third party can use it with the SDK alone.
package plugintest
