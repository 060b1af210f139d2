// Package platform is the platform actor: one protoactor actor per
// platform block, the only way to reach that platform. Its public
// messages (platform.proto: Call, CallResult, Status, Drain) are protobuf
// so that, in a cluster, another node can send them through protoactor's
// remote; the messages it sends itself are plain Go.
//
// A Call goes through these steps:
//
//   - Admission (actor.go): refused at once when the plugin cannot do the
//     operation, the batch is over the plugin's declared cap, the platform
//     is disabled or stopping. Otherwise it is queued; interactive calls
//     are served before bulk ones, so a job never starves a person.
//   - Dispatch: while fewer than Concurrency calls are in flight and the
//     circuit breaker allows, a call leaves the queue for a goroutine that
//     waits for rate-limit tokens (ratelimit.Bucket, with the operation's
//     cost) and calls the plugin with a per-call timeout, never past the
//     caller's deadline.
//   - Learning (resilience.go): every answer corrects the limiter — quota
//     feedback lowers its tokens, a retry-after pauses it, and the
//     adaptive rate (ratelimit.Adaptive: a bisection between the last
//     good rate and the last refused one, with the burst learnt too) moves
//     with rate-limited answers. A platform whose answers say what each
//     call cost (Quota.Cost: Shopify's query points) is limited by cost
//     instead: a call takes its operation's declared cost (what must be
//     in the platform's bucket for it to run), the difference to what it
//     spent goes back, the bucket's count is kept within what the
//     platform reports it holds, a THROTTLED answer sets it from the wait
//     the platform computed, and the rate moves, never above the
//     configured one, to what the reports and refusals show the
//     platform restores. The answers also
//     feed the breaker (gobreaker: only UNAVAILABLE counts
//     against the platform; open, it fails calls fast with CodeCircuitOpen
//     and a retry-after, and jobs pause on it).
//   - Retry: a retryable failure (RATE_LIMITED, UNAVAILABLE) is tried again
//     after capped exponential backoff with full jitter, never sooner than
//     the platform's retry-after, while attempts remain, the wait fits
//     before the deadline, and — unless the platform paced it with a
//     retry-after — the retry budget allows (retry.Budget, Finagle's).
//     Writes are resent as they were, idempotency keys included. How these
//     retries combine with a job's (item attempts, re-sends after a whole
//     batch failed), and the worst case in calls and time, is described in
//     one place: package actors/job, RETRIES.
//
// Until a call succeeds, calls go to the plugin one at a time, so that
// wrong credentials cost one rejected call. The first AUTH failure of a
// whole call (a rejected signature, token or app key) makes the platform
// unauthorized: every call then fails at once with AUTH, the plugin's
// message (which names the settings to check) prefixed with the
// platform's "<plugin>.<name>", and a retry-after; jobs pause on it until
// a reload gives the platform a new actor.
//
// The actor also owns the plugin process (lifecycle.go): it launches and
// configures it, pings it when idle, and restarts it with backoff when it
// crashes, stops answering health checks or hangs (HangAfter calls in a
// row time out). The restart policy (restarts.go, Nomad's RestartTracker)
// bounds restarts within an interval; past it the platform is failed —
// calls fail at once with CodePlatformFailed and the reason ("plugin
// exited 6 times in 1m") — until, in "delay" mode, the plugin is tried
// again after the delay, or until a reload. Drain (drain.go) finishes the calls in flight, fails the
// rest as UNAVAILABLE and stops the plugin. Everything the actor does is
// reported to an Observer for metrics and statistics.
package platform
