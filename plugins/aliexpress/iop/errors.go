package iop

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

// ErrorBody is an error answer of the gateway, read from either envelope:
//
//	/sync  {"error_response":{"type":"ISV","code":"IncompleteSignature","msg":"…","sub_code":"…","sub_msg":"…","request_id":"…"}}
//	/rest  {"type":"ISV","code":"IllegalAccessToken","message":"…","request_id":"…"}
//
// The field names are those the Java SDK reads
// (com/global/iop/api/IopResponse.java: @AeDefaultErrorField type, code,
// msg, sub_code, sub_msg, request_id for the /sync answers it calls
// AE_DEFAULT; @DefaultErrorField type, code, message, request_id for the
// /rest ones; BaseExecutor.parseResponse unwraps "error_response"). Type is
// ISV (the request is at fault), ISP (the service behind the gateway) or
// SYSTEM (the gateway itself), as the Python SDK's sample explains and the
// Lazada Open Platform's "Error messages" page (articleId=108138, same IOP
// gateway) describes.
type ErrorBody struct {
	Type       string
	Code       string
	Message    string
	SubCode    string
	SubMessage string
	RequestID  string
}

// Scalar is a JSON value the gateway sends sometimes as a string and
// sometimes as a number ("code":"0" on /rest, "code":15 from TOP-style
// errors, "rsp_code":200 or "404" in business answers, 16-digit product
// ids). It keeps the number's text as sent, so no id loses digits in a
// float64.
type Scalar string

// UnmarshalJSON accepts a string, a number, true/false or null.
func (s *Scalar) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) > 0 && b[0] == '"':
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		*s = Scalar(str)
	case bytes.Equal(b, []byte("null")):
		*s = ""
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			var v bool
			if berr := json.Unmarshal(b, &v); berr != nil {
				return err
			}
			*s = Scalar(strconv.FormatBool(v))
			return nil
		}
		*s = Scalar(n.String())
	}
	return nil
}

func (s Scalar) String() string { return string(s) }

type syncError struct {
	Type      Scalar `json:"type"`
	Code      Scalar `json:"code"`
	Msg       string `json:"msg"`
	Message   string `json:"message"`
	SubCode   Scalar `json:"sub_code"`
	SubMsg    string `json:"sub_msg"`
	RequestID string `json:"request_id"`
}

func (e syncError) body() ErrorBody {
	msg := e.Msg
	if msg == "" {
		msg = e.Message
	}
	return ErrorBody{Type: string(e.Type), Code: string(e.Code), Message: msg,
		SubCode: string(e.SubCode), SubMessage: e.SubMsg, RequestID: e.RequestID}
}

// kind of each documented or observed gateway error code. The official
// error-code table of the AliExpress open platform was not among the
// sources available when this was written; every row says where the code
// was found, and codes not listed fall back on the error's type (below).
var codeKinds = map[string]sdk.ErrorKind{
	// The signature does not match: a wrong app secret far more often than
	// a bug or an altered request, so AUTH, which an operator fixes in the
	// platform block; retrying the same bytes cannot help. Seen as
	// {"error_response":{"type":"ISV","code":"IncompleteSignature","msg":"The
	// request signature does not conform to platform standards"}} from
	// https://api-sg.aliexpress.com/sync (quoted in a question on
	// devhide.com, "PHP / Aliexpress affiliation API : IncompleteSignature").
	"IncompleteSignature": sdk.KindAuth,
	// Named by AliExpress gateway clients next to IncompleteSignature.
	"InvalidSignature": sdk.KindAuth,
	// The timestamp is more than the allowed 7200 seconds away from the
	// gateway's clock ("Calling parameters",
	// https://developer.alibaba.com/docs/doc.htm?articleId=120691&docType=1&treeId=727):
	// clock skew, which the host cannot fix by retrying. The page gives the
	// rule but not the code; this name is the one the simulator answers.
	"InvalidTimestamp": sdk.KindInvalid,
	// A business or system parameter is missing or malformed (named by
	// AliExpress gateway clients as the parameter errors).
	"MissingParameter": sdk.KindInvalid,
	"InvalidParameter": sdk.KindInvalid,
	// The method or path does not exist: "The specified API Path is
	// invalid" (quoted by AliExpress client code as the gateway's text).
	"InvalidApiPath": sdk.KindInvalid,

	// The access token (session) is unknown, expired or revoked: "The
	// specified access token is invalid or expired" (quoted from the
	// gateway by AliExpress and Lazada clients, which share the IOP
	// gateway). InvalidSession is the Taobao Open Platform's name for
	// the same fault, which the TOP-style /sync protocol inherits.
	"IllegalAccessToken": sdk.KindAuth,
	"InvalidSession":     sdk.KindAuth,
	// The app key is unknown, the caller's IP is not on the app's white
	// list, or the app lacks the permission for this API (codes reported
	// by AliExpress integrations).
	"InvalidAppKey":          sdk.KindAuth,
	"AppKeyNotExist":         sdk.KindAuth,
	"AppWhiteIpLimit":        sdk.KindAuth,
	"InsufficientPermission": sdk.KindAuth,

	// Flow control. "API access count limitation"
	// (https://developer.alibaba.com/docs/doc.htm?articleId=108426&docType=1&treeId=502)
	// documents a daily limit per app key and per-second or per-day limits
	// per API, after which calls are banned "for a second" or to the end
	// of the day. Seen as {"error_response":{"type":"ISV","code":
	// "ApiCallLimit","msg":"Api access frequency exceeds the limit. this
	// ban will last 1 seconds"}}; the ban's length is read from the
	// message (banPattern).
	"ApiCallLimit": sdk.KindRateLimited,
	"AppCallLimit": sdk.KindRateLimited,
}

