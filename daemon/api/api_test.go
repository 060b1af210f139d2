package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/marketsync/marketsync/daemon/api"
	"github.com/marketsync/marketsync/daemon/api/apitest"
	"github.com/marketsync/marketsync/daemon/client"
	"github.com/marketsync/marketsync/sdk"
)

const testToken = "s3cret-token-value"

// reply is one answer of the server.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// call sends one request; body, when not nil, goes with Content-Type
// application/json unless header says otherwise.
func call(t *testing.T, srv *httptest.Server, method, path string, body io.Reader, header map[string]string) reply {
	t.Helper()
	r := apitest.Send(t, srv.Client(), method, srv.URL+path, body, header)
	return reply{status: r.Status, header: r.Header, body: r.Body}
}

func get(t *testing.T, srv *httptest.Server, path string) reply {
	t.Helper()
	return call(t, srv, http.MethodGet, path, nil, nil)
}

func post(t *testing.T, srv *httptest.Server, body string) reply {
	t.Helper()
	return call(t, srv, http.MethodPost, "/v1/collect", strings.NewReader(body), nil)
}

// decode reads a successful JSON answer into out.
func (r reply) decode(t *testing.T, status int, out any) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	if err := json.Unmarshal(r.body, out); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// wantError checks that r is exactly {"error":{"code","message"}} with that
// status and code, and that the message holds every one of parts.
func (r reply) wantError(t *testing.T, status int, code string, parts ...string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	var body struct {
		Error struct {
			Code    *string `json:"code"`
			Message *string `json:"message"`
		} `json:"error"`
	}
	if err := dec.Decode(&body); err != nil {
		t.Fatalf("error body %s is not {\"error\":{\"code\",\"message\"}}: %v", r.body, err)
	}
	if body.Error.Code == nil || body.Error.Message == nil {
		t.Fatalf("error body %s lacks code or message", r.body)
	}
	if *body.Error.Code != code {
		t.Errorf("code %q, want %q (message %q)", *body.Error.Code, code, *body.Error.Message)
	}
	for _, p := range parts {
		if !strings.Contains(*body.Error.Message, p) {
			t.Errorf("message %q does not mention %q", *body.Error.Message, p)
		}
	}
}

func newServer(t *testing.T) (*httptest.Server, *apitest.Backend) {
	t.Helper()
	b := apitest.NewBackend()
	b.AddPlatform(client.Platform{Name: "sandbox", Plugin: "sandbox", Version: "0.1.0", State: client.PlatformReady,
		Capabilities: []string{"collect"}, Rate: 10, Burst: 20, Concurrency: 4})
	return apitest.NewServer(t, b, ""), b
}

func TestNewNeedsBackend(t *testing.T) {
	if _, err := api.New(api.Config{}); err == nil {
		t.Fatal("New without a Backend succeeded")
	}
}

func TestHealth(t *testing.T) {
	srv, _ := newServer(t)
	var h client.Health
	get(t, srv, "/v1/health").decode(t, http.StatusOK, &h)
	if h.Status != "ok" || h.Version != apitest.Version || h.UptimeSeconds < 0 {
		t.Errorf("health = %+v", h)
	}
}

func TestPlatforms(t *testing.T) {
	srv, b := newServer(t)
	b.AddPlatform(client.Platform{Name: "tb-main", Plugin: "taobao", State: client.PlatformRestarting, Restarts: 3, LastError: "exit status 2"})
	var got []client.Platform
	get(t, srv, "/v1/platforms").decode(t, http.StatusOK, &got)
	if len(got) != 2 || got[0].Name != "sandbox" || got[0].Rate != 10 || got[1].Restarts != 3 || got[1].LastError != "exit status 2" {
		t.Errorf("platforms = %+v", got)
	}
}

func TestEmptyListsAreArrays(t *testing.T) {
	srv := apitest.NewServer(t, apitest.NewBackend(), "")
	for _, path := range []string{"/v1/platforms", "/v1/jobs"} {
		if r := get(t, srv, path); r.status != http.StatusOK || strings.TrimSpace(string(r.body)) != "[]" {
			t.Errorf("%s = %d %s, want 200 []", path, r.status, r.body)
		}
	}
}

func TestCollectAccepted(t *testing.T) {
	srv, b := newServer(t)
	r := post(t, srv, `{"platform":"sandbox","ids":["100001","100002"]}`)
	var job client.Job
	r.decode(t, http.StatusAccepted, &job)
	if job.ID == "" || job.State != client.JobQueued || job.Total != 2 || job.Pending != 2 || job.Platform != "sandbox" {
		t.Errorf("job = %+v", job)
	}
	if loc := r.header.Get("Location"); loc != "/v1/jobs/"+job.ID {
		t.Errorf("Location %q", loc)
	}
	got := b.Collected()
	if len(got) != 1 || strings.Join(got[0].IDs, ",") != "100001,100002" {
		t.Errorf("backend got %+v", got)
	}
}

func TestCollectAtTheIDLimit(t *testing.T) {
	srv, _ := newServer(t)
	var job client.Job
	post(t, srv, collectBody(api.MaxCollectIDs)).decode(t, http.StatusAccepted, &job)
	if job.Total != api.MaxCollectIDs {
		t.Errorf("total %d", job.Total)
	}
}

