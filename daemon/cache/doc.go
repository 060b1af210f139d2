// Package cache owns the "cache/" namespace of the store and the
// two-level cache of platform reads in front of the platform actors:
// product details, prices, stock and store-side products, each a Type with
// its own TTL and statistics. Callers bind a Type to a Go type with Proto
// (sdk/model messages), Bytes or NewTyped, and read through Typed.Get with
// a loader, the platform call, that runs only on a miss.
//
// # Levels
//
// L1 is in memory, bounded by a cost in bytes (the size of each encoded
// value plus a small overhead). It is ristretto v2, chosen over otter
// because Badger already brings it (no new dependency, one cache library
// in the binary), and it has what L1 needs: admission by cost with TinyLFU
// (a key read once does not push out keys read often), a TTL per entry,
// and an eviction callback, which counts evictions per type. Ristretto
// applies writes asynchronously and may refuse one; a refused entry is
// simply read from L2 next time.
//
// L2 is Badger: "cache/<type>/<key>" holds a format byte, the expiry in
// Unix nanoseconds and the encoded value (protobuf wire format for
// messages). Entries carry Badger's own TTL too, so Badger hides and,
// at compaction, drops them; the stored expiry is what reads check,
// against Options.Now, so tests can move time. L2 survives a restart; it
// is never durable work and can always be rebuilt from the platforms.
// Nobody else builds keys under "cache/".
//
// A read tries L1, then L2 (and copies a hit into L1), then the loader,
// whose value goes to both. Concurrent misses of one key share one
// loader call (golang.org/x/sync/singleflight), made with the context of
// the caller that came first.
//
// # Errors
//
// A failed load is returned to every caller sharing it and is not cached:
// the platform actor has already retried, and a cached failure would hide
// a platform that recovered. Options.NegativeTTL turns on a short negative
// cache, in L1 only, for callers that would otherwise hammer a platform
// with reads of a product that is gone; a cancelled or timed-out context
// is never cached. L2 failures degrade to misses and are logged.
//
// # Invalidation
//
// Invalidate(type, key) and Typed.Set (a write-through after a platform
// write or a webhook) are exact in both levels. InvalidatePrefix and Purge
// delete the matching L2 keys and, since L1 cannot list keys, retire all
// of the type's L1 entries at once (a generation number) so reads fall
// through to L2. A load that began before an invalidation or a Set does
// not store its now possibly stale value.
//
// # Statistics and upkeep
//
// Each type counts L1 and L2 hits, misses (and the misses that shared
// another caller's load), loader calls and failures, L1 evictions for
// room, invalidations, and derives the hit rate and the calls saved (hits
// plus shared misses: requests that made no platform call). Stats returns
// them since the last ResetStats; an Observer (daemon/telemetry) turns the
// same events into Prometheus counters, which are never reset.
// StartSchedule runs Cleanup (delete expired L2 entries with a key-only
// scan, empty L1) and ResetStats on cron schedules.
//
// BenchmarkZipfReads measures the hit rate of a Zipf-distributed workload;
// the README's performance table has the figure and the command.
package cache