// authHints say, for the credential refusals of the table above, what the
// gateway rejected and which settings of the platform block to check. The
// host prefixes the platform's name; the gateway's message follows.
var authHints = map[string]string{
	"IncompleteSignature":    "the platform rejected the signature — check app_secret",
	"InvalidSignature":       "the platform rejected the signature — check app_secret",
	"IllegalAccessToken":     "the platform rejected the access token — check access_token (expired or revoked: authorise the app again)",
	"InvalidSession":         "the platform rejected the access token — check access_token (expired or revoked: authorise the app again)",
	"InvalidAppKey":          "the platform does not know the app key — check app_key",
	"AppKeyNotExist":         "the platform does not know the app key — check app_key",
	"AppWhiteIpLimit":        "this machine's IP is not on the app's white list — add it in the AliExpress open platform console",
	"InsufficientPermission": "the app lacks the permission for this API — apply for it in the AliExpress open platform console",
}

// Codes not in the table are classified by sub code, then by a ban in
// the message, then by type: ISP (the service behind the gateway) and
// SYSTEM (the gateway) errors are the platform's busy or failing moments
// and come back UNAVAILABLE.

// subCodePrefixes classify TOP-style sub codes, which the /sync gateway
// inherits from the Taobao Open Platform protocol it speaks
// (TopExecutor): "isv.*" is the caller's fault, "isp.*" the service's,
// and the "accesscontrol.limited-by-*" family is TOP's call limiting.
var subCodePrefixes = []struct {
	prefix string
	kind   sdk.ErrorKind
}{
	{"accesscontrol.limited-by-", sdk.KindRateLimited},
	{"isv.", sdk.KindInvalid},
	{"isp.", sdk.KindUnavailable},
}

// banPattern finds the length of a flow-control ban in a message: "this
// ban will last 1 seconds" (IOP) or "This ban will last for 3 more
// seconds" (TOP).
var banPattern = regexp.MustCompile(`(?i)ban\s+will\s+last\s+(?:for\s+)?(\d{1,9})\s+(?:more\s+)?seconds?`)

// Classify turns a gateway error into the SDK's typed error: the kind from
// the code (then the sub code, then the type), the platform's code kept
// verbatim, the settings to check before the message of a credential
// refusal, and for rate limiting the wait the platform asked for, taken
// from the message's ban length or a Retry-After header, whichever is
// longer. now is when the answer arrived, for HTTP-date Retry-After values.
func Classify(e ErrorBody, h http.Header, now time.Time) *sdk.Error {
	kind := kindOf(e)
	out := &sdk.Error{Kind: kind, Code: e.Code, Message: describeError(e)}
	if out.Code == "" {
		out.Code = e.SubCode
	}
	if h, ok := authHints[out.Code]; ok && kind == sdk.KindAuth {
		out.Message = h + "; AliExpress said: " + out.Message
	}
	if kind == sdk.KindRateLimited || kind == sdk.KindUnavailable {
		out.RetryAfter = retryAfter(e, h, now)
	}
	return out
}

func kindOf(e ErrorBody) sdk.ErrorKind {
	if k, ok := codeKinds[e.Code]; ok {
		return k
	}
	if k, ok := codeKinds[e.SubCode]; ok {
		return k
	}
	for _, p := range subCodePrefixes {
		if strings.HasPrefix(e.SubCode, p.prefix) {
			return p.kind
		}
	}
	if banPattern.MatchString(e.Message) || banPattern.MatchString(e.SubMessage) {
		return sdk.KindRateLimited
	}
	switch strings.ToUpper(e.Type) {
	case "ISV":
		return sdk.KindInvalid
	}
	// ISP, SYSTEM or nothing said: most likely the platform's trouble, and
	// a bounded retry costs less than dropping work that would succeed.
	return sdk.KindUnavailable
}

func retryAfter(e ErrorBody, h http.Header, now time.Time) time.Duration {
	var d time.Duration
	for _, m := range []string{e.Message, e.SubMessage} {
		if sub := banPattern.FindStringSubmatch(m); sub != nil {
			if n, err := strconv.Atoi(sub[1]); err == nil {
				d = max(d, time.Duration(n)*time.Second)
			}
		}
	}
	if h != nil {
		if ra, ok := httpclient.ParseRetryAfter(h.Get("Retry-After"), now); ok {
			d = max(d, ra)
		}
	}
	return d
}

// describeError is the platform's message with its sub code and request
// id, which operators need to quote to AliExpress support.
func describeError(e ErrorBody) string {
	var b strings.Builder
	b.WriteString(e.Message)
	if e.SubCode != "" || e.SubMessage != "" {
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		b.WriteString(strings.TrimSpace(e.SubCode + " " + e.SubMessage))
	}
	if e.Type != "" {
		b.WriteString(" (type " + e.Type)
		if e.RequestID != "" {
			b.WriteString(", request_id " + e.RequestID)
		}
		b.WriteString(")")
	} else if e.RequestID != "" {
		b.WriteString(" (request_id " + e.RequestID + ")")
	}
	return b.String()
}