// collectBody asks for n distinct ids.
func collectBody(n int) string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprint(100000 + i)
	}
	b, _ := json.Marshal(client.CollectRequest{Platform: "sandbox", IDs: ids})
	return string(b)
}

// opaque hides a reader's length, so the body is sent chunked.
type opaque struct{ io.Reader }

func TestCollectRejects(t *testing.T) {
	big := `{"platform":"sandbox","ids":["` + strings.Repeat("9", api.MaxBodyBytes) + `"]}`
	for name, tc := range map[string]struct {
		body        io.Reader
		contentType string
		status      int
		code        string
		parts       []string
	}{
		"text content type":    {strings.NewReader(`{}`), "text/plain", 415, client.CodeUnsupportedMediaType, []string{"application/json", `"text/plain"`}},
		"no content type":      {strings.NewReader(`{}`), "-", 415, client.CodeUnsupportedMediaType, []string{"application/json", "none"}},
		"empty body":           {strings.NewReader(``), "", 400, client.CodeMalformedJSON, []string{"empty"}},
		"syntax error":         {strings.NewReader(`{"platform":"sandbox",}`), "", 400, client.CodeMalformedJSON, []string{"byte offset 22"}},
		"truncated":            {strings.NewReader(`{"platform":"sandbox"`), "", 400, client.CodeMalformedJSON, []string{"middle of a value"}},
		"ids not an array":     {strings.NewReader(`{"platform":"sandbox","ids":"100001"}`), "", 400, client.CodeMalformedJSON, []string{`"ids"`, "got string where an array belongs"}},
		"id not a string":      {strings.NewReader(`{"platform":"sandbox","ids":[100001]}`), "", 400, client.CodeMalformedJSON, []string{`"ids"`, "got number where a string belongs", "byte offset"}},
		"platform not string":  {strings.NewReader(`{"platform":7,"ids":["1"]}`), "", 400, client.CodeMalformedJSON, []string{`"platform"`, "got number where a string belongs"}},
		"not an object":        {strings.NewReader(`["100001"]`), "", 400, client.CodeMalformedJSON, []string{"JSON object", "array"}},
		"unknown field":        {strings.NewReader(`{"platform":"sandbox","ids":["1"],"idz":["2"]}`), "", 400, client.CodeMalformedJSON, []string{`unknown field "idz"`, `"ids"`}},
		"trailing data":        {strings.NewReader(`{"platform":"sandbox","ids":["1"]} {"x":1}`), "", 400, client.CodeMalformedJSON, []string{"after the JSON object", "ends at byte offset 34"}},
		"missing platform":     {strings.NewReader(`{"ids":["1"]}`), "", 400, client.CodeInvalidRequest, []string{`"platform" is required`}},
		"blank platform":       {strings.NewReader(`{"platform":"  ","ids":["1"]}`), "", 400, client.CodeInvalidRequest, []string{`"platform" is required`}},
		"no ids":               {strings.NewReader(`{"platform":"sandbox"}`), "", 400, client.CodeMissingIDs, []string{`"ids" is empty`}},
		"empty ids":            {strings.NewReader(`{"platform":"sandbox","ids":[]}`), "", 400, client.CodeMissingIDs, []string{`"ids" is empty`}},
		"too many ids":         {strings.NewReader(collectBody(api.MaxCollectIDs + 1)), "", 400, client.CodeTooManyIDs, []string{"10001", "10000"}},
		"empty id":             {strings.NewReader(`{"platform":"sandbox","ids":["1",""]}`), "", 400, client.CodeInvalidRequest, []string{"ids[1] is empty"}},
		"spaced id":            {strings.NewReader(`{"platform":"sandbox","ids":[" 1"]}`), "", 400, client.CodeInvalidRequest, []string{`ids[0] " 1" holds whitespace (' ' at byte 0)`}},
		"space inside an id":   {strings.NewReader(`{"platform":"sandbox","ids":["1","10 01"]}`), "", 400, client.CodeInvalidRequest, []string{`ids[1] "10 01" holds whitespace (' ' at byte 2)`}},
		"tab in a URL":         {strings.NewReader(`{"platform":"sandbox","ids":["https://x.invalid/a\tb"]}`), "", 400, client.CodeInvalidRequest, []string{"ids[0]", `'\t' at byte 19`}},
		"control character":    {strings.NewReader(`{"platform":"sandbox","ids":["1\u0000"]}`), "", 400, client.CodeInvalidRequest, []string{"ids[0]", "a control character", `'\x00' at byte 1`}},
		"ids and a scope":      {strings.NewReader(`{"platform":"sandbox","ids":["1"],"scope":"all"}`), "", 400, client.CodeInvalidRequest, []string{`"ids" or "scope", not both`}},
		"scope with a space":   {strings.NewReader(`{"platform":"sandbox","scope":"shop 7"}`), "", 400, client.CodeInvalidRequest, []string{`scope "shop 7" holds whitespace`}},
		"duplicate id":         {strings.NewReader(`{"platform":"sandbox","ids":["1","2","1"]}`), "", 400, client.CodeDuplicateIDs, []string{`ids[2] "1" repeats ids[0]`}},
		"unknown platform":     {strings.NewReader(`{"platform":"nope","ids":["1"]}`), "", 400, client.CodeUnknownPlatform, []string{`"nope"`}},
		"body over limit":      {strings.NewReader(big), "", 413, client.CodeBodyTooLarge, []string{"1 MiB"}},
		"chunked over limit":   {opaque{strings.NewReader(big)}, "", 413, client.CodeBodyTooLarge, []string{"1 MiB"}},
		"trailing over limit":  {opaque{strings.NewReader(`{"platform":"sandbox","ids":["1"]}` + strings.Repeat(" ", api.MaxBodyBytes))}, "", 413, client.CodeBodyTooLarge, []string{"1 MiB"}},
		"content type charset": {strings.NewReader(`{"platform":"sandbox","ids":[]}`), "application/json; charset=utf-8", 400, client.CodeMissingIDs, nil},
	} {
		t.Run(name, func(t *testing.T) {
			srv, b := newServer(t)
			header := map[string]string{}
			switch tc.contentType {
			case "":
			case "-":
				header["Content-Type"] = ""
			default:
				header["Content-Type"] = tc.contentType
			}
			call(t, srv, http.MethodPost, "/v1/collect", tc.body, header).wantError(t, tc.status, tc.code, tc.parts...)
			if got := b.Collected(); len(got) != 0 {
				t.Errorf("the backend was asked to collect %+v", got)
			}
		})
	}
}

