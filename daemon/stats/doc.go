// Package stats owns the "stats/" namespace of the store: per-minute
// statistics of the plugin calls of every platform and operation, kept for
// a retention (24 hours by default) so that they survive restarts, and
// summed over any window of whole minutes for the API's GET /v1/stats.
//
// # Recording
//
// A Recorder is a platform.Observer. CallFinished adds a call to the
// counts of its platform, operation and current minute in memory: calls
// by outcome (ok, timeout, rate_limited, unavailable, invalid, auth,
// not_found, conflict, unknown), retries, retries refused by the budget,
// items, time waited for rate-limit tokens, latency sum, largest latency
// and a latency histogram. It takes a mutex for a map lookup and a few
// additions and never touches the store: 120 to 165 ns and no allocation
// (up to half of it reading the clock), on a 2-core VM:
//
//	go test -run '^$' -bench CallFinished -benchmem ./daemon/stats
//
// # Histogram
//
// Latency buckets are fixed and log-spaced, 16 per doubling from 1 µs to
// 2^27 µs (134 s), with one bucket below and one above (434 in all; see
// histogram.go). A quantile reads as the geometric middle of the bucket
// that holds it, which is within 2.2% of the exact nearest-rank quantile
// (QuantileError, 2.3%, allows for whole-nanosecond bounds), and never
// above the largest latency, which is kept exactly, as are the mean and
// the counts.
//
// # Storage
//
// One key per platform, operation and minute:
//
//	stats/m/<minute>/<platform>/<operation>   e.g. stats/m/2026-01-02T15:04Z/taobao/fetch_products
//
// The minute comes first, in UTC with a fixed width, so the minutes of a
// window are one range of keys and so are the expired ones; a minute has
// one key per platform and operation that had calls, a few dozen at most.
// The value is a version byte (1) and unsigned varints: the outcome
// counts, retries, refused retries, items, time waited, latency sum and
// largest latency (nanoseconds), then only the histogram buckets that are
// not empty, as (distance from the previous one, count) pairs. A bucket is
// typically 50 to 300 bytes and stays in Badger's LSM tree.
//
// # Flushing
//
// Memory holds only what was reported since the last flush. A flush adds
// it to the stored buckets, reading and rewriting each in a transaction of
// up to 128 buckets, and forgets a bucket's counts only once its
// transaction has committed; a failed flush keeps them for the next. So a
// minute that already has a bucket, written before a restart, keeps
// accumulating into it, and nothing is counted twice.
//
// The background loop flushes every Options.FlushEvery (10 seconds by
// default), at every minute boundary so that a finished minute is written
// as it ends, and Close flushes what is left. A committed flush survives
// the daemon being killed (see package store), so a kill loses at most
// the last 10 seconds of counts: a sixth of a minute, under 0.3% of an
// hour. A flush writes one small value per platform and operation that
// had calls since the last one, whatever the call rate, so flushing more
// often would buy little at the cost of more rewrites for Badger to
// compact; flushing less often would lose more.
//
// # Queries
//
// Query sums the minutes of a window: from the start of the minute Range
// before the current one to now, so Range (1 minute to the retention,
// rounded up to whole minutes) plus the current minute so far. It reads
// the stored buckets and adds the counts not yet flushed, holding off
// flushes meanwhile so that no count is missed or read twice. It answers
// one row per platform and operation, their total, and on request the
// total minute by minute.
//
// # Retention
//
// The background loop deletes the minutes older than the retention when
// it starts and then once a minute, at most 512 keys per transaction.
package stats
