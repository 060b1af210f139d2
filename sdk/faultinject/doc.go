// Package faultinject makes a platform simulator misbehave on purpose, so
// that plugin and host tests see the failures real platforms produce. Wrap
// puts an Injector in front of the simulator's handler; the Injector's
// rules, which tests may change while requests are served, each pair a
// Fault (429 with Retry-After in either form, an error status, a reset
// connection, a slow answer, a truncated or garbage 200 body, an error
// inside a 200 body) with a Match and a Schedule (always, a probability,
// every Nth request, bursts, a range of requests, a time window).
//
// Everything random comes from per-rule sources seeded from Options.Seed,
// and the clock and the wait for slow answers come from Options.Now and
// Options.After, so a test reproduces the same faults without sleeping.
// Stats counts the requests seen and the faults injected, by kind and by
// rule, for assertions such as "no more retries than the budget".
package faultinject