// addJobs stores three jobs: an old partial one on sandbox with a failed
// item, a running one on sandbox and a newest succeeded one on taobao.
func addJobs(b *apitest.Backend) {
	at := func(min int) time.Time { return apitest.Epoch.Add(time.Duration(min) * time.Minute) }
	b.AddJob(client.Job{ID: "j1", Kind: client.JobKindCollect, Platform: "sandbox", State: client.JobPartial,
		CreatedAt: at(1), StartedAt: at(1), FinishedAt: at(2), Total: 3, Succeeded: 2, Failed: 1, Calls: 2},
		[]client.JobItem{
			{Index: 0, ID: "a", State: client.ItemSucceeded, Attempts: 1},
			{Index: 1, ID: "b", State: client.ItemFailed, Attempts: 3, Error: sdk.NotFound("20000", "item off-shelf")},
			{Index: 2, ID: "c", State: client.ItemSucceeded, Attempts: 1},
		})
	b.AddJob(client.Job{ID: "j2", Kind: client.JobKindCollect, Platform: "sandbox", State: client.JobRunning,
		CreatedAt: at(3), Total: 10, Succeeded: 4}, nil)
	b.AddJob(client.Job{ID: "j3", Kind: client.JobKindCollect, Platform: "taobao", State: client.JobSucceeded,
		CreatedAt: at(5), Total: 1, Succeeded: 1}, nil)
}

func ids(jobs []client.Job) string {
	var s []string
	for _, j := range jobs {
		s = append(s, j.ID)
	}
	return strings.Join(s, ",")
}

func TestJobsList(t *testing.T) {
	srv, b := newServer(t)
	addJobs(b)
	for query, want := range map[string]string{
		"":                           "j3,j2,j1",
		"?state=running":             "j2",
		"?platform=sandbox":          "j2,j1",
		"?platform=sandbox&limit=1":  "j2",
		"?state=partial&limit=1000":  "j1",
		"?state=succeeded&limit=500": "j3",
	} {
		var got []client.Job
		get(t, srv, "/v1/jobs"+query).decode(t, http.StatusOK, &got)
		if ids(got) != want {
			t.Errorf("%q = %s, want %s", query, ids(got), want)
		}
	}
	var got []client.Job
	get(t, srv, "/v1/jobs?state=running").decode(t, http.StatusOK, &got)
	if got[0].Pending != 6 {
		t.Errorf("pending %d, want 6 (10 total, 4 succeeded)", got[0].Pending)
	}
}

func TestBadQueries(t *testing.T) {
	srv, b := newServer(t)
	addJobs(b)
	for path, parts := range map[string][]string{
		"/v1/jobs?state=done":                {"state", "queued", "partial", `"done"`},
		"/v1/jobs?limit=0":                   {"limit", "1 to 1000", `"0"`},
		"/v1/jobs?limit=1001":                {"limit", "1 to 1000", `"1001"`},
		"/v1/jobs?limit=ten":                 {"limit", `"ten"`},
		"/v1/jobs/j1/items?state=broken":     {"state", "pending, succeeded, failed"},
		"/v1/jobs/j1/items?after=-1":         {"after", `"-1"`},
		"/v1/jobs/j1/items?limit=100000":     {"limit", "1 to 1000"},
		"/v1/jobs/j1/items?after=1&limit=-3": {"limit"},
		"/v1/jobs/j1?index=latest":           {"index", `"latest"`},
		"/v1/jobs/j1?index=5&wait=forever":   {"wait", `"30s"`, `"forever"`},
		"/v1/jobs/j1?wait=-1s":               {"wait", `"-1s"`},
		"/v1/products?limit=0":               {"limit", "1 to 1000", `"0"`},
		"/v1/products?cursor=nope":           {"cursor", `"nope"`},
	} {
		t.Run(path, func(t *testing.T) {
			get(t, srv, path).wantError(t, http.StatusBadRequest, client.CodeInvalidQuery, parts...)
		})
	}
	for _, path := range []string{"/v1/jobs?platform=nowhere", "/v1/products?platform=nowhere"} {
		get(t, srv, path).wantError(t, http.StatusBadRequest, client.CodeUnknownPlatform, `"nowhere"`)
	}
}

