package wcapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/marketsync/marketsync/plugins/woocommerce/wcapi"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/httpclient"
)

func TestClassify(t *testing.T) {
	for name, tc := range map[string]struct {
		status int
		header http.Header
		body   string
		kind   sdk.ErrorKind
		code   string
		after  time.Duration
	}{
		"401 refused key": {401, nil, `{"code":"woocommerce_rest_authentication_error","message":"Consumer secret is invalid.","data":{"status":401}}`,
			sdk.KindAuth, "woocommerce_rest_authentication_error", 0},
		"403":                   {403, nil, `{"code":"rest_forbidden","message":"Sorry.","data":{"status":403}}`, sdk.KindAuth, "rest_forbidden", 0},
		"413 over the cap":      {413, nil, `{"code":"woocommerce_rest_request_entity_too_large","message":"Unable to accept more than 100 items for this request.","data":{"status":413}}`, sdk.KindInvalid, "woocommerce_rest_request_entity_too_large", 0},
		"400 invalid parameter": {400, nil, `{"code":"rest_invalid_param","message":"Invalid parameter(s): per_page","data":{"status":400}}`, sdk.KindInvalid, "rest_invalid_param", 0},
		"404":                   {404, nil, `{"code":"woocommerce_rest_product_invalid_id","message":"Invalid ID.","data":{"status":404}}`, sdk.KindNotFound, "woocommerce_rest_product_invalid_id", 0},
		"429 from the host":     {429, http.Header{"Retry-After": {"17"}}, `<html>slow down</html>`, sdk.KindRateLimited, "http_429", 17 * time.Second},
		"503 maintenance":       {503, http.Header{"Retry-After": {"600"}}, `<html>maintenance</html>`, sdk.KindUnavailable, "http_503", 600 * time.Second},
		"500 PHP fatal":         {500, nil, `{"code":"internal_server_error","message":"There has been a critical error on this website.","data":{"status":500}}`, sdk.KindUnavailable, "internal_server_error", 0},
		"502":                   {502, nil, ``, sdk.KindUnavailable, "http_502", 0},
	} {
		t.Run(name, func(t *testing.T) {
			e := wcapi.Classify(tc.status, tc.header, []byte(tc.body), time.Now())
			if e == nil || e.Kind != tc.kind || e.Code != tc.code || e.RetryAfter != tc.after {
				t.Fatalf("got %+v, want %s %s after %s", e, tc.kind, tc.code, tc.after)
			}
			if tc.kind == sdk.KindAuth && (!strings.Contains(e.Message, "consumer_key") || !strings.Contains(e.Message, "consumer_secret")) {
				t.Errorf("AUTH message %q does not name the settings", e.Message)
			}
		})
	}
	if e := wcapi.Classify(200, nil, nil, time.Now()); e != nil {
		t.Errorf("200: %v", e)
	}
}

func TestItemError(t *testing.T) {
	for _, tc := range []struct {
		status int
		kind   sdk.ErrorKind
	}{{400, sdk.KindInvalid}, {0, sdk.KindInvalid}, {404, sdk.KindNotFound}, {401, sdk.KindAuth}, {500, sdk.KindUnavailable}} {
		var e wcapi.APIError
		e.Code, e.Message, e.Data.Status = "product_invalid_sku", "Invalid or duplicated SKU.", tc.status
		got := wcapi.ItemError(e)
		if got.Kind != tc.kind || got.Code != e.Code || (tc.kind != sdk.KindAuth && got.Message != e.Message) {
			t.Errorf("status %d: %+v", tc.status, got)
		}
	}
}

// The client signs on plain HTTP and never sends the secret there; it
// uses Basic auth on HTTPS; it refuses a batch over the cap unsent.
func TestAuthBySchemeAndBatchCap(t *testing.T) {
	var seen []*http.Request
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`[]`))
	})
	plain := httptest.NewServer(handler)
	defer plain.Close()
	secure := httptest.NewTLSServer(handler)
	defer secure.Close()
	creds := wcapi.Credentials{ConsumerKey: "ck_1", ConsumerSecret: "cs_secret"}
	for _, srv := range []*httptest.Server{plain, secure} {
		hc, _ := httpclient.New(httpclient.Options{TLSConfig: secure.Client().Transport.(*http.Transport).TLSClientConfig})
		c, err := wcapi.New(wcapi.Options{StoreURL: srv.URL, Credentials: creds, HTTP: hc})
		if err != nil {
			t.Fatal(err)
		}
		var out []any
		if _, err := c.Get(context.Background(), "products", nil, &out); err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.DoBatch(context.Background(), "products/batch", &wcapi.Batch{Delete: make([]int64, 101)}); err == nil {
			t.Error("a batch of 101 was not refused")
		}
	}
	if len(seen) != 2 {
		t.Fatalf("%d requests reached the store, want 2 (the batches over the cap are refused unsent)", len(seen))
	}
	overHTTP, overTLS := seen[0], seen[1]
	if overHTTP.Header.Get("Authorization") != "" || strings.Contains(overHTTP.URL.RawQuery, "cs_secret") ||
		overHTTP.URL.Query().Get(wcapi.OAuthSignatureMethod) != "HMAC-SHA256" || overHTTP.URL.Query().Get(wcapi.OAuthSignature) == "" {
		t.Errorf("plain HTTP request: header %v, query %s", overHTTP.Header, overHTTP.URL.RawQuery)
	}
	if user, pass, ok := overTLS.BasicAuth(); !ok || user != "ck_1" || pass != "cs_secret" || overTLS.URL.Query().Get(wcapi.OAuthSignature) != "" {
		t.Errorf("HTTPS request: basic %v %q, query %s", ok, user, overTLS.URL.RawQuery)
	}
	for _, bad := range []string{"shop.example", "ftp://shop.example", "https://shop.example/?x=1", "https://u:p@shop.example"} {
		hc, _ := httpclient.New(httpclient.Options{})
		if _, err := wcapi.New(wcapi.Options{StoreURL: bad, Credentials: creds, HTTP: hc}); err == nil {
			t.Errorf("store URL %q accepted", bad)
		}
	}
}
