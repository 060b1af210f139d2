package top

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/httpclient"
)

// APIError is the body of an error_response, which the gateway sends with
// HTTP status 200:
//
//	{"error_response":{"code":7,"msg":"App Call Limited",
//	  "sub_code":"accesscontrol.limited-by-app-access-count",
//	  "sub_msg":"This ban will last for 3 more seconds","request_id":"…"}}
//
// The field names are those the official Java SDK reads
// (com/taobao/api/Constants.java: ERROR_RESPONSE, ERROR_CODE "code",
// ERROR_MSG "msg", ERROR_SUB_CODE "sub_code", ERROR_SUB_MSG "sub_msg").
type APIError struct {
	Code      json.Number `json:"code"`
	Msg       string      `json:"msg"`
	SubCode   string      `json:"sub_code"`
	SubMsg    string      `json:"sub_msg"`
	RequestID string      `json:"request_id"`
}

// Platform error codes below 100: the "平台级错误" table of the TOP error
// code reference ("错误码一览", open.taobao.com; the table with its
// solutions column is quoted in full at
// http://blog.unvs.cn/archives/taobao-oauth-top-error-code.html and, with
// codes 4–6 and 8 that newer copies dropped, at
// https://roclinux.cn/p/1708389323a522265.html). The reference says codes
// below 100 other than 15, 40 and 41 come from the gateway's basic checks
// of the request, and that a sub_code starting "isp." is a fault on the
// service side that goes away if retried a while later.
var codeKinds = map[int]sdk.ErrorKind{
	3:  sdk.KindInvalid,     // Upload Fail: the image must be changed
	4:  sdk.KindRateLimited, // User Call Limited
	5:  sdk.KindRateLimited, // Session Call Limited
	6:  sdk.KindRateLimited, // Partner Call Limited
	7:  sdk.KindRateLimited, // App Call Limited ("包含调用频率超限")
	8:  sdk.KindRateLimited, // App Call Exceeds Limited Frequency
	9:  sdk.KindInvalid,     // Http Action Not Allowed (POST or GET only)
	10: sdk.KindUnavailable, // Service Currently Unavailable
	11: sdk.KindAuth,        // Insufficient ISV Permissions: the app lacks the API
	12: sdk.KindAuth,        // Insufficient User Permissions: the seller did not grant it
	13: sdk.KindAuth,        // Insufficient Partner Permissions
	15: sdk.KindUnavailable, // Remote Service Error: decided by sub_code, see subKind
	21: sdk.KindInvalid,     // Missing Method
	22: sdk.KindInvalid,     // Invalid Method
	23: sdk.KindInvalid,     // Invalid Format
	24: sdk.KindInvalid,     // Missing Signature
	25: sdk.KindAuth,        // Invalid Signature: a wrong app_secret or sign_method (or a signing bug); retrying cannot help
	26: sdk.KindAuth,        // Missing Session
	27: sdk.KindAuth,        // Invalid Session: expired or revoked authorisation
	28: sdk.KindAuth,        // Missing App Key
	29: sdk.KindAuth,        // Invalid App Key
	30: sdk.KindInvalid,     // Missing Timestamp
	31: sdk.KindInvalid,     // Invalid Timestamp: format, or clock skew over 10 minutes
	32: sdk.KindInvalid,     // Missing Version
	33: sdk.KindInvalid,     // Invalid Version
	34: sdk.KindInvalid,     // Unsupported Version
	40: sdk.KindInvalid,     // Missing Required Arguments
	41: sdk.KindInvalid,     // Invalid Arguments
	42: sdk.KindAuth,        // Forbidden Request: refused for this caller
	43: sdk.KindInvalid,     // Parameter Error
}

