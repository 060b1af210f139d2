// Package alerting evaluates the agent's alert rules over its own
// statistics and state, and turns what fires into notifications the way
// Alertmanager does: grouped by labels, delayed by group_wait, repeated by
// repeat_interval, muted by silences and inhibitions, and sent to the
// receivers in notify/<kind>. It owns the "alert/" namespace of the store:
// the alerts' state, the notification log and the silences survive a
// restart, so a restart neither forgets an incident nor pages twice.
package alerting
