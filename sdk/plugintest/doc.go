// Package plugintest is a conformance kit for marketsync plugins. A plugin
// author calls it from their own tests to run their plugin through the
// rules every plugin must follow: a complete Describe, a config schema the
// host can enforce, per-item results and errors, declared batch caps,
// typed errors for quota, credentials and platform trouble, valid
// canonical products, resumable cursors and idempotent writes.
//
// A Target describes the plugin under test and what the kit cannot guess,
// which is what differs from one platform to the next: a valid config and
// configs to refuse, ids that exist and ids that do not, a config with bad
// credentials and the platform's code for them, how to make the platform
// refuse calls for quota (and the code and retry-after it then sends), how
// to put faults on its simulator, the simulator's own account of its
// products and listing, and fixtures to publish. Each rule is a Check; Run
// runs a list of them as subtests, in the manner of Benthos's integration
// suites:
//
//	func TestConformance(t *testing.T) {
//		plugintest.Run(t, plugintest.Target{
//			Binary:     binary, // and/or New: func() sdk.Plugin { return myplugin.New() }
//			Config:     `{"url": "` + srv.URL + `"}`,
//			KnownIDs:   []string{"1001", "1002"},
//			UnknownIDs: []string{"999999"},
//			Faults:     &plugintest.Faults{Inject: plugintest.Injector(sim.Injector())},
//		}, plugintest.DefaultChecks()...)
//	}
//
// Every check talks to the plugin the way the agent does, through
// sdk/host: either the built binary (the real process, handshake and
// mutual TLS) or the plugin served in-process with sdk.ServeTest; a
// target with both runs every check against each. Each check starts its
// own plugin, so one check's state (a cached response, a rate-limited
// simulator) never leaks into the next. Every Target field beyond the
// plugin itself is optional: a check that needs a field the Target does
// not set is skipped with a message saying which field to set, never
// passed silently. A plugin's own tests keep only what is its own (its
// mapping, its scopes, its config knobs), with Launch to start the plugin
// as the checks do.
//
// This package imports nothing of the agent or of first-party plugins, so
// a third party can use it with the SDK alone.
package plugintest
