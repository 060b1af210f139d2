package top

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/marketsync/marketsync/sdk"
)

// Every documented platform code with the kind it must map to, written
// from the error reference's descriptions and solutions.
var wantCodeKinds = map[int]sdk.ErrorKind{
	3: sdk.KindInvalid, 4: sdk.KindRateLimited, 5: sdk.KindRateLimited, 6: sdk.KindRateLimited,
	7: sdk.KindRateLimited, 8: sdk.KindRateLimited, 9: sdk.KindInvalid, 10: sdk.KindUnavailable,
	11: sdk.KindAuth, 12: sdk.KindAuth, 13: sdk.KindAuth, 15: sdk.KindUnavailable,
	21: sdk.KindInvalid, 22: sdk.KindInvalid, 23: sdk.KindInvalid, 24: sdk.KindInvalid,
	25: sdk.KindAuth, 26: sdk.KindAuth, 27: sdk.KindAuth, 28: sdk.KindAuth, 29: sdk.KindAuth,
	30: sdk.KindInvalid, 31: sdk.KindInvalid, 32: sdk.KindInvalid, 33: sdk.KindInvalid, 34: sdk.KindInvalid,
	40: sdk.KindInvalid, 41: sdk.KindInvalid, 42: sdk.KindAuth, 43: sdk.KindInvalid,
}

// Every documented sub code, with the code it comes with.
var wantSubKinds = map[string]struct {
	code int
	kind sdk.ErrorKind
}{
	"accesscontrol.limited-by-app-access-count":     {7, sdk.KindRateLimited},
	"accesscontrol.limited-by-api-access-count":     {7, sdk.KindRateLimited},
	"accesscontrol.limited-by-app-api-access-count": {7, sdk.KindRateLimited},
	"isv.access-limited-by-app-access-count":        {7, sdk.KindRateLimited},
	"isv.access-limited-by-api-access-count":        {7, sdk.KindRateLimited},
	"isv.access-limited-by-app-api-access-count":    {7, sdk.KindRateLimited},
	"isp.top-remote-connection-timeout":             {15, sdk.KindUnavailable},
	"isp.top-remote-connection-error":               {15, sdk.KindUnavailable},
	"isp.top-remote-service-unavailable":            {15, sdk.KindUnavailable},
	"isp.top-mapping-parse-error":                   {15, sdk.KindUnavailable},
	"isp.unknown-error":                             {15, sdk.KindUnavailable},
	"isp.redirect-error":                            {15, sdk.KindUnavailable},
	"invalid-sessionkey":                            {27, sdk.KindAuth},
	"session-expired":                               {27, sdk.KindAuth},
	"isv.invalid-persistent-session-pattern":        {27, sdk.KindAuth},
	"isv.persistent-session-not-exist":              {27, sdk.KindAuth},
	"isv.appkey-not-exists":                         {29, sdk.KindAuth},
	"isv.permission-api-package-limit":              {11, sdk.KindAuth},
	"isv.timestamp-limit-error":                     {31, sdk.KindInvalid},
	"isv.replayattack-timestamp-invalid-error":      {31, sdk.KindInvalid},
	"isv.request-replay-error":                      {31, sdk.KindInvalid},
	"isv.missing-parameter":                         {40, sdk.KindInvalid},
	"isv.invalid-parameter":                         {41, sdk.KindInvalid},
	"isv.item-not-exist":                            {15, sdk.KindNotFound},
}

func TestEveryDocumentedCodeMaps(t *testing.T) {
	for code, want := range wantCodeKinds {
		e := APIError{Code: json.Number(itoa(code)), Msg: "m"}
		if got := e.Kind(); got != want {
			t.Errorf("code %d: %s, want %s", code, got, want)
		}
	}
	for code := range codeKinds {
		if _, ok := wantCodeKinds[code]; !ok {
			t.Errorf("code %d is mapped but not tested", code)
		}
	}
}

func TestEveryDocumentedSubCodeMaps(t *testing.T) {
	for sub, want := range wantSubKinds {
		e := APIError{Code: json.Number(itoa(want.code)), SubCode: sub}
		if got := e.Kind(); got != want.kind {
			t.Errorf("%d/%s: %s, want %s", want.code, sub, got, want.kind)
		}
	}
	for sub := range subKinds {
		if _, ok := wantSubKinds[sub]; !ok {
			t.Errorf("sub code %s is mapped but not tested", sub)
		}
	}
}

