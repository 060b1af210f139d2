package iop_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/marketsync/marketsync/plugins/aliexpress/iop"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/httpclient"
)

var fixed = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newClient(t *testing.T, h http.HandlerFunc) *iop.Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	hc, err := httpclient.New(httpclient.Options{Now: func() time.Time { return fixed }})
	if err != nil {
		t.Fatal(err)
	}
	c, err := iop.New(iop.Options{Endpoint: srv.URL + "/", HTTP: hc, Now: func() time.Time { return fixed },
		Credentials: iop.Credentials{AppKey: "123456", AppSecret: "helloworld", AccessToken: "tok"}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A /sync call is a POST with the common parameters and the signature in
// the query and the business parameters in the form body, the signature
// covering both with no path in front.
func TestCallShapesTheRequestLikeTheJavaSDK(t *testing.T) {
	var query, form url.Values
	var path, method, ctype string
	c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		path, method, ctype = r.URL.Path, r.Method, r.Header.Get("Content-Type")
		query = r.URL.Query()
		body, _ := io.ReadAll(r.Body)
		form, _ = url.ParseQuery(string(body))
		io.WriteString(w, `{"aliexpress_ds_product_get_response":{"rsp_code":200}}`)
	})
	raw, err := c.Call(context.Background(), "aliexpress.ds.product.get",
		map[string]string{"product_id": "1005006057059635", "ship_to_country": "US", "blank": " ", "empty": ""})
	if err != nil {
		t.Fatal(err)
	}
	if string(raw) != `{"rsp_code":200}` {
		t.Errorf("response object %s", raw)
	}
	if path != "/sync" || method != http.MethodPost || ctype != "application/x-www-form-urlencoded;charset=utf-8" {
		t.Errorf("%s %s %s", method, path, ctype)
	}
	want := map[string]string{
		"app_key": "123456", "method": "aliexpress.ds.product.get", "session": "tok", "timestamp": "1772366400000",
		"sign_method": "sha256", "format": "json", "v": "2.0", "partner_id": "marketsync",
	}
	for k, v := range want {
		if query.Get(k) != v {
			t.Errorf("query %s = %q, want %q", k, query.Get(k), v)
		}
	}
	if len(form) != 2 || form.Get("product_id") != "1005006057059635" || form.Get("ship_to_country") != "US" {
		t.Errorf("form %v (blank parameters must not be sent)", form)
	}
	all := map[string]string{}
	for k := range query {
		all[k] = query.Get(k)
	}
	for k := range form {
		all[k] = form.Get(k)
	}
	if got := query.Get("sign"); got != iop.Sign("helloworld", "", all) {
		t.Errorf("sign %s does not cover query and body", got)
	}
}

func TestCallPathSignsWithThePath(t *testing.T) {
	var query url.Values
	c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/rest/auth/token/refresh" {
			t.Errorf("path %s", r.URL.Path)
		}
		query = r.URL.Query()
		r.ParseForm()
		io.WriteString(w, `{"code":"0","access_token":"new","request_id":"r"}`)
	})
	raw, err := c.CallPath(context.Background(), "/auth/token/refresh", map[string]string{"refresh_token": "rt"})
	if err != nil {
		t.Fatal(err)
	}
	if string(raw) != `{"code":"0","access_token":"new","request_id":"r"}` {
		t.Errorf("answer %s", raw)
	}
	if query.Get("access_token") != "tok" || query.Get("session") != "" || query.Get("method") != "" {
		t.Errorf("query %v", query)
	}
	all := map[string]string{"refresh_token": "rt"}
	for k := range query {
		all[k] = query.Get(k)
	}
	if query.Get("sign") != iop.Sign("helloworld", "/auth/token/refresh", all) {
		t.Error("signature without the path in front")
	}
	if _, err := c.CallPath(context.Background(), "auth/token/refresh", nil); err == nil {
		t.Error("a path without / was sent")
	}
}

func TestAnswersBecomeTypedErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		status int
		header map[string]string
		body   string
		rest   bool
		kind   sdk.ErrorKind
		code   string
	}{
		"sync error envelope":     {200, nil, `{"error_response":{"type":"ISV","code":"IllegalAccessToken","msg":"The specified access token is invalid or expired","request_id":"r"}}`, false, sdk.KindAuth, "IllegalAccessToken"},
		"TOP numeric code":        {200, nil, `{"error_response":{"code":15,"msg":"Remote service error","sub_code":"isp.remote-service-timeout"}}`, false, sdk.KindUnavailable, "15"},
		"rest error":              {200, nil, `{"type":"ISV","code":"IncompleteSignature","message":"The request signature does not conform to platform standards","request_id":"r"}`, true, sdk.KindAuth, "IncompleteSignature"},
		"rest numeric zero is ok": {200, nil, `{"code":0}`, true, 0, ""},
		"no response object":      {200, nil, `{"something_else_response":{}}`, false, sdk.KindUnavailable, iop.CodeMalformed},
		"cut short":               {200, nil, `{"aliexpress_ds_product_get_response":{"rsp_`, false, sdk.KindUnavailable, iop.CodeMalformed},
		"JSON but not an object":  {200, nil, `[1,2]`, false, sdk.KindUnavailable, iop.CodeMalformed},
		"HTML 502":                {502, nil, `<html>bad gateway</html>`, false, sdk.KindUnavailable, "http_502"},
		"429 with Retry-After":    {429, map[string]string{"Retry-After": "9"}, ``, false, sdk.KindRateLimited, "http_429"},
		"error envelope on a 500": {500, nil, `{"error_response":{"type":"SYSTEM","code":"ServiceError","msg":"x"}}`, false, sdk.KindUnavailable, "ServiceError"},
	} {
		t.Run(name, func(t *testing.T) {
			c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tc.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			})
			var err error
			if tc.rest {
				_, err = c.CallPath(context.Background(), "/x", nil)
			} else {
				_, err = c.Call(context.Background(), "aliexpress.ds.product.get", nil)
			}
			if tc.kind == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			e, ok := sdk.AsError(err)
			if !ok || e.Kind != tc.kind || e.Code != tc.code {
				t.Fatalf("got %v, want %s %s", err, tc.kind, tc.code)
			}
			if name == "429 with Retry-After" && e.RetryAfter != 9*time.Second {
				t.Errorf("retry after %s", e.RetryAfter)
			}
		})
	}
}

func TestClientRefusesWhatItMustNotSend(t *testing.T) {
	c := newClient(t, func(w http.ResponseWriter, r *http.Request) { t.Error("a request was sent") })
	for _, name := range []string{"session", "sign", "timestamp", "method"} {
		_, err := c.Call(context.Background(), "aliexpress.ds.product.get", map[string]string{name: "x"})
		if e, ok := sdk.AsError(err); !ok || e.Kind != sdk.KindInvalid || e.Code != iop.CodeBadRequest {
			t.Errorf("business parameter %s: %v", name, err)
		}
	}
}

func TestNewChecksItsOptions(t *testing.T) {
	hc, _ := httpclient.New(httpclient.Options{})
	creds := iop.Credentials{AppKey: "k", AppSecret: "s"}
	for name, o := range map[string]iop.Options{
		"ftp endpoint":   {Endpoint: "ftp://x", HTTP: hc, Credentials: creds},
		"endpoint query": {Endpoint: "https://x/?a=1", HTTP: hc, Credentials: creds},
		"no host":        {Endpoint: "https://", HTTP: hc, Credentials: creds},
		"no HTTP client": {Credentials: creds},
		"no app secret":  {HTTP: hc, Credentials: iop.Credentials{AppKey: "k"}},
	} {
		if _, err := iop.New(o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := iop.New(iop.Options{HTTP: hc, Credentials: creds}); err != nil {
		t.Errorf("defaults: %v", err)
	}
}