func TestProductsList(t *testing.T) {
	srv, b := newServer(t)
	b.AddPlatform(client.Platform{Name: "taobao", Plugin: "taobao"})
	for _, p := range []client.Product{apitest.Product("taobao", "1"), apitest.Product("sandbox", "2"), apitest.Product("sandbox", "1")} {
		b.AddProduct(p)
	}
	var all []string
	cursor := ""
	for pages := 0; ; pages++ {
		var page client.ProductPage
		get(t, srv, "/v1/products?limit=2&cursor="+url.QueryEscape(cursor)).decode(t, http.StatusOK, &page)
		for _, p := range page.Products {
			all = append(all, p.Platform+":"+p.ID)
		}
		if cursor = page.Next; cursor == "" || pages > 3 {
			break
		}
	}
	if got := strings.Join(all, ","); got != "sandbox:1,sandbox:2,taobao:1" {
		t.Errorf("pages hold %s", got)
	}
	var page client.ProductPage
	get(t, srv, "/v1/products?platform=taobao").decode(t, http.StatusOK, &page)
	if len(page.Products) != 1 || page.Products[0].Platform != "taobao" || page.Next != "" {
		t.Errorf("taobao's page %+v", page)
	}
}

func TestJob(t *testing.T) {
	srv, b := newServer(t)
	addJobs(b)
	var job client.Job
	get(t, srv, "/v1/jobs/j1").decode(t, http.StatusOK, &job)
	if job.ID != "j1" || job.State != client.JobPartial || job.Failed != 1 || job.Pending != 0 || job.Calls != 2 {
		t.Errorf("job = %+v", job)
	}
	get(t, srv, "/v1/jobs/nope").wantError(t, http.StatusNotFound, client.CodeJobNotFound, `"nope"`)
}

func TestCancelJob(t *testing.T) {
	srv, b := newServer(t)
	addJobs(b)
	var job client.Job
	call(t, srv, http.MethodPost, "/v1/jobs/j2/cancel", nil, nil).decode(t, http.StatusOK, &job)
	if job.ID != "j2" || job.State != client.JobCancelled || job.Pending != 6 {
		t.Errorf("cancelled job = %+v", job)
	}
	call(t, srv, http.MethodPost, "/v1/jobs/j3/cancel", nil, nil).wantError(t, http.StatusConflict, client.CodeJobFinished, "j3", "succeeded")
	call(t, srv, http.MethodPost, "/v1/jobs/nope/cancel", nil, nil).wantError(t, http.StatusNotFound, client.CodeJobNotFound, `"nope"`)
	if r := get(t, srv, "/v1/jobs/j2/cancel"); r.status != http.StatusMethodNotAllowed {
		t.Errorf("GET on cancel: %d, want 405", r.status)
	}
}

func TestJobItems(t *testing.T) {
	srv, b := newServer(t)
	addJobs(b)
	var page client.ItemPage
	get(t, srv, "/v1/jobs/j1/items?state=failed").decode(t, http.StatusOK, &page)
	if len(page.Items) != 1 || page.Items[0].ID != "b" || page.Next != 0 {
		t.Fatalf("failed items = %+v", page)
	}
	if e := page.Items[0].Error; e == nil || e.Kind != sdk.KindNotFound || e.Code != "20000" || e.Message != "item off-shelf" || page.Items[0].Attempts != 3 {
		t.Errorf("failed item = %+v, error %+v", page.Items[0], e)
	}

	var got []string
	after := 0
	for range 4 {
		var page client.ItemPage
		get(t, srv, fmt.Sprintf("/v1/jobs/j1/items?limit=2&after=%d", after)).decode(t, http.StatusOK, &page)
		for _, it := range page.Items {
			got = append(got, fmt.Sprintf("%d:%s", it.Index, it.ID))
		}
		if page.Next == 0 {
			break
		}
		after = page.Next
	}
	if strings.Join(got, " ") != "0:a 1:b 2:c" {
		t.Errorf("paged items %v", got)
	}

	get(t, srv, "/v1/jobs/j2/items").decode(t, http.StatusOK, &page)
	if page.Items == nil || len(page.Items) != 0 {
		t.Errorf("items of a job without items = %#v, want []", page.Items)
	}
	get(t, srv, "/v1/jobs/nope/items").wantError(t, http.StatusNotFound, client.CodeJobNotFound, `"nope"`)
}

