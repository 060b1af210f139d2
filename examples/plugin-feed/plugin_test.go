package main

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/marketsync/marketsync/sdk"
)

func feedConfig(url string) string {
	return `{"url": "` + url + `", "auth_header": "` + testAuth + `"}`
}

func fetch(t *testing.T, f *Feed, ids ...string) ([]sdk.ProductResult, error) {
	t.Helper()
	resp, err := f.FetchProducts(context.Background(), &sdk.FetchProductsRequest{IDs: ids})
	if err != nil {
		return nil, err
	}
	return resp.Results, nil
}

func TestFetchAnswersEachIDOnItsOwn(t *testing.T) {
	srv := newFeedServer(t, "testdata/feed.csv", "text/csv")
	f := configured(t, newClock(), feedConfig(srv.URL+"/feed.csv"))
	rs, err := fetch(t, f, "B200", "Z999", "C300", "A100")
	if err != nil {
		t.Fatal(err)
	}
	if rs[0].Product == nil || rs[0].Product.ID != "B200" || rs[3].Product == nil || rs[3].Product.ID != "A100" {
		t.Errorf("known ids: %+v, %+v", rs[0], rs[3])
	}
	if !errors.Is(rs[1].Err, &sdk.Error{Kind: sdk.KindNotFound}) {
		t.Errorf("an id not in the feed: %v, want NOT_FOUND", rs[1].Err)
	}
	if !errors.Is(rs[2].Err, &sdk.Error{Kind: sdk.KindInvalid, Code: CodeMalformedRow}) || !strings.Contains(rs[2].Err.Message, "row 7") {
		t.Errorf("a product with a malformed row: %v, want INVALID naming row 7", rs[2].Err)
	}
}

