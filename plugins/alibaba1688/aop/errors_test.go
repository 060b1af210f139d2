package aop_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/marketsync/marketsync/plugins/alibaba1688/aop"
	"github.com/marketsync/marketsync/sdk"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// Every code the package knows, each with the kind the SDK's typed errors
// call for (quota → RATE_LIMITED, signature and parameters → INVALID,
// credentials → AUTH), written out independently of the package's own
// table.
var wantKinds = map[string]sdk.ErrorKind{
	"gw.QosAppFrequencyLimit": sdk.KindRateLimited,
	"gw.QosAPIFrequencyLimit": sdk.KindRateLimited,
	"gw.NoUsageLeftError":     sdk.KindRateLimited,
	"gw.SignatureInvalid":     sdk.KindAuth,
	"gw.SignatureMissing":     sdk.KindInvalid,
	"gw.AppKeyMissing":        sdk.KindInvalid,
	"gw.AppKeyNotFound":       sdk.KindAuth,
	"gw.APIUnsupported":       sdk.KindInvalid,
	"gw.APIACLDecline":        sdk.KindAuth,
	"gw.ParamMissing":         sdk.KindInvalid,
	"401":                     sdk.KindAuth,
	"gw.ParamInvalid":         sdk.KindInvalid,
	"gw.TimestampInvalid":     sdk.KindInvalid,
}

func TestEveryKnownCodeIsMapped(t *testing.T) {
	known := aop.KnownCodes()
	for code, want := range wantKinds {
		t.Run(code, func(t *testing.T) {
			if !slices.Contains(known, code) {
				t.Fatalf("%s is not among the package's known codes", code)
			}
			e := aop.Classify(http.StatusBadRequest, code, "message of "+code, nil, now)
			if e.Kind != want || e.Code != code || !strings.HasSuffix(e.Message, "message of "+code) ||
				(want == sdk.KindAuth) != strings.Contains(e.Message, " — ") {
				t.Errorf("Classify(%s) = %+v, want kind %s with the code and message kept, after what to check for AUTH", code, e, want)
			}
		})
	}
	for _, code := range known {
		if _, ok := wantKinds[code]; !ok {
			t.Errorf("known code %s has no row in this test", code)
		}
	}
}

func TestUnknownCodesByNameAndStatus(t *testing.T) {
	for name, tc := range map[string]struct {
		status int
		code   string
		want   sdk.ErrorKind
	}{
		"other qos limit":         {400, "gw.QosIpFrequencyLimit", sdk.KindRateLimited},
		"other signature problem": {400, "gw.SignatureExpired", sdk.KindInvalid},
		"token problem":           {400, "gw.AccessTokenExpired", sdk.KindAuth},
		"platform busy":           {400, "gw.SystemBusy", sdk.KindUnavailable},
		"service unavailable":     {503, "gw.ServiceUnavailable", sdk.KindUnavailable},
		"numeric 403":             {400, "403", sdk.KindAuth},
		"numeric 500":             {200, "500", sdk.KindUnavailable},
		"opaque code, 5xx":        {502, "gw.Oops", sdk.KindUnavailable},
		"opaque code, 4xx":        {400, "gw.Oops", sdk.KindInvalid},
		"opaque code in a 200":    {200, "gw.Oops", sdk.KindInvalid},
	} {
		t.Run(name, func(t *testing.T) {
			if e := aop.Classify(tc.status, tc.code, "", nil, now); e.Kind != tc.want {
				t.Errorf("Classify(%d, %s) = %s, want %s", tc.status, tc.code, e.Kind, tc.want)
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	for name, tc := range map[string]struct {
		header  string
		message string
		want    time.Duration
	}{
		"header seconds":            {"7", "App call exceeds limited frequency", 7 * time.Second},
		"header date":               {now.Add(90 * time.Second).Format(http.TimeFormat), "", 90 * time.Second},
		"header wins over message":  {"2", "ban will last 30 more seconds", 2 * time.Second},
		"ban message":               {"", "App call exceeds limited frequency, ban will last 30 more seconds", 30 * time.Second},
		"short unit":                {"", "retry after 5s", 5 * time.Second},
		"chinese":                   {"", "调用频率超限，请3秒后重试", 3 * time.Second},
		"nothing said":              {"", "App call exceeds limited frequency", 0},
		"malformed header, message": {"soon", "wait 4 seconds", 4 * time.Second},
	} {
		t.Run(name, func(t *testing.T) {
			h := http.Header{}
			if tc.header != "" {
				h.Set("Retry-After", tc.header)
			}
			e := aop.Classify(400, "gw.QosAppFrequencyLimit", tc.message, h, now)
			if e.Kind != sdk.KindRateLimited || e.RetryAfter != tc.want {
				t.Errorf("got %s after %s, want RATE_LIMITED after %s", e.Kind, e.RetryAfter, tc.want)
			}
		})
	}
}

func TestParseError(t *testing.T) {
	for name, tc := range map[string]struct {
		status   int
		body     string
		wantNil  bool
		wantKind sdk.ErrorKind
		wantCode string
	}{
		"success":                               {200, `{"success":true,"productInfo":{}}`, true, 0, ""},
		"business errorCode in 2xx is not ours": {200, `{"success":false,"errorCode":"X","errorMsg":"y"}`, true, 0, ""},
		"gateway error with status":             {400, `{"error_code":"gw.SignatureInvalid","error_message":"Invalid signature","request_id":"r1"}`, false, sdk.KindAuth, "gw.SignatureInvalid"},
		"gateway error inside a 200":            {200, `{"error_code":"gw.QosAppFrequencyLimit","error_message":"App call exceeds limited frequency"}`, false, sdk.KindRateLimited, "gw.QosAppFrequencyLimit"},
		"token refused, numeric code":           {401, `{"error_code":401,"error_message":"Request need user authorized"}`, false, sdk.KindAuth, "401"},
		"java fallback names":                   {400, `{"errorCode":"gw.APIUnsupported","errorMessage":"no such api"}`, false, sdk.KindInvalid, "gw.APIUnsupported"},
		"bare 502":                              {502, ``, false, sdk.KindUnavailable, "http_502"},
		"html 504":                              {504, `<html>gateway timeout</html>`, false, sdk.KindUnavailable, "http_504"},
		"bare 429":                              {429, ``, false, sdk.KindRateLimited, "http_429"},
	} {
		t.Run(name, func(t *testing.T) {
			e := aop.ParseError(tc.status, http.Header{}, []byte(tc.body), now)
			if tc.wantNil {
				if e != nil {
					t.Fatalf("got %v, want no error", e)
				}
				return
			}
			if e == nil || e.Kind != tc.wantKind || e.Code != tc.wantCode {
				t.Errorf("got %v, want %s %s", e, tc.wantKind, tc.wantCode)
			}
		})
	}
}