func TestProduct(t *testing.T) {
	srv, b := newServer(t)
	b.AddPlatform(client.Platform{Name: "taobao", Plugin: "taobao", State: client.PlatformReady})
	b.AddProduct(apitest.Product("sandbox", "100001"))
	b.AddProduct(apitest.Product("sandbox", "100002"))
	b.AddProduct(apitest.Product("taobao", "100002"))

	for _, path := range []string{"/v1/products/sandbox:100001", "/v1/products/100001", "/v1/products/sandbox%3A100001"} {
		var p client.Product
		get(t, srv, path).decode(t, http.StatusOK, &p)
		if p.ID != "100001" || p.Platform != "sandbox" || p.Title["zh-CN"] != "纯棉T恤" || len(p.Variants) != 2 || p.Variants[0].Price.Amount != 1999 || !p.CollectedAt.Equal(apitest.Epoch) {
			t.Errorf("%s = %+v", path, p)
		}
	}
	var p client.Product
	get(t, srv, "/v1/products/taobao:100002").decode(t, http.StatusOK, &p)
	if p.Platform != "taobao" {
		t.Errorf("taobao:100002 came from %q", p.Platform)
	}
	get(t, srv, "/v1/products/100002").wantError(t, http.StatusConflict, client.CodeAmbiguousProduct, "sandbox", "taobao", "platform:id")
	get(t, srv, "/v1/products/sandbox:999").wantError(t, http.StatusNotFound, client.CodeProductNotFound, `"999"`, `"sandbox"`)
	get(t, srv, "/v1/products/999").wantError(t, http.StatusNotFound, client.CodeProductNotFound, `"999"`)
	get(t, srv, "/v1/products/:999").wantError(t, http.StatusBadRequest, client.CodeInvalidRequest, "platform:id")
	get(t, srv, "/v1/products/sandbox:").wantError(t, http.StatusBadRequest, client.CodeInvalidRequest, "platform:id")
}

func TestRoutingErrors(t *testing.T) {
	srv, _ := newServer(t)
	for name, tc := range map[string]struct {
		method, path string
		status       int
		code, allow  string
		parts        []string
	}{
		"post to a list":       {"POST", "/v1/jobs", 405, client.CodeMethodNotAllowed, "GET, HEAD", []string{"POST", "/v1/jobs", "GET"}},
		"get collect":          {"GET", "/v1/collect", 405, client.CodeMethodNotAllowed, "POST", []string{"GET", "POST"}},
		"delete a job":         {"DELETE", "/v1/jobs/j1", 405, client.CodeMethodNotAllowed, "GET, HEAD", nil},
		"post health":          {"POST", "/v1/health", 405, client.CodeMethodNotAllowed, "GET, HEAD", nil},
		"unknown path":         {"GET", "/v1/nothing", 404, client.CodeNotFound, "", []string{"GET /v1/nothing"}},
		"root":                 {"GET", "/", 404, client.CodeNotFound, "", nil},
		"too deep":             {"GET", "/v1/jobs/j1/items/0", 404, client.CodeNotFound, "", nil},
		"metrics not enabled":  {"GET", "/metrics", 404, client.CodeNotFound, "", []string{"metrics"}},
		"trailing slash":       {"GET", "/v1/jobs/", 404, client.CodeNotFound, "", nil},
		"unknown api version":  {"GET", "/v2/jobs", 404, client.CodeNotFound, "", nil},
		"product without id":   {"GET", "/v1/products/", 404, client.CodeNotFound, "", nil},
		"method on unknown":    {"PUT", "/v1/nothing", 404, client.CodeNotFound, "", nil},
		"collect wrong method": {"PUT", "/v1/collect", 405, client.CodeMethodNotAllowed, "POST", nil},
	} {
		t.Run(name, func(t *testing.T) {
			r := call(t, srv, tc.method, tc.path, nil, nil)
			r.wantError(t, tc.status, tc.code, tc.parts...)
			if got := r.header.Get("Allow"); got != tc.allow {
				t.Errorf("Allow %q, want %q", got, tc.allow)
			}
		})
	}
}

func TestMetrics(t *testing.T) {
	metrics := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprintln(w, "marketsync_up 1")
	})
	s, err := api.New(api.Config{Backend: apitest.NewBackend(), Token: testToken, Metrics: metrics})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	get(t, srv, "/metrics").wantError(t, http.StatusUnauthorized, client.CodeUnauthorized)
	r := call(t, srv, "GET", "/metrics", nil, map[string]string{"Authorization": "Bearer " + testToken})
	if r.status != 200 || string(r.body) != "marketsync_up 1\n" {
		t.Errorf("metrics = %d %q", r.status, r.body)
	}
	call(t, srv, "POST", "/metrics", nil, map[string]string{"Authorization": "Bearer " + testToken}).
		wantError(t, http.StatusMethodNotAllowed, client.CodeMethodNotAllowed)
}

