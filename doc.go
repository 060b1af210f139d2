// Package marketsync is the root of the agent's module. It holds no code:
// its one test, boundary_test.go, checks every import of the tree against
// the layout's import table (which folder may import what).
package marketsync
