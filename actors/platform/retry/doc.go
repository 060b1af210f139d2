// Package retry decides when and whether to retry a failed call.
//
// Policy computes delays: capped exponential backoff with full jitter, as
// in AWS's "Exponential Backoff and Jitter"
// (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/),
// where full jitter spreads a crowd of retrying callers over the whole
// window and so keeps them from hammering a recovering platform in step.
// A platform's retry-after is a floor under the jitter.
//
// Budget bounds how many retries a platform gets at all, as Finagle's
// RetryBudget does (com.twitter.finagle.service.RetryBudget): retries may
// be at most a share of recent calls plus a small floor per second, so a
// failing platform sees its load grow by that share, not multiplied by
// the number of attempts — a retry storm cannot start.
package retry
