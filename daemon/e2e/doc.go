// Package e2e holds the end-to-end tests and benchmarks of the agent
// against the four marketplace simulators (Taobao, 1688, Pinduoduo and
// AliExpress): an in-process agent runs the real plugin binaries, each
// pointed at its simulator served on a loopback port, collects through the
// HTTP API, and every product it stores is compared with what the
// simulator's own catalogue says it must be. Nothing here is built into
// the agent; the package is its tests.
package e2e
