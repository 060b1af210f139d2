package pdd

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/httpclient"
)

// documented is the error table of the API pages ("返回错误码说明"), code by
// code with the kind each must map to, written out again here so that a
// change to errorKinds has to be made twice.
var documented = []struct {
	code int
	msg  string
	kind sdk.ErrorKind
}{
	{10000, "参数错误", sdk.KindInvalid},
	{10001, "公共参数错误", sdk.KindInvalid},
	{10016, "client下线或者clientId不正确", sdk.KindAuth},
	{10017, "type不正确", sdk.KindInvalid},
	{10018, "target_client_id下线或者target_client_id不正确", sdk.KindAuth},
	{10019, "access_token已过期", sdk.KindAuth},
	{20004, "签名sign校验失败", sdk.KindAuth},
	{20005, "ip无权访问接口，请加入ip白名单", sdk.KindAuth},
	{20031, "用户没有授权访问此接口", sdk.KindAuth},
	{20032, "access_token或client_id错误", sdk.KindAuth},
	{20034, "接口处于下线状态", sdk.KindInvalid},
	{20035, "接口不属于当前网关", sdk.KindInvalid},
	{21001, "请求参数错误", sdk.KindInvalid},
	{21002, "请求参数不能为空", sdk.KindInvalid},
	{30000, "没有调用此target接口权限", sdk.KindAuth},
	{30001, "client_id和partner_id不匹配", sdk.KindAuth},
	{50000, "系统内部错误", sdk.KindUnavailable},
	{50001, "业务服务错误", sdk.KindInvalid},
	{50002, "业务系统内部异常", sdk.KindUnavailable},
	{52001, "网关业务服务错误", sdk.KindUnavailable},
	{52002, "网关系统内部异常", sdk.KindUnavailable},
	{52004, "请求body 太大", sdk.KindInvalid},
	{52101, "当前接口被限流，请稍后重试", sdk.KindRateLimited},
	{52102, "当前接口暂时不可用，请稍后重试", sdk.KindUnavailable},
	{52103, "服务暂时不可用，请稍后重试", sdk.KindUnavailable},
	{70031, "调用过于频繁，请调整调用频率", sdk.KindRateLimited},
	{70032, "当前请求被禁止调用", sdk.KindAuth},
	{70033, "当前接口因系统维护，暂时下线，请稍后再试！", sdk.KindUnavailable},
	{70034, "当前用户或应用存在风险，禁止调用！", sdk.KindAuth},
	{70035, "当前用户或应用存在风险，禁止调用。请联系ddjb@pinduoduo.com", sdk.KindAuth},
	{70036, "应用处于测试状态，调用次数被限制", sdk.KindRateLimited},
}

// gateway answers every call with status, header and body.
func gateway(t *testing.T, status int, header http.Header, body string) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	h, err := httpclient.New(httpclient.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return NewClient(srv.URL+"/api/router", Credentials{ClientID: "c", ClientSecret: "s", AccessToken: "t"}, h, nil)
}

// Every documented code, sent by a gateway as the platform sends it, comes
// out of a call as its kind with the code and messages kept.
func TestEveryDocumentedCodeMaps(t *testing.T) {
	if len(documented) != len(errorKinds) || len(glosses) != len(errorKinds) {
		t.Errorf("the table here has %d codes, errorKinds %d", len(documented), len(errorKinds))
	}
	for _, tc := range documented {
		t.Run(strconv.Itoa(tc.code), func(t *testing.T) {
			body := `{"error_response":{"error_msg":"` + tc.msg + `","sub_msg":"详细","sub_code":null,"error_code":` +
				strconv.Itoa(tc.code) + `,"request_id":"15440104776643887"}}`
			c := gateway(t, http.StatusOK, http.Header{"Retry-After": {"7"}}, body)
			var out map[string]any
			_, err := c.Call(context.Background(), "pdd.goods.detail.get", map[string]string{"goods_id": "1"}, "goods_detail_get_response", &out)
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("got %v, want an *APIError", err)
			}
			e := apiErr.SDK()
			if e.Kind != tc.kind || e.Code != strconv.Itoa(tc.code) {
				t.Errorf("got %s %s, want %s %d", e.Kind, e.Code, tc.kind, tc.code)
			}
			// The platform's words, glossed, after what to check for a
			// credential refusal.
			want := tc.msg + " (" + strconv.Quote(glosses[tc.code]) + "); 详细 [request_id 15440104776643887]"
			if tc.kind == sdk.KindAuth {
				want = authHints[tc.code] + "; Pinduoduo said: " + want
			}
			if glosses[tc.code] == "" || (tc.kind == sdk.KindAuth && authHints[tc.code] == "") || e.Message != want {
				t.Errorf("message %q, want %q", e.Message, want)
			}
			// Only a retryable refusal carries the wait the gateway asked for.
			if want := map[bool]time.Duration{true: 7 * time.Second}[tc.kind.Retryable()]; e.RetryAfter != want {
				t.Errorf("retry after %s, want %s", e.RetryAfter, want)
			}
		})
	}
}