// Sub codes whose kind differs from what the code and the isp./isv.
// prefix rule give. Sources:
//   - the three flow-control sub codes of error 7 and their "This ban will
//     last for ** more seconds" message: Taobao's support answer on error 7,
//     kept in alibaba's AIDC-AI langengine sources
//     (Html2MarkdownLoaderTest.java), which also gives "invalid-sessionkey"
//     as the sub code of error 27;
//   - the gateway's own constants (com.taobao.top.common.TOPConstants):
//     isp.top-remote-connection-timeout and friends, the
//     isv.access-limited-by-* flow rules, isv.appkey-not-exists and the
//     timestamp and replay checks;
//   - "isv.item-not-exist", the sub code the item APIs give for an item
//     that does not exist or is deleted.
var subKinds = map[string]sdk.ErrorKind{
	"accesscontrol.limited-by-app-access-count":     sdk.KindRateLimited,
	"accesscontrol.limited-by-api-access-count":     sdk.KindRateLimited,
	"accesscontrol.limited-by-app-api-access-count": sdk.KindRateLimited,
	"isv.access-limited-by-app-access-count":        sdk.KindRateLimited,
	"isv.access-limited-by-api-access-count":        sdk.KindRateLimited,
	"isv.access-limited-by-app-api-access-count":    sdk.KindRateLimited,
	"isp.top-remote-connection-timeout":             sdk.KindUnavailable,
	"isp.top-remote-connection-error":               sdk.KindUnavailable,
	"isp.top-remote-service-unavailable":            sdk.KindUnavailable,
	"isp.top-mapping-parse-error":                   sdk.KindUnavailable,
	"isp.unknown-error":                             sdk.KindUnavailable,
	"isp.redirect-error":                            sdk.KindUnavailable,
	"invalid-sessionkey":                            sdk.KindAuth,
	"session-expired":                               sdk.KindAuth,
	"isv.invalid-persistent-session-pattern":        sdk.KindAuth,
	"isv.persistent-session-not-exist":              sdk.KindAuth,
	"isv.appkey-not-exists":                         sdk.KindAuth,
	"isv.permission-api-package-limit":              sdk.KindAuth,
	"isv.timestamp-limit-error":                     sdk.KindInvalid,
	"isv.replayattack-timestamp-invalid-error":      sdk.KindInvalid,
	"isv.request-replay-error":                      sdk.KindInvalid,
	"isv.missing-parameter":                         sdk.KindInvalid,
	"isv.invalid-parameter":                         sdk.KindInvalid,
	"isv.item-not-exist":                            sdk.KindNotFound,
}

// authHints say, for the credential refusals of the tables above, what the
// platform rejected and which settings of the platform block to check.
// The host prefixes the platform's name; the platform's own message
// follows. Sub codes are looked up before codes.
var authHints = map[string]string{
	"11":                                     "the app lacks the permission for this API — grant it to the app on open.taobao.com",
	"12":                                     "the seller has not authorised this API — check session (authorise the app again)",
	"13":                                     "the partner lacks the permission for this API — check app_key",
	"25":                                     "the platform rejected the signature — check app_secret and sign_method",
	"26":                                     "the platform wants a session — set session (the seller's authorisation)",
	"27":                                     "the platform rejected the session — check session (expired or revoked: authorise the app again)",
	"28":                                     "the platform got no app key — set app_key",
	"29":                                     "the platform does not know the app key — check app_key",
	"42":                                     "the platform refused this caller — check the app's status and IP white list on open.taobao.com",
	"invalid-sessionkey":                     "the platform rejected the session — check session (expired or revoked: authorise the app again)",
	"session-expired":                        "the session has expired — renew session (authorise the app again)",
	"isv.invalid-persistent-session-pattern": "the platform rejected the session — check session",
	"isv.persistent-session-not-exist":       "the platform does not know the session — check session",
	"isv.appkey-not-exists":                  "the platform does not know the app key — check app_key",
	"isv.permission-api-package-limit":       "the app lacks the API package — grant it to the app on open.taobao.com",
}

// glosses translate the documented Chinese sub messages of credential
// refusals, which operators may not read: 非法或过期的SessionKey参数 is the
// sub_msg of invalid-sessionkey (error 27) quoted in the sources above.
var glosses = map[string]string{
	"非法或过期的SessionKey参数": "invalid or expired SessionKey",
	"非法的AppKey":          "invalid AppKey",
	"签名无效":               "invalid signature",
}

