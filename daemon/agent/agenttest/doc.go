// Package agenttest starts real agents for tests, as Nomad's
// command/agent/testagent.go does: a built plugin binary, a config with a
// random API port and a temporary data directory (or memory), and a
// client pointed at it — one line per integration test.
package agenttest
