package httpclient_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/httpclient"
)

// A plugin makes one Client when it is configured and, for each call,
// checks the transport error, then the status, then parses the body, and
// hands the quota back to the host.
func Example() {
	// Stands in for the platform: one product, then over quota.
	calls := 0
	platform := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		w.Header().Set("X-RateLimit-Limit", "2")
		w.Header().Set("X-RateLimit-Remaining", fmt.Sprint(max(2-calls, 0)))
		if calls > 1 {
			w.Header().Set("Retry-After", "30")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		fmt.Fprint(w, `{"id":"42","title":"Teapot"}`)
	}))
	defer platform.Close()

	client, err := httpclient.New(httpclient.Options{
		UserAgent: "marketsync-plugin-example/1.0",
		Quota:     httpclient.XRateLimitHeaders,
	})
	if err != nil {
		panic(err)
	}

	fetch := func(ctx context.Context, id string) (string, *sdk.Quota, error) {
		req, err := http.NewRequest(http.MethodGet, platform.URL+"/products/"+id, nil)
		if err != nil {
			return "", nil, err
		}
		resp, err := client.Do(ctx, req)
		if err != nil {
			return "", nil, err // *sdk.Error (Unavailable, Invalid) or ctx's error
		}
		if e := resp.StatusError(); e != nil {
			return "", resp.Quota, e
		}
		var p struct{ Title string }
		if err := json.Unmarshal(resp.Body, &p); err != nil {
			return "", resp.Quota, sdk.Unavailable("bad_json", err.Error())
		}
		return p.Title, resp.Quota, nil
	}

	for range 2 {
		title, quota, err := fetch(context.Background(), "42")
		if e, ok := sdk.AsError(err); ok {
			fmt.Println(e.Kind, e.Code, e.RetryAfter, "remaining", quota.Remaining)
			continue
		}
		fmt.Println(title, "remaining", quota.Remaining, "of", quota.Limit)
	}
	// Output:
	// Teapot remaining 1 of 2
	// RATE_LIMITED http_429 30s remaining 0
}