func TestSubCodeRules(t *testing.T) {
	for name, tc := range map[string]struct {
		code string
		sub  string
		want sdk.ErrorKind
	}{
		"detail suffix":                  {"41", "isv.invalid-parameter:num_iids", sdk.KindInvalid},
		"item not found with detail":     {"15", "isv.item-not-exist:620000000001", sdk.KindNotFound},
		"unknown isp is transient":       {"15", "isp.some-backend-busy", sdk.KindUnavailable},
		"unknown isv is the caller's":    {"15", "isv.item-is-locked", sdk.KindInvalid},
		"isv overrides a transient code": {"10", "isv.invalid-parameter", sdk.KindInvalid},
		"unknown gateway code":           {"99", "", sdk.KindInvalid},
		"unknown business code":          {"560", "", sdk.KindUnavailable},
		"code as a string":               {"27", "", sdk.KindAuth},
		"unreadable code":                {"x", "", sdk.KindUnavailable},
	} {
		t.Run(name, func(t *testing.T) {
			e := APIError{Code: json.Number(tc.code), SubCode: tc.sub}
			if got := e.Kind(); got != tc.want {
				t.Errorf("%s/%s: %s, want %s", tc.code, tc.sub, got, tc.want)
			}
		})
	}
}

func TestRetryAfterFromBanAndHeader(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for name, tc := range map[string]struct {
		e      APIError
		header string
		want   time.Duration
	}{
		"ban message":      {APIError{Code: "7", Msg: "App Call Limited", SubCode: "accesscontrol.limited-by-app-access-count", SubMsg: "This ban will last for 31062 more seconds"}, "", 31062 * time.Second},
		"one second":       {APIError{Code: "7", SubCode: "accesscontrol.limited-by-app-api-access-count", SubMsg: "This ban will last for 1 more seconds"}, "", time.Second},
		"ban beats header": {APIError{Code: "7", SubMsg: "This ban will last for 2 more seconds"}, "30", 2 * time.Second},
		"header only":      {APIError{Code: "7", SubCode: "accesscontrol.limited-by-api-access-count"}, "12", 12 * time.Second},
		"http date header": {APIError{Code: "8"}, "Sun, 01 Mar 2026 12:00:05 GMT", 5 * time.Second},
		"nothing said":     {APIError{Code: "7"}, "", 0},
		"not rate limited": {APIError{Code: "25", SubMsg: "This ban will last for 9 more seconds"}, "", 0},
	} {
		t.Run(name, func(t *testing.T) {
			h := http.Header{}
			if tc.header != "" {
				h.Set("Retry-After", tc.header)
			}
			got := tc.e.SDKError(h, now)
			if got.RetryAfter != tc.want {
				t.Errorf("retry after %s, want %s (%v)", got.RetryAfter, tc.want, got)
			}
		})
	}
}

func TestSDKErrorKeepsPlatformWords(t *testing.T) {
	e := APIError{Code: "27", Msg: "Invalid session", SubCode: "invalid-sessionkey", SubMsg: "非法或过期的SessionKey参数", RequestID: "abc"}
	got := e.SDKError(nil, time.Time{})
	if got.Kind != sdk.KindAuth || got.Code != "27/invalid-sessionkey" || got.Message != `the platform rejected the session — check session (expired or revoked: authorise the app again); Taobao said: Invalid session: 非法或过期的SessionKey参数 ("invalid or expired SessionKey") (request_id abc)` {
		t.Errorf("%+v", got)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestCredentialRefusalsSayWhatToCheck(t *testing.T) {
	for name, tc := range map[string]struct {
		e    APIError
		want string
	}{
		"signature": {APIError{Code: "25", Msg: "Invalid signature"},
			"the platform rejected the signature — check app_secret and sign_method; Taobao said: Invalid signature"},
		"app key": {APIError{Code: "29", Msg: "Invalid app Key"},
			"the platform does not know the app key — check app_key; Taobao said: Invalid app Key"},
		"app key by sub code": {APIError{Code: "15", Msg: "Remote service error", SubCode: "isv.appkey-not-exists"},
			"the platform does not know the app key — check app_key; Taobao said: Remote service error"},
		"not a credential refusal": {APIError{Code: "41", Msg: "Invalid arguments"}, "Invalid arguments"},
	} {
		t.Run(name, func(t *testing.T) {
			if got := tc.e.SDKError(nil, time.Time{}).Message; got != tc.want {
				t.Errorf("message %q, want %q", got, tc.want)
			}
		})
	}
}