func TestTokenAuth(t *testing.T) {
	b := apitest.NewBackend()
	srv := apitest.NewServer(t, b, testToken)
	for name, tc := range map[string]struct {
		path, auth string
		status     int
		parts      []string
	}{
		"missing":             {"/v1/platforms", "", 401, []string{"Authorization: Bearer"}},
		"wrong":               {"/v1/platforms", "Bearer nope", 401, []string{"not valid"}},
		"prefix of the token": {"/v1/platforms", "Bearer " + testToken[:5], 401, []string{"not valid"}},
		"token with suffix":   {"/v1/platforms", "Bearer " + testToken + "x", 401, []string{"not valid"}},
		"basic scheme":        {"/v1/platforms", "Basic " + testToken, 401, []string{"Bearer scheme"}},
		"no scheme":           {"/v1/platforms", testToken, 401, []string{"Bearer scheme"}},
		"unknown path":        {"/v1/secret-route", "", 401, nil},
		"right":               {"/v1/platforms", "Bearer " + testToken, 200, nil},
		"scheme in lowercase": {"/v1/platforms", "bearer " + testToken, 200, nil},
		"health is open":      {"/v1/health", "", 200, nil},
		"health, wrong token": {"/v1/health", "Bearer nope", 200, nil},
	} {
		t.Run(name, func(t *testing.T) {
			header := map[string]string{}
			if tc.auth != "" {
				header["Authorization"] = tc.auth
			}
			r := call(t, srv, "GET", tc.path, nil, header)
			if tc.status == 200 {
				if r.status != 200 {
					t.Fatalf("status %d: %s", r.status, r.body)
				}
				return
			}
			r.wantError(t, tc.status, client.CodeUnauthorized, tc.parts...)
			if got := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
				t.Errorf("WWW-Authenticate %q", got)
			}
		})
	}
}

