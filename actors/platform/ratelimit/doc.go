// Package ratelimit is the platform actor's token bucket and the control
// that adapts its rate and burst (Adaptive, in adaptive.go). The bucket
// holds its state openly (rate, burst, tokens, a pause) because the actor
// corrects it from what platforms report — quota headers, bans with a
// retry-after — and adapts it to rate-limited answers;
// golang.org/x/time/rate hides its tokens and cannot be corrected.
//
// Wait reserves tokens first and then sleeps, as x/time/rate's WaitN does:
// callers are served in the order they asked, fractional and multi-token
// costs work, and a wait that could not end before the caller's deadline
// is refused at once instead of sleeping in vain. Unlike WaitN, a
// reservation is a place in a queue, not a fixed time: when the platform
// bans (PauseUntil), says how much quota is left (Observe) or the rate
// changes (SetRate), every waiting caller's turn is worked out again from
// the bucket as it is then. After a ban the first caller goes when it
// ends and each next one a sustained interval later — the callers whose
// turn fell within the ban, and the retries of the refused calls, which
// wait in the same queue, included — so a ban's end never releases a
// burst that would start the next ban. For a platform that limits by
// cost, Give hands back what a call did not spend and Track keeps the
// count within the level the platform reports. Time is read from the time
// package, so tests run it under testing/synctest.
package ratelimit
