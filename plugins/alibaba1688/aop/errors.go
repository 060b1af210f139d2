package aop

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/httpclient"
)

// Gateway error codes. The gateway answers a refused call with an HTTP
// error status and a JSON body
//
//	{"error_code": "gw.SignatureInvalid", "error_message": "...", "request_id": "..."}
//
// (the Python SDK's base.py reads exactly error_code, error_message,
// exception and request_id from a non-2xx reply; the Java SDK's
// ExceptionParser.buildException4Json2 reads error_code/error_message and
// falls back to errorCode/errorMessage).
//
// No complete official table of these codes was found in the material we
// could read. The codes below marked "observed" were taken from gateway
// replies recorded in public integrations (probes against the live
// gateway, unit-test fixtures copied from real responses, comments); the
// ones marked "assumed" are names we use for conditions the gateway surely
// rejects but whose real code we could not find. Classify handles unknown
// codes by their name and HTTP status, so a code missing here still lands
// in a sensible kind.
const (
	// Observed with HTTP 400 and "App call exceeds limited frequency": the
	// app's call-frequency quota is used up.
	CodeAppFrequencyLimit = "gw.QosAppFrequencyLimit"
	// Observed: the per-API frequency quota is used up.
	CodeAPIFrequencyLimit = "gw.QosAPIFrequencyLimit"
	// Observed with HTTP 400 and "SLA bill has no usage left": a paid
	// API's call allowance is spent.
	CodeNoUsageLeft = "gw.NoUsageLeftError"
	// Observed: _aop_signature does not match.
	CodeSignatureInvalid = "gw.SignatureInvalid"
	// Observed: _aop_signature is absent.
	CodeSignatureMissing = "gw.SignatureMissing"
	// Observed when the app key is not at the end of the path.
	CodeAppKeyMissing = "gw.AppKeyMissing"
	// Observed for an app key the platform does not know.
	CodeAppKeyNotFound = "gw.AppKeyNotFound"
	// Observed with HTTP 400 for a namespace/name/version that does not
	// exist.
	CodeAPIUnsupported = "gw.APIUnsupported"
	// Observed with HTTP 400 and "AppKey is not allowed(acl)": the API
	// exists but the app has not been granted it in the 1688 console.
	CodeAPIACLDecline = "gw.APIACLDecline"
	// Observed: "Required argument offerId".
	CodeParamMissing = "gw.ParamMissing"
	// Observed with HTTP 401 as error_code "401" and the message "Request
	// need user authenticated" (no access_token) or "Request need user
	// authorized" (a token the gateway does not accept).
	CodeUnauthorized = "401"
	// Assumed: a parameter that is present but malformed.
	CodeParamInvalid = "gw.ParamInvalid"
	// Assumed: _aop_timestamp malformed or outside the accepted window.
	CodeTimestampInvalid = "gw.TimestampInvalid"
)

// codeKinds is how each known code is to be handled:
//
//   - timestamp and parameter errors, and a missing signature or app key,
//     are INVALID: a bug in the request or clock skew, which a retry of
//     the same request will not fix;
//   - unknown API names are INVALID for the same reason;
//   - signature, token, app-key and ACL refusals are AUTH: an operator has
//     to fix app_secret, renew a token or grant the app an API (a signature
//     that does not match is a wrong app_secret far more often than a
//     signing bug, which the tests of sign.go guard against);
//   - frequency and usage quotas are RATE_LIMITED.
var codeKinds = map[string]sdk.ErrorKind{
	CodeAppFrequencyLimit: sdk.KindRateLimited,
	CodeAPIFrequencyLimit: sdk.KindRateLimited,
	CodeNoUsageLeft:       sdk.KindRateLimited,
	CodeSignatureInvalid:  sdk.KindAuth,
	CodeSignatureMissing:  sdk.KindInvalid,
	CodeAppKeyMissing:     sdk.KindInvalid,
	CodeAppKeyNotFound:    sdk.KindAuth,
	CodeAPIUnsupported:    sdk.KindInvalid,
	CodeAPIACLDecline:     sdk.KindAuth,
	CodeParamMissing:      sdk.KindInvalid,
	CodeUnauthorized:      sdk.KindAuth,
	CodeParamInvalid:      sdk.KindInvalid,
	CodeTimestampInvalid:  sdk.KindInvalid,
}

// authHints say, for the credential refusals above, what the gateway
// rejected and which settings of the platform block to check. The host
// prefixes the platform's name; the gateway's message follows.
var authHints = map[string]string{
	CodeSignatureInvalid: "the platform rejected the signature — check app_secret",
	CodeAppKeyNotFound:   "the platform does not know the app key — check app_key",
	CodeAPIACLDecline:    "the app has not been granted this API — grant it in the 1688 open platform console",
	CodeUnauthorized:     "the platform rejected the access token — check access_token (expired or revoked: authorise the app again)",
}

// KnownCodes lists the codes Classify maps by name, for documentation and
// tests.
func KnownCodes() []string {
	out := make([]string, 0, len(codeKinds))
	for c := range codeKinds {
		out = append(out, c)
	}
	return out
}

