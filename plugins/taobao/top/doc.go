// Package top speaks the Taobao Open Platform (TOP) router protocol: the
// common parameters every call carries, the request signature in its three
// digests (md5, hmac = HMAC-MD5, hmac-sha256), the split of a request into
// system parameters in the URL query and API parameters in a form body,
// and the translation of the gateway's error_response bodies into
// *sdk.Error values a host can act on.
//
// It follows the official SDKs rather than guessing: the signing steps are
// those of TaobaoUtils.signTopRequest in the official Java SDK, and the
// layout of a request is that of its DefaultTaobaoClient. Where the
// official SDKs disagree (empty parameter values), the client sends only
// what every SDK signs the same way. Each function cites the source it
// follows.
//
// Like every plugin layer it reports and never retries or sleeps: a ban
// the gateway announces comes back as a RATE_LIMITED error carrying the
// announced duration as its retry-after.
package top
