package pdd

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/marketsync/marketsync/sdk"
)

// The gateway answers errors with HTTP 200 and a body
//
//	{"error_response":{"error_msg":"公共参数错误:type","sub_msg":"","sub_code":null,
//	  "error_code":10001,"request_id":"15440104776643887"}}
//
// (the "异常示例" of every API page). errorKinds classifies every code of
// the table those pages share ("返回错误码说明", e.g.
// https://open.pinduoduo.com/application/document/api?id=pdd.goods.list.get),
// whose description and advice ("解决办法") are quoted beside each. The rule:
// a request the platform will never accept as sent (a parameter, the
// clock) is INVALID, since retrying repeats a bug or a skew; refused
// credentials (the signature, made with client_secret, included) or
// permissions are AUTH; being over a call limit is
// RATE_LIMITED; the platform's own trouble is UNAVAILABLE.
var errorKinds = map[int]sdk.ErrorKind{
	10000: sdk.KindInvalid,     // 参数错误 — 参数值有误，按照文档要求填写请求参数
	10001: sdk.KindInvalid,     // 公共参数错误 — includes a timestamp outside the 10-minute window
	10016: sdk.KindAuth,        // client下线或者clientId不正确
	10017: sdk.KindInvalid,     // type不正确
	10018: sdk.KindAuth,        // target_client_id下线或者target_client_id不正确
	10019: sdk.KindAuth,        // access_token已过期 — 刷新access_token或者重新授权
	20004: sdk.KindAuth,        // 签名sign校验失败 — a wrong client_secret (or a signing bug)
	20005: sdk.KindAuth,        // ip无权访问接口，请加入ip白名单
	20031: sdk.KindAuth,        // 用户没有授权访问此接口 — the app lacks the permission package
	20032: sdk.KindAuth,        // access_token或client_id错误
	20034: sdk.KindInvalid,     // 接口处于下线状态 — the API is retired, not briefly down (that is 70033)
	20035: sdk.KindInvalid,     // 接口不属于当前网关 — wrong endpoint configured
	21001: sdk.KindInvalid,     // 请求参数错误 — 业务参数输入错误
	21002: sdk.KindInvalid,     // 请求参数不能为空
	30000: sdk.KindAuth,        // 没有调用此target接口权限
	30001: sdk.KindAuth,        // client_id和partner_id不匹配
	50000: sdk.KindUnavailable, // 系统内部错误
	50001: sdk.KindInvalid,     // 业务服务错误 — the business service refused the request (no advice given)
	50002: sdk.KindUnavailable, // 业务系统内部异常
	52001: sdk.KindUnavailable, // 网关业务服务错误
	52002: sdk.KindUnavailable, // 网关系统内部异常
	52004: sdk.KindInvalid,     // 请求body 太大
	52101: sdk.KindRateLimited, // 当前接口被限流，请稍后重试
	52102: sdk.KindUnavailable, // 当前接口暂时不可用，请稍后重试 — 当前接口被降级
	52103: sdk.KindUnavailable, // 服务暂时不可用，请稍后重试 — 当前接口被降级
	70031: sdk.KindRateLimited, // 调用过于频繁，请调整调用频率
	70032: sdk.KindAuth,        // 当前请求被禁止调用
	70033: sdk.KindUnavailable, // 当前接口因系统维护，暂时下线，请稍后再试！
	70034: sdk.KindAuth,        // 当前用户或应用存在风险，禁止调用！
	70035: sdk.KindAuth,        // 当前用户或应用存在风险，禁止调用。请联系ddjb@pinduoduo.com
	70036: sdk.KindRateLimited, // 应用处于测试状态，调用次数被限制 — a call quota, lifted when the app goes live
}

// authHints say, for the credential refusals of the table above, what the
// platform rejected and which settings of the platform block to check,
// after the table's own advice. The host prefixes the platform's name.
var authHints = map[int]string{
	10016: "the platform does not know the client id, or the app is offline — check client_id",
	10018: "the platform does not know the target client id — check client_id",
	10019: "the access token has expired — renew access_token (refresh it or authorise the app again)",
	20004: "the platform rejected the signature — check client_secret",
	20005: "this machine's IP may not call the API — add it to the app's IP white list on open.pinduoduo.com",
	20031: "the mall has not authorised this API — grant the app its permission package, then authorise again",
	20032: "the platform rejected the access token or the client id — check access_token and client_id",
	30000: "the app may not call this API — check client_id and the app's permissions",
	30001: "the client id and the partner id do not match — check client_id",
	70032: "the platform forbids this request — check the app's status on open.pinduoduo.com",
	70034: "the platform judged the mall or the app risky and forbids calls — contact Pinduoduo",
	70035: "the platform judged the mall or the app risky and forbids calls — contact ddjb@pinduoduo.com",
}

