package aop_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/marketsync/marketsync/plugins/alibaba1688/aop"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/httpclient"
)

func TestCallSendsWhatTheSDKsSend(t *testing.T) {
	var got *http.Request
	var body string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got, body = r, string(b)
		w.Write([]byte(`{"success":true}`))
	}))
	defer srv.Close()
	hc, _ := httpclient.New(httpclient.Options{})
	c, err := aop.New(aop.Options{
		Endpoint: srv.URL + "/openapi/", AppKey: "8888888", AppSecret: "s3cr3t", AccessToken: "tok en",
		HTTP: hc, Now: func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	api := aop.API{Namespace: "com.alibaba.product", Name: "alibaba.cross.productInfo", Version: 1}
	out, err := c.Call(context.Background(), api, aop.Param{Key: "productId", Value: "573741401425"})
	if err != nil || string(out) != `{"success":true}` {
		t.Fatalf("Call = %q, %v", out, err)
	}
	if got.Method != http.MethodPost || got.URL.Path != "/openapi/param2/1/com.alibaba.product/alibaba.cross.productInfo/8888888" || got.URL.RawQuery != "" {
		t.Errorf("request %s %s?%s", got.Method, got.URL.Path, got.URL.RawQuery)
	}
	if ct := got.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded; charset=UTF-8" {
		t.Errorf("Content-Type %q", ct)
	}
	form, err := url.ParseQuery(body)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"productId":      "573741401425",
		"access_token":   "tok en",
		"_aop_timestamp": "1772366400000", // 2026-03-01T12:00:00Z in ms
	}
	for k, v := range want {
		if form.Get(k) != v {
			t.Errorf("%s = %q, want %q (body %s)", k, form.Get(k), v, body)
		}
	}
	var params []aop.Param
	for k, v := range want {
		params = append(params, aop.Param{Key: k, Value: v})
	}
	if sig := aop.Sign("s3cr3t", "param2/1/com.alibaba.product/alibaba.cross.productInfo/8888888", params); form.Get("_aop_signature") != sig {
		t.Errorf("_aop_signature %q, want %q", form.Get("_aop_signature"), sig)
	}
	if len(form) != 4 {
		t.Errorf("unexpected parameters in %s", body)
	}
}

func TestCallReturnsTheGatewayRefusal(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3")
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"error_code":"gw.QosAppFrequencyLimit","error_message":"App call exceeds limited frequency"}`))
	}))
	defer srv.Close()
	hc, _ := httpclient.New(httpclient.Options{})
	c, _ := aop.New(aop.Options{Endpoint: srv.URL, AppKey: "k", AppSecret: "s", HTTP: hc})
	_, err := c.Call(context.Background(), aop.API{Namespace: "n", Name: "a", Version: 1})
	var e *sdk.Error
	if !errors.As(err, &e) || e.Kind != sdk.KindRateLimited || e.RetryAfter != 3*time.Second {
		t.Errorf("got %v, want RATE_LIMITED after 3s", err)
	}
}

func TestNewRefusesUnusableOptions(t *testing.T) {
	hc, _ := httpclient.New(httpclient.Options{})
	for name, o := range map[string]aop.Options{
		"relative endpoint": {Endpoint: "gw.open.1688.com/openapi", AppKey: "k", AppSecret: "s", HTTP: hc},
		"endpoint query":    {Endpoint: "https://gw.open.1688.com/openapi?x=1", AppKey: "k", AppSecret: "s", HTTP: hc},
		"no app key":        {AppSecret: "s", HTTP: hc},
		"app key with path": {AppKey: "a/b", AppSecret: "s", HTTP: hc},
		"no secret":         {AppKey: "k", HTTP: hc},
		"no http client":    {AppKey: "k", AppSecret: "s"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := aop.New(o); err == nil {
				t.Error("accepted")
			}
		})
	}
}
