// Package prometheus holds alerts.yml, Prometheus alerting rules
// equivalent to the agent's built-in alert rules, and the test that loads
// them with Prometheus's own rule parser. It is a module of its own so that
// Prometheus's dependencies stay out of the agent's.
package prometheus