func TestBackendErrors(t *testing.T) {
	var logs bytes.Buffer
	b := apitest.NewBackend()
	s, err := api.New(api.Config{Backend: b, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()

	b.Err = fmt.Errorf("read job: %w", errors.New("badger: value log corrupted at 0x1f"))
	r := get(t, srv, "/v1/jobs/j1")
	r.wantError(t, http.StatusInternalServerError, client.CodeInternal, "ref ")
	if strings.Contains(string(r.body), "badger") {
		t.Errorf("the cause leaked to the client: %s", r.body)
	}
	var body client.ErrorBody
	_ = json.Unmarshal(r.body, &body)
	ref := strings.Fields(strings.SplitAfter(body.Error.Message, "ref ")[1])[0]
	ref = strings.TrimSuffix(ref, ");")
	ref = strings.TrimSuffix(ref, ")")
	if !strings.Contains(logs.String(), "value log corrupted") || !strings.Contains(logs.String(), "ref="+ref) {
		t.Errorf("the log lacks the cause under ref %q:\n%s", ref, logs.String())
	}

	b.Err = fmt.Errorf("ask platform actor: %w", api.Unavailable(client.CodeUnavailable, "the sandbox actor did not answer within 5s"))
	get(t, srv, "/v1/platforms").wantError(t, http.StatusServiceUnavailable, client.CodeUnavailable, "did not answer")
}

// panicky panics on every call.
type panicky struct{ api.Backend }

func (panicky) Platforms(context.Context) ([]client.Platform, error) { panic("nil map") }

func TestPanicIsA500(t *testing.T) {
	s, err := api.New(api.Config{Backend: panicky{}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	get(t, srv, "/v1/platforms").wantError(t, http.StatusInternalServerError, client.CodeInternal)
}

func TestRequestLogOmitsToken(t *testing.T) {
	var logs bytes.Buffer
	s, err := api.New(api.Config{Backend: apitest.NewBackend(), Token: testToken,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	call(t, srv, "GET", "/v1/jobs", nil, map[string]string{"Authorization": "Bearer " + testToken})
	call(t, srv, "GET", "/v1/jobs/x", nil, map[string]string{"Authorization": "Bearer wrong-" + testToken})
	out := logs.String()
	for _, want := range []string{"method=GET path=/v1/jobs status=200", "path=/v1/jobs/x status=401", "duration="} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, testToken) || strings.Contains(out, "Authorization") {
		t.Errorf("log shows the token or header:\n%s", out)
	}
}

func TestServeAndShutdown(t *testing.T) {
	s, err := api.New(api.Config{Backend: apitest.NewBackend()})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()

	c, err := client.New(client.Config{Address: ln.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	if h, err := c.Health(context.Background()); err != nil || h.Status != "ok" {
		t.Fatalf("health = %+v, %v", h, err)
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve after Shutdown = %v, want nil", err)
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Errorf("second Shutdown = %v", err)
	}
	if _, err := c.Health(context.Background()); err == nil {
		t.Error("the server still answers after Shutdown")
	}
}

// TestContract runs the API's contract against the fake backend; the
// agent's tests run it against a real agent.
func TestContract(t *testing.T) {
	apitest.RunContract(t, apitest.NewContractServer(t).URL)
}

// TestInvalidJobID: an id the mux unescapes into something no job id can
// be is the caller's mistake, a 400, and nothing for the error log.
func TestInvalidJobID(t *testing.T) {
	var logs bytes.Buffer
	b := apitest.NewBackend()
	addJobs(b)
	s, err := api.New(api.Config{Backend: b, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	for _, tc := range []struct{ method, path, part string }{
		{http.MethodGet, "/v1/jobs/a%2fb", "slash"},
		{http.MethodGet, "/v1/jobs/a%2Fb/items", "slash"},
		{http.MethodPost, "/v1/jobs/a%2fb/cancel", "slash"},
		{http.MethodGet, "/v1/jobs/a%20b", "whitespace"},
		{http.MethodGet, "/v1/jobs/a%00b", "control character"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			call(t, srv, tc.method, tc.path, nil, nil).wantError(t, http.StatusBadRequest, client.CodeInvalidID, tc.part)
		})
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("invalid ids were logged as errors:\n%s", logs.String())
	}
}

// TestLongIDs: no id, URL or scope over MaxIDBytes reaches the Backend.
func TestLongIDs(t *testing.T) {
	srv, b := newServer(t)
	long := strings.Repeat("9", api.MaxIDBytes+1)
	post(t, srv, `{"platform":"sandbox","ids":["1","`+long+`"]}`).wantError(t, http.StatusBadRequest, client.CodeInvalidRequest, "ids[1]", "2049 bytes", "2048")
	post(t, srv, `{"platform":"sandbox","scope":"`+long+`"}`).wantError(t, http.StatusBadRequest, client.CodeInvalidRequest, "scope", "2048")
	get(t, srv, "/v1/jobs/"+long).wantError(t, http.StatusBadRequest, client.CodeInvalidID, "2048")
	get(t, srv, "/v1/jobs/"+long+"/items").wantError(t, http.StatusBadRequest, client.CodeInvalidID, "2048")
	call(t, srv, http.MethodPost, "/v1/jobs/"+long+"/cancel", nil, nil).wantError(t, http.StatusBadRequest, client.CodeInvalidID, "2048")
	get(t, srv, "/v1/products/sandbox:"+long).wantError(t, http.StatusBadRequest, client.CodeInvalidID, "2048")
	if got := b.Collected(); len(got) != 0 {
		t.Errorf("the backend got %d collect requests", len(got))
	}
	at := strings.Repeat("9", api.MaxIDBytes)
	var job client.Job
	post(t, srv, `{"platform":"sandbox","ids":["`+at+`"]}`).decode(t, http.StatusAccepted, &job)
}

// indexBackend answers every job with an index above 2^53 and records the
// wait it was given.
type indexBackend struct {
	*apitest.Backend
	got chan client.WaitOptions
}

const bigIndex = uint64(1)<<62 + 3 // a float64 holds it as 1<<62

func (b indexBackend) Job(ctx context.Context, id string, w client.WaitOptions) (*client.Job, error) {
	b.got <- w
	return &client.Job{ID: id, State: client.JobRunning, Index: bigIndex}, nil
}

// TestIndexIsAString: the blocking-query index goes out as a string and in
// X-Marketsync-Index, exactly, and comes back in either form.
func TestIndexIsAString(t *testing.T) {
	b := indexBackend{Backend: apitest.NewBackend(), got: make(chan client.WaitOptions, 1)}
	srv := apitest.Serve(t, api.Config{Backend: b})
	r := get(t, srv, "/v1/jobs/j1")
	<-b.got
	want := fmt.Sprint(bigIndex)
	if h := r.header.Get(client.HeaderIndex); h != want {
		t.Errorf("%s = %q, want %q", client.HeaderIndex, h, want)
	}
	var raw map[string]any
	r.decode(t, http.StatusOK, &raw)
	if raw["index"] != want {
		t.Errorf("index = %#v, want the string %q", raw["index"], want)
	}
	for name, q := range map[string]string{"bare": want, "quoted": `"` + want + `"`} {
		t.Run(name, func(t *testing.T) {
			get(t, srv, "/v1/jobs/j1?wait=1s&index="+url.QueryEscape(q)).decode(t, http.StatusOK, &raw)
			if w := <-b.got; w.Index != bigIndex || w.Wait != time.Second {
				t.Errorf("backend got %+v, want index %d", w, bigIndex)
			}
		})
	}
	get(t, srv, "/v1/jobs/j1?index=4.611686018427388e%2B18").wantError(t, http.StatusBadRequest, client.CodeInvalidQuery, client.HeaderIndex)
}

// TestTokenlessAgentAnswersLoopbackHostsOnly: without a token, a request
// must name the agent by loopback, which a DNS-rebound page cannot.
func TestTokenlessAgentAnswersLoopbackHostsOnly(t *testing.T) {
	open := apitest.NewServer(t, apitest.NewBackend(), "")
	guarded := apitest.NewServer(t, apitest.NewBackend(), testToken)
	for host, ok := range map[string]bool{
		"localhost": true, "localhost:8787": true, "LOCALHOST:1": true, "localhost.:8787": true,
		"127.0.0.1": true, "127.0.0.1:8787": true, "127.9.9.9:80": true,
		"[::1]:8787": true, "[::1]": true, "::1": true,
		"evil.example:8787": false, "evil.example": false, "10.0.0.5:8787": false, "0.0.0.0:8787": false,
		"localhost.evil.example": false, "[::ffff:10.0.0.1]:80": false,
	} {
		t.Run(host, func(t *testing.T) {
			for _, path := range []string{"/v1/jobs", "/v1/health"} {
				r := call(t, open, http.MethodGet, path, nil, map[string]string{"Host": host})
				if ok && r.status != http.StatusOK {
					t.Errorf("%s: status %d; body %s", path, r.status, r.body)
				}
				if !ok {
					r.wantError(t, http.StatusForbidden, client.CodeForbiddenHost, "api.token")
				}
			}
			// With a token, the token decides.
			r := call(t, guarded, http.MethodGet, "/v1/jobs", nil, map[string]string{"Host": host, "Authorization": "Bearer " + testToken})
			if r.status != http.StatusOK {
				t.Errorf("with a token: status %d; body %s", r.status, r.body)
			}
		})
	}
}

// TestTokenScopes: a read token reads, a write token also starts and
// cancels jobs, operator (and the plain token) may do anything; a token
// short of its route's scope is a 403 naming the scope needed.
func TestTokenScopes(t *testing.T) {
	b := apitest.NewBackend()
	b.AddPlatform(client.Platform{Name: "sandbox", Plugin: "sandbox", State: client.PlatformReady, Capabilities: []string{"collect"}})
	addJobs(b)
	srv := apitest.Serve(t, api.Config{Backend: b, Token: "root", Cache: &apitest.Cache{}, Snapshots: snapshotBytes("snap"),
		Tokens: []api.Token{{Secret: "reader", Scope: api.ScopeRead}, {Secret: "writer", Scope: api.ScopeWrite}, {Secret: "op", Scope: api.ScopeOperator}}})
	as := func(token, method, path, body string) reply {
		var r io.Reader
		if body != "" {
			r = strings.NewReader(body)
		}
		return call(t, srv, method, path, r, map[string]string{"Authorization": "Bearer " + token})
	}
	collect := `{"platform":"sandbox","ids":["1"]}`
	for _, tc := range []struct {
		token, method, path, body string
		need                      api.Scope // "" when allowed
	}{
		{"reader", "GET", "/v1/jobs", "", ""},
		{"reader", "GET", "/v1/cache/stats", "", ""},
		{"reader", "POST", "/v1/collect", collect, api.ScopeWrite},
		{"reader", "POST", "/v1/jobs/j2/cancel", "", api.ScopeWrite},
		{"reader", "POST", "/v1/cache/purge", "{}", api.ScopeOperator},
		{"reader", "GET", "/v1/operator/snapshot", "", api.ScopeOperator},
		{"writer", "GET", "/v1/operator/snapshot", "", api.ScopeOperator},
		{"op", "GET", "/v1/operator/snapshot", "", ""},
		{"writer", "GET", "/v1/jobs/j1", "", ""},
		{"writer", "POST", "/v1/collect", collect, ""},
		{"writer", "POST", "/v1/cache/purge", "{}", api.ScopeOperator},
		{"op", "POST", "/v1/cache/purge", "{}", ""},
		{"op", "POST", "/v1/collect", collect, ""},
		{"root", "POST", "/v1/cache/purge", "{}", ""},
	} {
		t.Run(tc.token+" "+tc.method+" "+tc.path, func(t *testing.T) {
			r := as(tc.token, tc.method, tc.path, tc.body)
			if tc.need != "" {
				r.wantError(t, http.StatusForbidden, client.CodeInsufficientScope, `"`+string(tc.need)+`"`, tc.path)
				return
			}
			if r.status >= 300 {
				t.Errorf("status %d; body %s", r.status, r.body)
			}
		})
	}
	as("nobody", "GET", "/v1/jobs", "").wantError(t, http.StatusUnauthorized, client.CodeUnauthorized)
	if _, err := api.New(api.Config{Backend: b, Tokens: []api.Token{{Secret: "x", Scope: "admin"}}}); err == nil {
		t.Error("a token of an unknown scope was accepted")
	}
}

// An Idempotency-Key header reaches the backend with the request; one
// that is too long or holds a space or a control character is refused
// before the backend sees it.
func TestCollectIdempotencyKey(t *testing.T) {
	srv, b := newServer(t)
	c, err := client.New(client.Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.Jobs().Collect(ctx, client.CollectRequest{Platform: "sandbox", IDs: []string{"1"}, IdempotencyKey: "0c7f-4a"}); err != nil {
		t.Fatal(err)
	}
	if got := b.Collected(); len(got) != 1 || got[0].IdempotencyKey != "0c7f-4a" {
		t.Fatalf("the backend got %+v", got)
	}
	for _, key := range []string{strings.Repeat("k", api.MaxIdempotencyKeyBytes+1), "two words", "tab\tkey"} {
		_, err := c.Jobs().Collect(ctx, client.CollectRequest{Platform: "sandbox", IDs: []string{"1"}, IdempotencyKey: key})
		var ae *client.APIError
		if !errors.As(err, &ae) || ae.StatusCode != http.StatusBadRequest || ae.Code != client.CodeInvalidRequest {
			t.Errorf("key %.20q: %v", key, err)
		}
	}
	if n := len(b.Collected()); n != 1 {
		t.Errorf("the backend got %d requests; the refused keys reached it", n)
	}
}
