// Package iop is the client of the AliExpress open platform's gateway (the
// "International Open Platform", IOP, at https://api-sg.aliexpress.com).
// It owns the protocol, not the business: the common parameters, the
// HMAC-SHA256 signature, the two call styles (business APIs by method
// name on /sync, system APIs by path on /rest), the two error envelopes,
// and the translation of every gateway error code into the SDK's typed
// errors with the retry-after that flow control asks for.
//
// The protocol is taken from the official SDKs' own code, cited where it
// is used: the Java SDK (com.global.iop: TopExecutor for /sync,
// GopExecutor for /rest, IopUtils.signApiRequest for the signature) and the
// Python SDK (iop/base.py), and from the platform's documentation pages
// "Signature algorithm", "HTTP request sample" and "Calling parameters".
//
// Like the rest of a plugin it reports and never retries or sleeps:
// Classify says what kind of failure a code is and how long the platform
// asked to wait, and the host decides. HTTP itself (timeouts, proxies,
// size limits, transport errors) is sdk/httpclient's.
package iop
