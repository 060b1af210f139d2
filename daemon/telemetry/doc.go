// Package telemetry owns the agent's Prometheus metrics. It observes the
// platform actors (every plugin call: outcome, latency, tokens waited,
// retries; plugin restarts) and the job manager (jobs by state), keeps
// them as VictoriaMetrics/metrics series, and writes them in the
// Prometheus text format with HELP and TYPE lines, latency histograms
// with Prometheus `le` buckets so a stock Prometheus computes quantiles.
//
// VictoriaMetrics/metrics writes HELP lines without text; Write fills in
// the text registered with each family here, and a generic one for the
// library's Go runtime and process series, so Prometheus's linter passes
// (Lint: the promlint library behind `promtool check metrics`).
package telemetry
