package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/marketsync/marketsync/daemon/api"
	"github.com/marketsync/marketsync/daemon/api/apitest"
	"github.com/marketsync/marketsync/daemon/client"
)

// serveFuzz makes one request of a fresh API over a fake backend, in
// process, and checks what every answer must be: a status the route
// documents (never a 5xx), a JSON body, and an error body with a code. It
// returns nil when target is no URL a client could send.
func serveFuzz(t *testing.T, b *apitest.Backend, method, target, contentType string, body []byte) *httptest.ResponseRecorder {
	s, err := api.New(api.Config{Backend: b})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	if err != nil {
		return nil
	}
	req.Header.Set("Content-Type", contentType)
	req.Host = "localhost:8787" // a tokenless API answers loopback names only
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code >= 500 {
		t.Fatalf("%s %s %q: status %d: %s", method, target, body, rec.Code, rec.Body)
	}
	if !json.Valid(rec.Body.Bytes()) {
		t.Fatalf("%s %s %q: body is not JSON: %q", method, target, body, rec.Body)
	}
	if rec.Code >= 400 {
		var e client.ErrorBody
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
			t.Fatalf("%s %s %q: error body %q", method, target, body, rec.Body)
		}
	}
	return rec
}

func fuzzBackend() *apitest.Backend {
	b := apitest.NewBackend()
	b.AddPlatform(client.Platform{Name: "sandbox", Plugin: "sandbox", State: client.PlatformReady, Capabilities: []string{"collect"}})
	return b
}

// FuzzCollect sends arbitrary bodies and content types to POST
// /v1/collect. The backend sees a request only when the API answers 202,
// and then exactly the one the body holds, checked: a known platform and
// 1 to MaxCollectIDs distinct ids, none blank. Its seed corpus is in
// testdata/fuzz/FuzzCollect.
func FuzzCollect(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		b := fuzzBackend()
		rec := serveFuzz(t, b, http.MethodPost, "/v1/collect", contentType, body)
		got := b.Collected()
		if rec.Code != http.StatusAccepted {
			if !slices.Contains([]int{400, 413, 415}, rec.Code) || len(got) != 0 {
				t.Fatalf("%q: status %d, backend asked for %v", body, rec.Code, got)
			}
			return
		}
		var want client.CollectRequest
		if err := json.Unmarshal(body, &want); err != nil {
			t.Fatalf("%q accepted, but it is not a collect request: %v", body, err)
		}
		if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
			t.Fatalf("%q accepted; backend asked for %+v", body, got)
		}
		seen := map[string]bool{}
		for _, id := range want.IDs {
			if strings.TrimSpace(id) != id || id == "" || seen[id] {
				t.Fatalf("%q accepted with id %q", body, id)
			}
			seen[id] = true
		}
		if want.Platform != "sandbox" || len(want.IDs) == 0 || len(want.IDs) > api.MaxCollectIDs {
			t.Fatalf("%q accepted", body)
		}
		var job client.Job
		if err := json.Unmarshal(rec.Body.Bytes(), &job); err != nil || job.ID == "" || rec.Header().Get("Location") != "/v1/jobs/"+job.ID {
			t.Fatalf("job %q (%v), Location %q", rec.Body, err, rec.Header().Get("Location"))
		}
	})
}

// FuzzListQuery sends arbitrary query strings to the list routes, whose
// parameters (state, limit, after) are decoded by hand: 200 or 400, never
// worse. Its seed corpus is in testdata/fuzz/FuzzListQuery.
func FuzzListQuery(f *testing.F) {
	f.Fuzz(func(t *testing.T, query string) {
		b := fuzzBackend()
		b.AddJob(client.Job{ID: "j1", Kind: "collect", Platform: "sandbox", State: client.JobRunning, Total: 1},
			[]client.JobItem{{ID: "1", State: client.ItemPending}})
		for _, path := range []string{"/v1/jobs", "/v1/jobs/j1/items"} {
			target := path + "?" + query
			if rec := serveFuzz(t, b, http.MethodGet, target, "", nil); rec != nil && rec.Code != 200 && rec.Code != 400 {
				t.Fatalf("GET %s: status %d", target, rec.Code)
			}
		}
	})
}
