// Package job runs jobs as actors: a collect job fans its items out in
// batches to a platform actor, checkpoints every batch through a Store and
// resumes from the checkpoint after a restart. A checkpoint that cannot be
// written ends the job: once the batches in flight are in, it fails with
// the store's error (logged at ERROR), its unsaved items left pending. Its
// records (job.proto) are protobuf, persisted as they are.
//
// A job actor never stops itself: when its job is over it tells the
// manager, which takes it out of its map (a later Cancel is answered "not
// running" and the caller reads the store) and stops it with a poison
// pill, after anything already forwarded to it, which it still answers.
//
// # Submitting
//
// The HTTP API checks a collect request's shape (see daemon/api); the
// manager checks what it means, in SubmitCollect, and is the only place
// that does: the platform is configured, its plugin collects, ids and a
// scope do not come together, and a request made only of product page
// URLs goes to a plugin that resolves URLs (its description declares a batch cap for resolve_urls). Anything
// else is for the job to find out item by item.
//
// # Steps
//
// A collect job given URLs first resolves them (STEP_RESOLVING: the
// record's resolved of to_resolve), sending them in batches to the
// plugin's ResolveURLs through the platform actor; a URL that names no
// product, or any URL when the plugin takes none, fails alone as an item
// (INVALID, the plugin's code or bad_url). Each resolved batch is
// checkpointed with Store.Commit like a fetched one, so a restart resolves
// only the URLs left. Then it collects (STEP_COLLECTING), each product
// once: an id and a URL, or two URLs, that name the same product make one
// fetch, and the later item settles with the first (see dedupe).
//
// A collect job given a scope instead of ids first lists it
// (STEP_LISTING): it asks the plugin's ListProducts through the platform
// actor, which rate-limits it like any call, for one page after the other
// (ListPageSize ids, each page with the cursor of the one before), and
// Store.AddListed adds each page's ids as pending items together with the
// next cursor, so a restart lists on from the last page checkpointed. The
// plugin protocol gives no listing's total: the job's total counts the
// ids listed so far, and listed_pages the pages. A page refused for now
// pauses the job like a refused batch; one that fails with a retryable
// error is asked again at most MaxItemAttempts times in a row; any other
// failure fails the job, saying how far the listing got. After the last
// page it collects as an id job does, an id listed twice fetched once.
//
// # RETRIES
//
// This is the one description of how the retry layers combine; the
// platform actor's documentation describes its own layer and points here.
// Outermost first:
//
//  1. Job re-sends. A batch that fails as a whole because the platform
//     refuses calls for now (the breaker is open, CodeCircuitOpen; the
//     platform still rate-limits after the actor's retries) or because
//     the platform actor's retry budget is spent goes back to the front of
//     the queue with its items' attempts untouched, and the job pauses
//     (paused_until, paused_reason) for the longer of the platform's
//     retry-after and backoffAfter(n): batchBackoffBase (0.5 s), doubling
//     with each such failure in a row, at most batchBackoffMax (30 s).
//     These re-sends are not counted: a job waits as long as the platform
//     refuses, paced, until it is cancelled.
//  2. Item attempts. Any other retryable failure — of the whole call once
//     the actor gave up (the job then waits backoffAfter(n) too), or of
//     the item alone — spends one of the item's Options.MaxItemAttempts
//     (DefaultMaxItemAttempts = 3); then the item fails with the last
//     error. Permanent errors fail it at once. Resolving a URL spends no
//     item attempt: its resolve calls are retried the same way, at most
//     MaxItemAttempts in a row, then the batch's URLs fail.
//  3. Actor attempts. Inside each call the platform actor retries
//     retryable failures (RATE_LIMITED, UNAVAILABLE, timeouts) up to
//     platform Options.Retry.MaxAttempts (5 by default, config
//     retry.max_attempts) with full-jitter backoff between
//     Retry.Backoff.Base (200 ms) and Max (30 s), each plugin call bounded
//     by Options.Timeout (30 s) and the whole call by the job's
//     Options.CallTimeout (DefaultCallTimeout = 10 min). Retries that are
//     not rate-limited spend the retry budget (20 % of the calls of the
//     last 10 s plus 1 a second); once it is spent the call fails with
//     BudgetExhausted, which is layer 1's business.
//
// Rate-limited retries are paced by the platform: they wait at least its
// retry-after, take limiter tokens like any call and spend no budget, at
// either level. A sync run's writes go through actors/sync/batch, where
// an item the platform refused for its rate inside a call that succeeded
// (Shopify's THROTTLED documents in a 200) is sent again after the
// retry-after without spending an item attempt, at most
// batch.MaxThrottled (20) times.
//
// Worst case with the defaults, for one item that keeps failing with a
// retryable error the platform does not pace: 3 item attempts × 5 actor
// attempts = 15 FetchProducts calls carrying it, plus, for an item given
// as a URL, as many ResolveURLs calls (which reach no platform, take no
// limiter tokens and are not counted in the job's calls): 30.
// In time, one call is at most 5 × 30 s of timeouts plus backoff windows
// of 0.2 + 0.4 + 0.8 + 1.6 s, 153 s; three of them with the job's waits of
// 0.5 s and 1 s make 460.5 s, about 7 min 41 s (twice that for a URL
// item). With retry-afters each call is cut at its 10 min deadline, so 30
// min and 1.5 s. The re-sends of layer 1 come on top, unbounded in number
// but at most one per backoffAfter wait (30 s once seven failed in a row)
// or retry-after; a re-send while the breaker is open reaches no plugin.
package job