func TestTheFeedIsDownloadedOncePerTTLAndRevalidated(t *testing.T) {
	srv := newFeedServer(t, "testdata/feed.json", "application/json")
	clk := newClock()
	f := configured(t, clk, `{"url": "`+srv.URL+`/export", "auth_header": "`+testAuth+`", "cache_ttl": "1m"}`)
	ctx := context.Background()

	for range 3 {
		if _, err := fetch(t, f, "A100", "B200"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.ListProducts(ctx, &sdk.ListProductsRequest{PageSize: 2}); err != nil {
		t.Fatal(err)
	}
	if got := srv.downloads.Load(); got != 1 {
		t.Fatalf("three fetches and a listing within the TTL downloaded the feed %d times, want 1", got)
	}

	clk.Advance(61 * time.Second)
	if _, err := fetch(t, f, "A100"); err != nil {
		t.Fatal(err)
	}
	if d, nm := srv.downloads.Load(), srv.notModified.Load(); d != 1 || nm != 1 {
		t.Fatalf("after the TTL an unchanged feed: %d downloads and %d not-modified answers, want 1 and 1", d, nm)
	}

	srv.publish(`{"products": [{"id": "N1", "title": "新品", "price": "1.00"}]}`)
	clk.Advance(61 * time.Second)
	rs, err := fetch(t, f, "N1", "A100")
	if err != nil {
		t.Fatal(err)
	}
	if srv.downloads.Load() != 2 || rs[0].Product == nil || rs[1].Err == nil {
		t.Errorf("after the feed changed: %d downloads, N1 %+v, A100 %+v; want the new feed", srv.downloads.Load(), rs[0], rs[1])
	}
}

func TestHTTPStatusesBecomeTypedErrors(t *testing.T) {
	srv := newFeedServer(t, "testdata/feed.csv", "text/csv")
	clk := newClock()
	later := clk.Now().Add(90 * time.Second).Format(http.TimeFormat)
	for name, tc := range map[string]struct {
		status     int
		header     http.Header
		kind       sdk.ErrorKind
		retryAfter time.Duration
	}{
		"401":                  {status: 401, kind: sdk.KindAuth},
		"403":                  {status: 403, kind: sdk.KindAuth},
		"429 with seconds":     {status: 429, header: http.Header{"Retry-After": {"7"}}, kind: sdk.KindRateLimited, retryAfter: 7 * time.Second},
		"429 with a date":      {status: 429, header: http.Header{"Retry-After": {later}}, kind: sdk.KindRateLimited, retryAfter: 90 * time.Second},
		"429 without a header": {status: 429, kind: sdk.KindRateLimited},
		"500":                  {status: 500, kind: sdk.KindUnavailable},
		"503":                  {status: 503, kind: sdk.KindUnavailable},
		"404 is a wrong url":   {status: 404, kind: sdk.KindInvalid},
	} {
		t.Run(name, func(t *testing.T) {
			restore := srv.fail(tc.status, tc.header)
			defer restore()
			f := configured(t, clk, feedConfig(srv.URL+"/feed.csv"))
			_, err := fetch(t, f, "A100")
			e, ok := sdk.AsError(err)
			if !ok || e.Kind != tc.kind || e.RetryAfter != tc.retryAfter {
				t.Fatalf("got %v, want %s with retry-after %s", err, tc.kind, tc.retryAfter)
			}
			if _, err := f.ListProducts(context.Background(), &sdk.ListProductsRequest{}); !errors.Is(err, &sdk.Error{Kind: tc.kind}) {
				t.Errorf("listing: got %v, want %s", err, tc.kind)
			}
		})
	}
}

func TestWrongCredentialsAreAuth(t *testing.T) {
	srv := newFeedServer(t, "testdata/feed.csv", "text/csv")
	f := configured(t, newClock(), `{"url": "`+srv.URL+`/feed.csv", "auth_header": "Bearer wrong"}`)
	if _, err := fetch(t, f, "A100"); !errors.Is(err, &sdk.Error{Kind: sdk.KindAuth}) {
		t.Errorf("got %v, want AUTH", err)
	}
}

func TestAnUnreachableServerIsUnavailable(t *testing.T) {
	srv := newFeedServer(t, "testdata/feed.csv", "text/csv")
	url := srv.URL
	srv.Close()
	f := configured(t, newClock(), feedConfig(url+"/feed.csv"))
	if _, err := fetch(t, f, "A100"); !errors.Is(err, &sdk.Error{Kind: sdk.KindUnavailable}) {
		t.Errorf("got %v, want UNAVAILABLE", err)
	}
}

func TestACursorResumesAfterItsIDWhenTheFeedChanges(t *testing.T) {
	srv := newFeedServer(t, "testdata/feed.csv", "")
	clk := newClock()
	f := configured(t, clk, feedConfig(srv.URL+"/feed.csv"))
	ctx := context.Background()
	page, err := f.ListProducts(ctx, &sdk.ListProductsRequest{PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(page.IDs, []string{"A100", "B200"}) || page.NextCursor == "" {
		t.Fatalf("first page %q, cursor %q", page.IDs, page.NextCursor)
	}
	// The supplier adds a product at the top and drops one further down.
	srv.publish("id,title,price\nNEW,新品,1.00\nA100,T恤,1.00\nB200,杯,1.00\nC300,围巾,1.00\nE500,抹茶,1.00\n")
	clk.Advance(2 * time.Minute)
	rest, err := f.ListProducts(ctx, &sdk.ListProductsRequest{Cursor: page.NextCursor, PageSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rest.IDs, []string{"C300", "E500"}) || rest.NextCursor != "" {
		t.Errorf("resumed page %q, cursor %q; want C300 E500 and the end", rest.IDs, rest.NextCursor)
	}
	if _, err := f.ListProducts(ctx, &sdk.ListProductsRequest{Cursor: "not-ours"}); !errors.Is(err, &sdk.Error{Kind: sdk.KindInvalid, Code: "bad_cursor"}) {
		t.Errorf("garbage cursor: %v, want INVALID bad_cursor", err)
	}
}

func TestConfigIsChecked(t *testing.T) {
	for name, config := range map[string]string{
		"relative url":     `{"url": "/feed.csv"}`,
		"ftp url":          `{"url": "ftp://supplier.example/feed.csv"}`,
		"unknown format":   `{"url": "https://supplier.example/feed", "format": "xml"}`,
		"unknown currency": `{"url": "https://supplier.example/feed", "currency": "RMB"}`,
		"bad locale":       `{"url": "https://supplier.example/feed", "locale": "chinese please"}`,
		"zero timeout":     `{"url": "https://supplier.example/feed", "timeout": "0s"}`,
	} {
		t.Run(name, func(t *testing.T) {
			f := New()
			cfg, err := sdk.ParseConfigJSON(f.Describe().Config, []byte(config))
			if err != nil {
				t.Fatal(err)
			}
			if err := f.Configure(context.Background(), cfg); !errors.Is(err, &sdk.Error{Kind: sdk.KindInvalid}) {
				t.Errorf("got %v, want INVALID", err)
			}
		})
	}
}

func TestCurrencyAndLocaleComeFromTheConfig(t *testing.T) {
	srv := newFeedServer(t, "testdata/feed.csv", "text/csv")
	f := configured(t, newClock(), `{"url": "`+srv.URL+`/feed.csv", "auth_header": "`+testAuth+`", "currency": "JPY", "locale": "ja"}`)
	rs, err := fetch(t, f, "E500", "A100")
	if err != nil {
		t.Fatal(err)
	}
	if p := rs[0].Product; p == nil || p.Title["ja"] == "" || p.Variants[0].Price != (sdk.Money{Amount: 88, Currency: "JPY"}) {
		t.Errorf("E500 in yen: %+v", rs[0])
	}
	if rs[1].Err == nil || !strings.Contains(rs[1].Err.Message, "more decimals than JPY allows (0)") {
		t.Errorf("59.90 in yen must be refused, got %+v", rs[1])
	}
}
