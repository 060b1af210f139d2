// Package memo keeps the answers of a plugin's lookups that many items
// share, such as a category's attribute names: bounded, expiring on the
// plugin's clock, and with concurrent misses for one key waiting for a
// single platform call. A plugin cannot reach the agent's cache, which
// lives in the agent process behind the plugin protocol.
package memo
