package admin

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/httpclient"
)

func TestCheckShop(t *testing.T) {
	for shop, ok := range map[string]bool{
		"acme.myshopify.com": true, "acme-2.myshopify.com": true,
		"acme.com": false, "https://acme.myshopify.com": false, "ACME.myshopify.com": false,
		"acme.myshopify.com/admin": false, ".myshopify.com": false, "evil.myshopify.com.example": false,
	} {
		if err := CheckShop(shop); (err == nil) != ok {
			t.Errorf("%q: %v", shop, err)
		}
	}
}

// serveAnswer serves one canned answer and records the request.
func serveAnswer(t *testing.T, status int, body string) (*Client, *http.Request) {
	t.Helper()
	var got http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = *r.Clone(context.Background())
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	hc, _ := httpclient.New(httpclient.Options{Timeout: 5 * time.Second})
	c, err := New(Options{Shop: "acme.myshopify.com", Token: "shpat_x", Endpoint: srv.URL, HTTP: hc})
	if err != nil {
		t.Fatal(err)
	}
	return c, &got
}

func TestErrorMapping(t *testing.T) {
	for name, tc := range map[string]struct {
		status int
		body   string
		kind   sdk.ErrorKind
		code   string
		after  time.Duration
		says   string
	}{
		"throttled": {200, `{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED"}}],"extensions":{"cost":{"requestedQueryCost":202,"actualQueryCost":null,"throttleStatus":{"maximumAvailable":1000.0,"currentlyAvailable":118,"restoreRate":50.0}}}}`,
			sdk.KindRateLimited, "THROTTLED", 1680 * time.Millisecond, "Throttled"},
		"throttled without a code": {200, `{"errors":[{"message":"Throttled"}],"extensions":{"cost":{"requestedQueryCost":70,"actualQueryCost":null,"throttleStatus":{"maximumAvailable":1000.0,"currentlyAvailable":66,"restoreRate":50.0}}}}`,
			sdk.KindRateLimited, "THROTTLED", 80 * time.Millisecond, ""},
		"401":          {401, `{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}`, sdk.KindAuth, "http_401", 0, SettingToken},
		"403":          {403, ``, sdk.KindAuth, "http_403", 0, "scope"},
		"404":          {404, ``, sdk.KindInvalid, "http_404", 0, SettingShop},
		"502":          {502, `<html>`, sdk.KindUnavailable, "", 0, ""},
		"internal":     {200, `{"errors":[{"message":"Internal error","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}`, sdk.KindUnavailable, "INTERNAL_SERVER_ERROR", 0, ""},
		"access":       {200, `{"errors":[{"message":"Access denied for productSet field.","extensions":{"code":"ACCESS_DENIED"}}]}`, sdk.KindAuth, "ACCESS_DENIED", 0, SettingToken},
		"max cost":     {200, `{"errors":[{"message":"Query cost is 1200","extensions":{"code":"MAX_COST_EXCEEDED"}}]}`, sdk.KindInvalid, "MAX_COST_EXCEEDED", 0, ""},
		"schema error": {200, `{"errors":[{"message":"Field 'x' doesn't exist on type 'Product'"}]}`, sdk.KindInvalid, CodeGraphQL, 0, "doesn't exist"},
		"not json":     {200, `<html>`, sdk.KindUnavailable, CodeMalformed, 0, ""},
	} {
		t.Run(name, func(t *testing.T) {
			c, _ := serveAnswer(t, tc.status, tc.body)
			_, err := c.Do(context.Background(), "{ shop { name } }", nil)
			e, ok := sdk.AsError(err)
			switch {
			case !ok || e.Kind != tc.kind || tc.code != "" && e.Code != tc.code:
				t.Errorf("got %v, want %s %s", err, tc.kind, tc.code)
			case e.RetryAfter != tc.after:
				t.Errorf("retry after %s, want %s", e.RetryAfter, tc.after)
			case !strings.Contains(e.Message, tc.says):
				t.Errorf("message %q does not say %q", e.Message, tc.says)
			}
		})
	}
}

func TestRequestAndQuota(t *testing.T) {
	c, got := serveAnswer(t, 200, `{"data":{"shop":{"name":"Acme"}},"extensions":{"cost":{"requestedQueryCost":1,"actualQueryCost":1,"throttleStatus":{"maximumAvailable":1000.0,"currentlyAvailable":999.5,"restoreRate":50.0}}}}`)
	resp, err := c.Do(context.Background(), "{ shop { name } }", map[string]any{"a": 1})
	if err != nil {
		t.Fatal(err)
	}
	if got.URL.Path != "/admin/api/"+APIVersion+"/graphql.json" || got.Header.Get(HeaderAccessToken) != "shpat_x" || got.Method != http.MethodPost {
		t.Errorf("request %s %s %v", got.Method, got.URL.Path, got.Header)
	}
	if q := resp.Quota; q == nil || q.Remaining != 999 || q.Limit != 1000 || q.Cost != 1 || !q.Reset.IsZero() {
		t.Errorf("quota %+v", resp.Quota)
	}
	if string(resp.Data) != `{"shop":{"name":"Acme"}}` {
		t.Errorf("data %s", resp.Data)
	}
}

func TestNewRefusesOtherHosts(t *testing.T) {
	hc, _ := httpclient.New(httpclient.Options{})
	if _, err := New(Options{Shop: "acme.example.com", Token: "t", HTTP: hc}); err == nil {
		t.Error("a shop outside myshopify.com was accepted")
	}
	c, err := New(Options{Shop: "acme.myshopify.com", Token: "t", HTTP: hc})
	if err != nil || c.Base() != "https://acme.myshopify.com" {
		t.Errorf("%v %v", c, err)
	}
}

func TestTallyAddsTheCostOfEveryDocument(t *testing.T) {
	var q *sdk.Quota
	q = Tally(q, &Response{Quota: &sdk.Quota{Remaining: 900, Limit: 1000, Cost: 100}})
	q = Tally(q, nil)
	q = Tally(q, &Response{})
	q = Tally(q, &Response{Quota: &sdk.Quota{Remaining: 880, Limit: 1000, Cost: 12}})
	if q.Remaining != 880 || q.Limit != 1000 || q.Cost != 112 {
		t.Errorf("tallied %+v, want the last bucket (880 of 1000) and the cost of both documents (112)", *q)
	}
}
