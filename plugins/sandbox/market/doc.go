// Package market is the sandbox platform: a deterministic catalogue of
// products generated from a seed (localized zh-CN and en titles, variants
// with options, images, prices in CNY fen) that can be collected, and an
// in-memory store that can be published to.
//
// Its config knobs make it misbehave on purpose, the way real platforms do:
// latency, a share of calls failing as unavailable, a rate limit answered
// with rate-limited errors carrying retry-after, a share of items off-shelf,
// and a crash of the whole process after N calls. Everything is a pure
// function of the seed and the order of calls, so tests are reproducible.
package market