// reply is the error part of a gateway body.
type reply struct {
	ErrorCode    flexString `json:"error_code"`
	ErrorMessage string     `json:"error_message"`
	// The Java SDK's fallbacks.
	ErrorCodeAlt    flexString `json:"errorCode"`
	ErrorMessageAlt string     `json:"errorMessage"`
}

// flexString accepts a JSON string or number, so a numeric code such as
// 401 reads the same whether or not it is quoted.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	}
	if string(b) == "null" {
		return nil
	}
	*f = flexString(b)
	return nil
}

// ParseError returns the *sdk.Error a gateway reply stands for, or nil for
// a successful one. A reply is an error when its body carries error_code
// (whatever the status: fault injectors and some gateways put one in a
// 200) or when its status is 400 or more; a 2xx body's errorCode is left
// alone, because business APIs use that name for their own results.
func ParseError(status int, h http.Header, body []byte, now time.Time) *sdk.Error {
	var r reply
	if looksLikeJSONObject(body) {
		// A body that is not the gateway's JSON is judged by its status
		// alone; the caller's own decoding reports a garbled 200.
		_ = json.Unmarshal(body, &r)
	}
	code, msg := string(r.ErrorCode), r.ErrorMessage
	if status >= 400 && code == "" {
		code, msg = string(r.ErrorCodeAlt), r.ErrorMessageAlt
	}
	if code == "" {
		if status >= 400 {
			return httpclient.StatusError(status, h, body, now)
		}
		return nil
	}
	return Classify(status, code, msg, h, now)
}

func looksLikeJSONObject(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && b[0] == '{'
}

// Classify maps a gateway error code to an *sdk.Error, keeping the code
// and message verbatim, after the settings to check for a credential
// refusal. Known codes go by codeKinds; others by the words
// in their name, then by the HTTP status. A RATE_LIMITED error carries the
// wait the gateway asked for, from a Retry-After header or, failing that,
// from the message ("... 3 seconds", "... 3秒").
func Classify(status int, code, message string, h http.Header, now time.Time) *sdk.Error {
	kind, ok := codeKinds[code]
	if !ok {
		kind = kindByName(code, status)
	}
	e := &sdk.Error{Kind: kind, Code: code, Message: message}
	if h, ok := authHints[code]; ok && kind == sdk.KindAuth {
		e.Message = h + "; 1688 said: " + message
	}
	if kind == sdk.KindRateLimited || kind == sdk.KindUnavailable {
		e.RetryAfter = RetryAfter(h, message, now)
	}
	return e
}

// kindByName guesses the kind of a code we do not know. The gateway's
// codes name their cause (gw.Qos..., gw.Signature..., gw.Param...), and
// some errors use an HTTP status as their code ("401").
func kindByName(code string, status int) sdk.ErrorKind {
	lc := strings.ToLower(code)
	switch {
	case strings.Contains(lc, "qos"), strings.Contains(lc, "frequency"), strings.Contains(lc, "flowlimit"), strings.Contains(lc, "nousage"):
		return sdk.KindRateLimited
	case strings.Contains(lc, "signature"), strings.Contains(lc, "timestamp"), strings.Contains(lc, "param"), strings.Contains(lc, "unsupported"):
		return sdk.KindInvalid
	case strings.Contains(lc, "token"), strings.Contains(lc, "auth"), strings.Contains(lc, "acl"), strings.Contains(lc, "appkey"):
		return sdk.KindAuth
	case strings.Contains(lc, "unavailable"), strings.Contains(lc, "busy"), strings.Contains(lc, "timeout"), strings.Contains(lc, "internal"), strings.Contains(lc, "system"):
		return sdk.KindUnavailable
	}
	if n, err := strconv.Atoi(code); err == nil && n >= 400 && n < 600 {
		status = n
	}
	if status >= 400 {
		return httpclient.StatusError(status, nil, nil, time.Time{}).Kind
	}
	// An error code in a 2xx body that says nothing about its cause: not
	// worth retrying blindly.
	return sdk.KindInvalid
}

// banWait finds a wait in a refusal's message: "ban will last 3 more
// seconds", "retry after 2 seconds", "请3秒后重试".
var banWait = regexp.MustCompile(`(?i)(\d{1,7})\s*(?:more\s+)?(?:seconds?|secs?|s\b|秒)`)

// RetryAfter returns how long the gateway asked us to wait: the
// Retry-After header in either RFC 9110 form, else a number of seconds in
// the message, else zero (the host then backs off on its own).
func RetryAfter(h http.Header, message string, now time.Time) time.Duration {
	if h != nil {
		if d, ok := httpclient.ParseRetryAfter(h.Get("Retry-After"), now); ok {
			return d
		}
	}
	if m := banWait.FindStringSubmatch(message); m != nil {
		if n, err := strconv.Atoi(m[1]); err == nil {
			return time.Duration(n) * time.Second
		}
	}
	return 0
}