// glosses translate the table's descriptions, which are the error_msg the
// gateway sends, for operators who do not read Chinese.
var glosses = map[int]string{
	10000: "parameter error",
	10001: "common parameter error",
	10016: "client offline or wrong clientId",
	10017: "wrong type",
	10018: "target_client_id offline or wrong",
	10019: "access_token has expired",
	20004: "sign check failed",
	20005: "this IP may not call the API; add it to the IP white list",
	20031: "the user has not authorised access to this API",
	20032: "wrong access_token or client_id",
	20034: "the API is offline",
	20035: "the API does not belong to this gateway",
	21001: "request parameter error",
	21002: "request parameters must not be empty",
	30000: "no permission to call this target API",
	30001: "client_id and partner_id do not match",
	50000: "internal system error",
	50001: "business service error",
	50002: "internal error of the business system",
	52001: "gateway business service error",
	52002: "internal error of the gateway",
	52004: "request body too large",
	52101: "this API is being throttled; try again later",
	52102: "this API is unavailable for now; try again later",
	52103: "the service is unavailable for now; try again later",
	70031: "calls too frequent; lower the call rate",
	70032: "this request is forbidden",
	70033: "this API is offline for maintenance; try again later",
	70034: "the user or app is at risk; calls forbidden",
	70035: "the user or app is at risk; calls forbidden; contact ddjb@pinduoduo.com",
	70036: "the app is in test status; its calls are limited",
}

// kindOf classifies a code, documented or not. An undocumented code in the
// 5xxxx range is taken for the platform's trouble, like its documented
// neighbours; any other for a refusal of the request.
func kindOf(code int) sdk.ErrorKind {
	if k, ok := errorKinds[code]; ok {
		return k
	}
	if code >= 50000 && code < 60000 {
		return sdk.KindUnavailable
	}
	return sdk.KindInvalid
}

// APIError is one error_response, kept whole so callers can tell an
// item's refusal from the whole call's.
type APIError struct {
	Code      int
	Msg       string
	SubCode   string
	SubMsg    string
	RequestID string
	// RetryAfter is what the response's Retry-After header asked for; the
	// platform documents no wait in its bodies.
	RetryAfter time.Duration
}

func (e *APIError) Error() string { return e.SDK().Error() }

// SDK converts e to the SDK's typed error: Code is the platform's
// error_code, Message its error_msg (with an English gloss when it is
// Chinese) with sub_code, sub_msg and request_id for the operator to
// quote, after the settings to check for a credential refusal.
func (e *APIError) SDK() *sdk.Error {
	msg := e.Msg
	if g, ok := glosses[e.Code]; ok && !isASCII(e.Msg) {
		msg += " (" + strconv.Quote(g) + ")"
	}
	if e.SubMsg != "" && e.SubMsg != e.Msg {
		msg += "; " + e.SubMsg
	}
	if e.SubCode != "" {
		msg += " (sub_code " + e.SubCode + ")"
	}
	if e.RequestID != "" {
		msg += " [request_id " + e.RequestID + "]"
	}
	out := &sdk.Error{Kind: kindOf(e.Code), Code: strconv.Itoa(e.Code), Message: msg}
	if h, ok := authHints[e.Code]; ok && out.Kind == sdk.KindAuth {
		out.Message = h + "; Pinduoduo said: " + msg
	}
	if out.Kind.Retryable() {
		out.RetryAfter = e.RetryAfter
	}
	return out
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// GoodsMissing reports whether e is the refusal of one goods id that does
// not exist for this mall, rather than a fault of the call: a business
// error (21001 请求参数错误 or 50001 业务服务错误) whose sub message says the
// goods does not exist. The code of that case is not documented, so the
// message decides.
func (e *APIError) GoodsMissing() bool {
	if e.Code != 21001 && e.Code != 50001 {
		return false
	}
	text := e.SubMsg + " " + e.Msg + " " + e.SubCode
	return strings.Contains(text, "不存在") || strings.Contains(strings.ToLower(text), "not_exist") ||
		strings.Contains(strings.ToLower(text), "not exist")
}

// errorBody is the wire form. sub_code is null in the documented example
// and a string elsewhere; error_code is a number but tolerated as a string.
type errorBody struct {
	ErrorCode json.RawMessage `json:"error_code"`
	ErrorMsg  string          `json:"error_msg"`
	SubCode   json.RawMessage `json:"sub_code"`
	SubMsg    string          `json:"sub_msg"`
	RequestID json.RawMessage `json:"request_id"`
}

func (b errorBody) toAPIError() (*APIError, error) {
	code, err := strconv.Atoi(unquote(b.ErrorCode))
	if err != nil {
		return nil, fmt.Errorf("error_code %s is not a number", b.ErrorCode)
	}
	return &APIError{Code: code, Msg: b.ErrorMsg, SubCode: unquote(b.SubCode), SubMsg: b.SubMsg, RequestID: unquote(b.RequestID)}, nil
}

// unquote renders a JSON scalar as text: a string without its quotes, a
// number as written, null as "".
func unquote(raw json.RawMessage) string {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return ""
	}
	var str string
	if json.Unmarshal(raw, &str) == nil {
		return str
	}
	return s
}
