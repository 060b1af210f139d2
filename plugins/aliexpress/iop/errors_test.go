package iop

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/marketsync/marketsync/sdk"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// Every code the client knows, with the kind the host must see. The test
// also fails when codeKinds gains a code this table does not list, so a
// new code cannot go in untested.
func TestClassifyEveryKnownCode(t *testing.T) {
	want := map[string]sdk.ErrorKind{
		"IncompleteSignature":    sdk.KindAuth,
		"InvalidSignature":       sdk.KindAuth,
		"InvalidTimestamp":       sdk.KindInvalid,
		"MissingParameter":       sdk.KindInvalid,
		"InvalidParameter":       sdk.KindInvalid,
		"InvalidApiPath":         sdk.KindInvalid,
		"IllegalAccessToken":     sdk.KindAuth,
		"InvalidSession":         sdk.KindAuth,
		"InvalidAppKey":          sdk.KindAuth,
		"AppKeyNotExist":         sdk.KindAuth,
		"AppWhiteIpLimit":        sdk.KindAuth,
		"InsufficientPermission": sdk.KindAuth,
		"ApiCallLimit":           sdk.KindRateLimited,
		"AppCallLimit":           sdk.KindRateLimited,
	}
	for code := range codeKinds {
		if _, ok := want[code]; !ok {
			t.Errorf("code %s is classified but not tested here", code)
		}
	}
	for code, kind := range want {
		t.Run(code, func(t *testing.T) {
			// Type ISP would make any unknown code UNAVAILABLE: the code
			// must win over the type.
			e := Classify(ErrorBody{Type: "ISP", Code: code, Message: "m", RequestID: "r1"}, nil, now)
			if e.Kind != kind {
				t.Errorf("kind %s, want %s", e.Kind, kind)
			}
			if e.Code != code {
				t.Errorf("code %q, want the platform's %q verbatim", e.Code, code)
			}
			// A credential refusal says what to check before the
			// gateway's words.
			if hint := authHints[code]; (kind == sdk.KindAuth) != (hint != "") || !strings.HasPrefix(e.Message, hint) || !strings.Contains(e.Message, "m (type ISP, request_id r1)") {
				t.Errorf("message %q", e.Message)
			}
		})
	}
}

func TestClassifyFallbacks(t *testing.T) {
	for name, tc := range map[string]struct {
		body ErrorBody
		kind sdk.ErrorKind
		code string
	}{
		"unknown ISV code is the caller's fault": {ErrorBody{Type: "ISV", Code: "SomethingNew"}, sdk.KindInvalid, "SomethingNew"},
		"unknown ISP code is the platform's":     {ErrorBody{Type: "ISP", Code: "SomethingNew"}, sdk.KindUnavailable, "SomethingNew"},
		"unknown SYSTEM code":                    {ErrorBody{Type: "SYSTEM", Code: "Boom"}, sdk.KindUnavailable, "Boom"},
		"no type at all":                         {ErrorBody{Code: "Mystery"}, sdk.KindUnavailable, "Mystery"},
		"TOP numeric code, isv sub code":         {ErrorBody{Code: "15", SubCode: "isv.invalid-parameter"}, sdk.KindInvalid, "15"},
		"TOP numeric code, isp sub code":         {ErrorBody{Code: "15", SubCode: "isp.remote-service-timeout"}, sdk.KindUnavailable, "15"},
		"TOP call limiting sub code":             {ErrorBody{Code: "7", SubCode: "accesscontrol.limited-by-app-access-count"}, sdk.KindRateLimited, "7"},
		"known sub code under unknown code":      {ErrorBody{Code: "15", SubCode: "IllegalAccessToken"}, sdk.KindAuth, "15"},
		"only a sub code":                        {ErrorBody{SubCode: "isv.missing-parameter"}, sdk.KindInvalid, "isv.missing-parameter"},
		"unknown code with a ban message":        {ErrorBody{Type: "ISV", Code: "FlowLimit", Message: "this ban will last 4 seconds"}, sdk.KindRateLimited, "FlowLimit"},
	} {
		t.Run(name, func(t *testing.T) {
			e := Classify(tc.body, nil, now)
			if e.Kind != tc.kind || e.Code != tc.code {
				t.Errorf("got %s %q, want %s %q", e.Kind, e.Code, tc.kind, tc.code)
			}
		})
	}
}

func TestRetryAfterFromBanAndHeader(t *testing.T) {
	for name, tc := range map[string]struct {
		body   ErrorBody
		header http.Header
		want   time.Duration
	}{
		"IOP message": {ErrorBody{Code: "ApiCallLimit", Message: "Api access frequency exceeds the limit. this ban will last 1 seconds"}, nil, time.Second},
		"TOP message": {ErrorBody{Code: "7", Message: "App Call Limited", SubCode: "accesscontrol.limited-by-api-access-count",
			SubMessage: "This ban will last for 37 more seconds"}, nil, 37 * time.Second},
		"singular second":       {ErrorBody{Code: "ApiCallLimit", Message: "This ban will last 1 second"}, nil, time.Second},
		"no length given":       {ErrorBody{Code: "AppCallLimit", Message: "App call limit reached"}, nil, 0},
		"Retry-After seconds":   {ErrorBody{Code: "ApiCallLimit"}, http.Header{"Retry-After": {"12"}}, 12 * time.Second},
		"Retry-After date":      {ErrorBody{Code: "ApiCallLimit"}, http.Header{"Retry-After": {now.Add(90 * time.Second).Format(http.TimeFormat)}}, 90 * time.Second},
		"longer of the two":     {ErrorBody{Code: "ApiCallLimit", Message: "this ban will last 5 seconds"}, http.Header{"Retry-After": {"3"}}, 5 * time.Second},
		"header beats message":  {ErrorBody{Code: "ApiCallLimit", Message: "this ban will last 5 seconds"}, http.Header{"Retry-After": {"8"}}, 8 * time.Second},
		"unavailable with wait": {ErrorBody{Type: "ISP", Code: "ServiceBusy"}, http.Header{"Retry-After": {"2"}}, 2 * time.Second},
		"auth never waits":      {ErrorBody{Code: "IllegalAccessToken", Message: "this ban will last 5 seconds"}, http.Header{"Retry-After": {"8"}}, 0},
	} {
		t.Run(name, func(t *testing.T) {
			if got := Classify(tc.body, tc.header, now).RetryAfter; got != tc.want {
				t.Errorf("retry after %s, want %s", got, tc.want)
			}
		})
	}
}

func TestErrorMessageKeepsWhatSupportNeeds(t *testing.T) {
	e := Classify(ErrorBody{Type: "ISV", Code: "15", Message: "Remote service error", SubCode: "isv.invalid-parameter",
		SubMessage: "非法参数", RequestID: "2140fa3517044610955631799"}, nil, now)
	want := "Remote service error; isv.invalid-parameter 非法参数 (type ISV, request_id 2140fa3517044610955631799)"
	if e.Message != want {
		t.Errorf("message %q, want %q", e.Message, want)
	}
}

func TestScalarAcceptsStringsAndNumbers(t *testing.T) {
	var v struct {
		A, B, C, D, E Scalar
	}
	if err := json.Unmarshal([]byte(`{"A":"0","B":15,"C":1005006057059635123,"D":null,"E":true}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.A != "0" || v.B != "15" || v.C != "1005006057059635123" || v.D != "" || v.E != "true" {
		t.Errorf("%+v", v)
	}
	if err := json.Unmarshal([]byte(`{"A":{}}`), &v); err == nil {
		t.Error("an object was accepted as a scalar")
	}
}