// authHint is the hint for e, "" when it has none.
func (e *APIError) authHint() string {
	base, _, _ := strings.Cut(e.SubCode, ":")
	if h, ok := authHints[base]; ok && base != "" {
		return h
	}
	return authHints[e.Code.String()]
}

// SubCodeItemNotExist is the sub code of an item that does not exist or
// was deleted.
const SubCodeItemNotExist = "isv.item-not-exist"

// banPattern reads the ban the gateway announces with a flow-control error:
// "This ban will last for 31062 more seconds".
var banPattern = regexp.MustCompile(`(?i)ban will last for (\d+) more seconds?`)

// Kind classifies e. The sub code decides where it says more than the
// code: an exact entry of subKinds (compared without any ":detail" suffix,
// as in "isv.invalid-parameter:num_iids"), else "isp." (the service failed:
// retry later) or "isv." (the request or item is wrong). Otherwise the code
// decides; an unknown code below 100 failed the gateway's basic checks of
// the request, and an unknown one above comes from a business service that
// said no more, so it is treated as transient.
func (e *APIError) Kind() sdk.ErrorKind {
	if k, ok := subKind(e.SubCode); ok {
		return k
	}
	code, err := strconv.Atoi(e.Code.String())
	if err != nil {
		return sdk.KindUnavailable
	}
	if k, ok := codeKinds[code]; ok {
		return k
	}
	if code < 100 {
		return sdk.KindInvalid
	}
	return sdk.KindUnavailable
}

func subKind(sub string) (sdk.ErrorKind, bool) {
	if sub == "" {
		return 0, false
	}
	base, _, _ := strings.Cut(sub, ":")
	if k, ok := subKinds[base]; ok {
		return k, true
	}
	switch {
	case strings.HasPrefix(base, "isp."):
		return sdk.KindUnavailable, true
	case strings.HasPrefix(base, "isv."):
		return sdk.KindInvalid, true
	}
	return 0, false
}

// SDKError turns e into the typed error a host acts on. The code is the
// platform's, "7" or "7/accesscontrol.limited-by-app-access-count", and the
// message keeps msg and sub_msg verbatim, after the settings to check for
// a credential refusal ("the platform rejected the signature — check
// app_secret and sign_method; Taobao said: Invalid signature"). A rate-limit error's retry-after
// is the ban the sub_msg announces, else a Retry-After header the response
// carried (received at now).
func (e *APIError) SDKError(h http.Header, now time.Time) *sdk.Error {
	code := e.Code.String()
	if e.SubCode != "" {
		code += "/" + e.SubCode
	}
	msg := e.Msg
	if e.SubMsg != "" && e.SubMsg != e.Msg {
		msg += ": " + e.SubMsg
	}
	if g, ok := glosses[e.SubMsg]; ok {
		msg += " (" + strconv.Quote(g) + ")"
	}
	if e.RequestID != "" {
		msg += " (request_id " + e.RequestID + ")"
	}
	out := &sdk.Error{Kind: e.Kind(), Code: code, Message: msg}
	if h := e.authHint(); out.Kind == sdk.KindAuth && h != "" {
		out.Message = h + "; Taobao said: " + msg
	}
	if out.Kind == sdk.KindRateLimited {
		if d, ok := BanDuration(e.SubMsg); ok {
			out.RetryAfter = d
		} else if d, ok := httpclient.ParseRetryAfter(h.Get("Retry-After"), now); ok {
			out.RetryAfter = d
		}
	}
	return out
}

// BanDuration reads "This ban will last for N more seconds".
func BanDuration(msg string) (time.Duration, bool) {
	m := banPattern.FindStringSubmatch(msg)
	if m == nil {
		return 0, false
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil || n > 1<<31 {
		n = 1 << 31
	}
	return time.Duration(n) * time.Second, true
}