func TestUndocumentedCodes(t *testing.T) {
	for code, want := range map[int]sdk.ErrorKind{
		50099: sdk.KindUnavailable, // the platform's range
		59999: sdk.KindUnavailable,
		10099: sdk.KindInvalid,
		60000: sdk.KindInvalid,
	} {
		if got := (&APIError{Code: code}).SDK().Kind; got != want {
			t.Errorf("%d: %s, want %s", code, got, want)
		}
	}
}

// The forms the error body takes: sub_code null, a string, a number;
// error_code as a number or a string; and bodies that are not the
// platform's.
func TestErrorBodies(t *testing.T) {
	for name, tc := range map[string]struct {
		status int
		body   string
		kind   sdk.ErrorKind
		code   string
		sub    string
	}{
		"sub_code string": {200, `{"error_response":{"error_code":50001,"error_msg":"业务服务错误","sub_code":"goods_not_exist","sub_msg":"商品不存在"}}`, sdk.KindInvalid, "50001", "goods_not_exist"},
		"sub_code number": {200, `{"error_response":{"error_code":"70031","error_msg":"调用过于频繁","sub_code":70031}}`, sdk.KindRateLimited, "70031", "70031"},
		"truncated":       {200, `{"goods_detail_get_response":{"goods_id":12`, sdk.KindUnavailable, CodeBadResponse, ""},
		"garbage":         {200, "\xff\x00garbage", sdk.KindUnavailable, CodeBadResponse, ""},
		"other key":       {200, `{"goods_list_get_response":{}}`, sdk.KindUnavailable, CodeBadResponse, ""},
		"bad error_code":  {200, `{"error_response":{"error_code":"x"}}`, sdk.KindUnavailable, CodeBadResponse, ""},
		"HTTP 502":        {502, `bad gateway`, sdk.KindUnavailable, "http_502", ""},
		"HTTP 429":        {429, ``, sdk.KindRateLimited, "http_429", ""},
	} {
		t.Run(name, func(t *testing.T) {
			c := gateway(t, tc.status, nil, tc.body)
			var out map[string]any
			_, err := c.Call(context.Background(), "pdd.goods.detail.get", nil, "goods_detail_get_response", &out)
			e, ok := sdk.AsError(CallError(err))
			if !ok || e.Kind != tc.kind || e.Code != tc.code {
				t.Fatalf("got %v, want %s %s", err, tc.kind, tc.code)
			}
			var apiErr *APIError
			if errors.As(err, &apiErr) && apiErr.SubCode != tc.sub {
				t.Errorf("sub_code %q, want %q", apiErr.SubCode, tc.sub)
			}
		})
	}
}

func TestGoodsMissingIsTheItemsNotTheCalls(t *testing.T) {
	for _, tc := range []struct {
		e    APIError
		want bool
	}{
		{APIError{Code: 50001, Msg: "业务服务错误", SubMsg: "商品不存在"}, true},
		{APIError{Code: 21001, Msg: "请求参数错误", SubCode: "goods_not_exist"}, true},
		{APIError{Code: 50001, Msg: "业务服务错误", SubMsg: "库存服务超时"}, false},
		{APIError{Code: 20032, Msg: "access_token或client_id错误", SubMsg: "token不存在"}, false},
		{APIError{Code: 10000, Msg: "参数错误:goods_id不存在"}, false},
	} {
		if got := tc.e.GoodsMissing(); got != tc.want {
			t.Errorf("%+v: %v, want %v", tc.e, got, tc.want)
		}
	}
}
