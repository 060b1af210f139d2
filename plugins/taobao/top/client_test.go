package top_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/marketsync/marketsync/plugins/taobao/sim"
	"github.com/marketsync/marketsync/plugins/taobao/top"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/faultinject"
	"github.com/marketsync/marketsync/sdk/httpclient"
)

// clock is a fixed instant: 2026-03-01 20:00:00 in GMT+8.
var clock = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newClient(t *testing.T, endpoint string, creds top.Credentials, method top.SignMethod, now time.Time) *top.Client {
	t.Helper()
	hc, err := httpclient.New(httpclient.Options{Timeout: 10 * time.Second, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	c, err := top.NewClient(endpoint, creds, method, hc, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestEncodeSplitsAndSigns(t *testing.T) {
	creds := top.Credentials{AppKey: "12345678", AppSecret: "helloworld", Session: "test"}
	c := newClient(t, "https://eco.taobao.com/router/rest", creds, top.SignHMACSHA256, clock)
	query, body, err := c.Encode("taobao.items.seller.list.get", map[string]string{
		"fields": "num_iid,title", "num_iids": "1,2", "empty": "", "blank": "  ",
	})
	if err != nil {
		t.Fatal(err)
	}
	q, _ := url.ParseQuery(query)
	b, _ := url.ParseQuery(body)
	want := map[string]string{
		"method": "taobao.items.seller.list.get", "app_key": "12345678", "session": "test",
		"timestamp": "2026-03-01 20:00:00", "v": "2.0", "format": "json", "sign_method": "hmac-sha256",
	}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("query %s = %q, want %q", k, q.Get(k), v)
		}
	}
	if len(b) != 2 || b.Get("fields") != "num_iid,title" || b.Get("num_iids") != "1,2" {
		t.Errorf("body %q: want only the two non-empty API parameters", body)
	}
	if q.Has("empty") || q.Has("blank") {
		t.Errorf("query %q carries an API parameter", query)
	}
	all := map[string]string{"fields": "num_iid,title", "num_iids": "1,2"}
	for k, v := range want {
		all[k] = v
	}
	sign, _ := top.Sign(all, "helloworld", top.SignHMACSHA256)
	if q.Get("sign") != sign {
		t.Errorf("sign %s does not cover query and body (want %s)", q.Get("sign"), sign)
	}
	if _, _, err := c.Encode("taobao.items.onsale.get", map[string]string{"session": "x"}); err == nil {
		t.Error("an API parameter named like a system parameter was accepted")
	}
}

func TestResponseKey(t *testing.T) {
	for api, want := range map[string]string{
		"taobao.items.onsale.get":      "items_onsale_get_response",
		"taobao.item.get":              "item_get_response",
		"tmall.item.increment.update":  "tmall_item_increment_update_response",
		"taobao.items.seller.list.get": "items_seller_list_get_response",
	} {
		if got := top.ResponseKey(api); got != want {
			t.Errorf("%s: %s, want %s", api, got, want)
		}
	}
}

func TestCallAgainstSimulator(t *testing.T) {
	gw := sim.New(sim.Options{Seed: 3, Items: 50, Now: func() time.Time { return clock }})
	srv := httptest.NewServer(gw.Handler())
	defer srv.Close()
	creds := top.Credentials(gw.Credentials())
	endpoint := srv.URL + sim.Path
	ids := gw.OnSaleIDs()[:3]
	params := map[string]string{"fields": "num_iid,title", "num_iids": strings.Join(ids, ",")}

	for _, m := range []top.SignMethod{top.SignMD5, top.SignHMAC, top.SignHMACSHA256} {
		raw, err := newClient(t, endpoint, creds, m, clock).Call(context.Background(), "taobao.items.seller.list.get", params)
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		var body struct {
			Items map[string][]any `json:"items"`
		}
		if err := json.Unmarshal(raw, &body); err != nil || len(body.Items["item"]) != 3 {
			t.Fatalf("%s: %s (%v)", m, raw, err)
		}
	}

	for name, tc := range map[string]struct {
		creds top.Credentials
		now   time.Time
		kind  sdk.ErrorKind
		code  string
	}{
		"wrong session":  {top.Credentials{AppKey: creds.AppKey, AppSecret: creds.AppSecret, Session: "expired"}, clock, sdk.KindAuth, "27/invalid-sessionkey"},
		"wrong secret":   {top.Credentials{AppKey: creds.AppKey, AppSecret: "guess", Session: creds.Session}, clock, sdk.KindAuth, "25"},
		"unknown app":    {top.Credentials{AppKey: "999", AppSecret: creds.AppSecret, Session: creds.Session}, clock, sdk.KindAuth, "29/isv.appkey-not-exists"},
		"clock too slow": {creds, clock.Add(-11 * time.Minute), sdk.KindInvalid, "31"},
		"clock too fast": {creds, clock.Add(11 * time.Minute), sdk.KindInvalid, "31"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := newClient(t, endpoint, tc.creds, top.SignHMACSHA256, tc.now).Call(context.Background(), "taobao.items.seller.list.get", params)
			if !errors.Is(err, &sdk.Error{Kind: tc.kind, Code: tc.code}) {
				t.Errorf("got %v, want %s %s", err, tc.kind, tc.code)
			}
		})
	}
}

// Faults injected in front of the simulator reach the caller as the
// typed errors the host acts on.
func TestFaultsBecomeTypedErrors(t *testing.T) {
	gw := sim.New(sim.Options{Seed: 4, Items: 20, Now: func() time.Time { return clock }})
	srv := httptest.NewServer(gw.Handler())
	defer srv.Close()
	c := newClient(t, srv.URL+sim.Path, top.Credentials(gw.Credentials()), top.SignHMACSHA256, clock)
	params := map[string]string{"fields": "num_iid", "page_no": "1"}
	for name, tc := range map[string]struct {
		fault faultinject.Fault
		kind  sdk.ErrorKind
		code  string
		after time.Duration
	}{
		"502":        {faultinject.Status(http.StatusBadGateway, nil), sdk.KindUnavailable, "http_502", 0},
		"429":        {faultinject.TooManyRequests(9 * time.Second), sdk.KindRateLimited, "http_429", 9 * time.Second},
		"429 dated":  {faultinject.TooManyRequestsUntil(4 * time.Second), sdk.KindRateLimited, "http_429", 4 * time.Second},
		"reset":      {faultinject.Reset(), sdk.KindUnavailable, httpclient.CodeConnection, 0},
		"truncated":  {faultinject.Truncated(), sdk.KindUnavailable, "bad_response", 0},
		"garbage":    {faultinject.Garbage(32), sdk.KindUnavailable, "bad_response", 0},
		"isp in 200": {faultinject.ErrorBody(ispTimeout), sdk.KindUnavailable, "15/isp.top-remote-connection-timeout", 0},
		"ban in 200": {faultinject.ErrorBody(apiBan), sdk.KindRateLimited, "7/accesscontrol.limited-by-api-access-count", 3 * time.Second},
	} {
		t.Run(name, func(t *testing.T) {
			gw.Faults().Clear()
			if err := gw.Faults().Add(faultinject.Rule{Fault: tc.fault, Match: faultinject.Param("method", "taobao.items.onsale.get"), When: faultinject.Next(1)}); err != nil {
				t.Fatal(err)
			}
			_, err := c.Call(context.Background(), "taobao.items.onsale.get", params)
			e, ok := sdk.AsError(err)
			if !ok || e.Kind != tc.kind || e.Code != tc.code {
				t.Fatalf("got %v, want %s %s", err, tc.kind, tc.code)
			}
			if e.RetryAfter != tc.after {
				t.Errorf("retry after %s, want %s", e.RetryAfter, tc.after)
			}
			if _, err := c.Call(context.Background(), "taobao.items.onsale.get", params); err != nil {
				t.Errorf("the call after the fault failed: %v", err)
			}
		})
	}
}

func ispTimeout(*http.Request) []byte {
	return []byte(`{"error_response":{"code":15,"msg":"Remote service error","sub_code":"isp.top-remote-connection-timeout","sub_msg":"连接超时"}}`)
}

func apiBan(*http.Request) []byte {
	return []byte(`{"error_response":{"code":7,"msg":"App Call Limited","sub_code":"accesscontrol.limited-by-api-access-count","sub_msg":"This ban will last for 3 more seconds"}}`)
}
