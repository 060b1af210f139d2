package apitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/marketsync/marketsync/daemon/api"
	"github.com/marketsync/marketsync/daemon/client"
)

// A Case is one request of the API's contract and the answer every
// Backend must lead to: the fake one here and the real agent alike.
type Case struct {
	Name string
	// Method is GET when empty. Path may hold "{name}" placeholders,
	// filled in from the values earlier cases saved.
	Method, Path string
	// Body is sent with Content-Type application/json, or ContentType
	// when that is set.
	Body, ContentType string

	Status int
	// Code is the error code of an error answer.
	Code string
	// Want is JSON that the answer must contain: an object's keys with
	// values that contain Want's, each element of an array in some element
	// of the answer's, scalars equal, "*" anything present.
	Want string
	// Poll repeats the request, at most 100 times, until the answer holds
	// Want; with a blocking query ("?index={index}&wait=..." saving index)
	// the real agent answers when the job changes.
	Poll bool
	// Save keeps fields of the answer, an object, under placeholder names:
	// {"job": "id"} makes later paths' "{job}" the answer's id.
	Save map[string]string
	// Location is the Location header the answer must carry, after
	// placeholders are filled in.
	Location string
}

// ContractPlatform is the platform block that the server under contract
// must configure: named "sandbox", of the sandbox plugin, which collects
// and knows the ids from 100001 on.
const ContractPlatform = "sandbox"

// ContractCases run in order against a server without a token and with
// stats enabled. A collect job goes through its whole life on the way, so
// later cases see what it left: its items, its products.
var ContractCases = []Case{
	{Name: "health", Path: "/v1/health", Status: 200, Want: `{"status":"ok","version":"*","uptime_seconds":"*"}`},
	{Name: "platforms", Path: "/v1/platforms", Status: 200,
		Want: `[{"name":"sandbox","plugin":"sandbox","state":"ready","capabilities":["collect"],"rate":"*","burst":"*"}]`},

	{Name: "collect, text content type", Method: "POST", Path: "/v1/collect", Body: `{}`, ContentType: "text/plain",
		Status: 415, Code: client.CodeUnsupportedMediaType},
	{Name: "collect, malformed", Method: "POST", Path: "/v1/collect", Body: `{"platform":"sandbox",}`,
		Status: 400, Code: client.CodeMalformedJSON},
	{Name: "collect, unknown field", Method: "POST", Path: "/v1/collect", Body: `{"platform":"sandbox","idz":["1"]}`,
		Status: 400, Code: client.CodeMalformedJSON},
	{Name: "collect, no platform", Method: "POST", Path: "/v1/collect", Body: `{"ids":["100001"]}`,
		Status: 400, Code: client.CodeInvalidRequest},
	{Name: "collect, no ids", Method: "POST", Path: "/v1/collect", Body: `{"platform":"sandbox","ids":[]}`,
		Status: 400, Code: client.CodeMissingIDs},
	{Name: "collect, an id twice", Method: "POST", Path: "/v1/collect", Body: `{"platform":"sandbox","ids":["100001","100001"]}`,
		Status: 400, Code: client.CodeDuplicateIDs},
	{Name: "collect, an id with a space", Method: "POST", Path: "/v1/collect", Body: `{"platform":"sandbox","ids":["100001","1000 02"]}`,
		Status: 400, Code: client.CodeInvalidRequest},
	{Name: "collect, a URL with a tab", Method: "POST", Path: "/v1/collect", Body: `{"platform":"sandbox","ids":["https://x.invalid/a\tb"]}`,
		Status: 400, Code: client.CodeInvalidRequest},
	{Name: "collect, ids and a scope", Method: "POST", Path: "/v1/collect", Body: `{"platform":"sandbox","ids":["100001"],"scope":"all"}`,
		Status: 400, Code: client.CodeInvalidRequest},
	{Name: "collect, unknown platform", Method: "POST", Path: "/v1/collect", Body: `{"platform":"nope","ids":["100001"]}`,
		Status: 400, Code: client.CodeUnknownPlatform},

	{Name: "collect", Method: "POST", Path: "/v1/collect", Body: `{"platform":"sandbox","ids":["100001","100002"]}`,
		Status: 202, Want: `{"id":"*","kind":"collect","platform":"sandbox","state":"queued","total":2,"pending":2,"index":"*"}`,
		Save: map[string]string{"job": "id", "index": "index"}, Location: "/v1/jobs/{job}"},
	{Name: "job", Path: "/v1/jobs/{job}", Status: 200, Want: `{"id":"{job}","kind":"collect","platform":"sandbox","total":2}`},
	{Name: "job items", Path: "/v1/jobs/{job}/items", Status: 200,
		Want: `{"items":[{"index":0,"id":"100001","state":"*"},{"index":1,"id":"100002","state":"*"}]}`},
	{Name: "job items, a page", Path: "/v1/jobs/{job}/items?limit=1", Status: 200, Want: `{"items":[{"index":0,"id":"100001"}],"next":1}`},
	{Name: "job finishes", Path: "/v1/jobs/{job}?index={index}&wait=10s", Poll: true, Save: map[string]string{"index": "index"},
		Status: 200, Want: `{"id":"{job}","state":"succeeded","succeeded":2,"failed":0,"pending":0,"started_at":"*","finished_at":"*"}`},
	{Name: "job items, succeeded", Path: "/v1/jobs/{job}/items?state=succeeded", Status: 200,
		Want: `{"items":[{"index":0,"id":"100001","state":"succeeded","attempts":1},{"index":1,"id":"100002","state":"succeeded","attempts":1}]}`},
	{Name: "job items, failed", Path: "/v1/jobs/{job}/items?state=failed", Status: 200, Want: `{"items":[]}`},
	{Name: "jobs", Path: "/v1/jobs?platform=sandbox&state=succeeded", Status: 200, Want: `[{"id":"{job}","state":"succeeded"}]`},
	{Name: "cancel a finished job", Method: "POST", Path: "/v1/jobs/{job}/cancel", Status: 409, Code: client.CodeJobFinished},

	// URLs are resolved by the job, first: one that names no sandbox
	// product fails alone, as an item; the same product named by an id
	// and a URL is collected once.
	{Name: "collect URLs", Method: "POST", Path: "/v1/collect",
		Body:   `{"platform":"sandbox","ids":["100010","` + SandboxURL("100011") + `","https://example.com/x","` + SandboxURL("100010") + `"]}`,
		Status: 202, Want: `{"id":"*","state":"queued","step":"resolving","to_resolve":3,"total":4,"pending":4}`,
		Save: map[string]string{"urljob": "id", "urlindex": "index"}},
	{Name: "URL job finishes", Path: "/v1/jobs/{urljob}?index={urlindex}&wait=10s", Poll: true, Save: map[string]string{"urlindex": "index"},
		Status: 200, Want: `{"id":"{urljob}","state":"partial","step":"collecting","to_resolve":3,"resolved":3,"succeeded":3,"failed":1,"pending":0}`},
	{Name: "URL job items", Path: "/v1/jobs/{urljob}/items", Status: 200,
		Want: `{"items":[{"index":0,"id":"100010","state":"succeeded"},{"index":1,"id":"100011","url":"` + SandboxURL("100011") + `","state":"succeeded"},` +
			`{"index":2,"id":"","url":"https://example.com/x","state":"failed","error":{"kind":"INVALID","code":"NOT_A_PRODUCT_URL"}},` +
			`{"index":3,"id":"100010","url":"` + SandboxURL("100010") + `","state":"succeeded","attempts":0}]}`},

	{Name: "jobs, unknown state", Path: "/v1/jobs?state=done", Status: 400, Code: client.CodeInvalidQuery},
	{Name: "jobs, limit 0", Path: "/v1/jobs?limit=0", Status: 400, Code: client.CodeInvalidQuery},
	{Name: "jobs, unknown platform", Path: "/v1/jobs?platform=nope", Status: 400, Code: client.CodeUnknownPlatform},
	{Name: "job items, unknown state", Path: "/v1/jobs/{job}/items?state=broken", Status: 400, Code: client.CodeInvalidQuery},
	{Name: "job, bad index", Path: "/v1/jobs/{job}?index=latest", Status: 400, Code: client.CodeInvalidQuery},
	{Name: "unknown job", Path: "/v1/jobs/nope", Status: 404, Code: client.CodeJobNotFound},
	{Name: "unknown job's items", Path: "/v1/jobs/nope/items", Status: 404, Code: client.CodeJobNotFound},
	{Name: "cancel an unknown job", Method: "POST", Path: "/v1/jobs/nope/cancel", Status: 404, Code: client.CodeJobNotFound},

	{Name: "product", Path: "/v1/products/sandbox:100001", Status: 200, Want: `{"id":"100001","platform":"sandbox","title":"*","variants":"*"}`},
	{Name: "product, bare id", Path: "/v1/products/100002", Status: 200, Want: `{"id":"100002","platform":"sandbox"}`},
	{Name: "product not collected", Path: "/v1/products/sandbox:100003", Status: 404, Code: client.CodeProductNotFound},
	{Name: "product not collected, bare id", Path: "/v1/products/100003", Status: 404, Code: client.CodeProductNotFound},
	{Name: "product of an unknown platform", Path: "/v1/products/nope:100001", Status: 400, Code: client.CodeUnknownPlatform},
	{Name: "product, empty platform", Path: "/v1/products/:100001", Status: 400, Code: client.CodeInvalidRequest},

	{Name: "products, a page", Path: "/v1/products?platform=sandbox&limit=1", Status: 200,
		Want: `{"products":[{"id":"100001","platform":"sandbox","title":"*","collected_at":"*"}],"next":"*"}`, Save: map[string]string{"next": "next"}},
	{Name: "products, the next page", Path: "/v1/products?platform=sandbox&limit=1&cursor={next}", Status: 200,
		Want: `{"products":[{"id":"100002","platform":"sandbox"}],"next":"*"}`},
	{Name: "products, every platform", Path: "/v1/products", Status: 200,
		Want: `{"products":[{"id":"100001"},{"id":"100002"},{"id":"100010"},{"id":"100011"}]}`},
	{Name: "products, unknown platform", Path: "/v1/products?platform=nope", Status: 400, Code: client.CodeUnknownPlatform},
	{Name: "products, limit 0", Path: "/v1/products?limit=0", Status: 400, Code: client.CodeInvalidQuery},

	// A scope collects a whole listing: the job lists it first.
	{Name: "collect a listing", Method: "POST", Path: "/v1/collect", Body: `{"platform":"sandbox","scope":"all"}`,
		Status: 202, Want: `{"id":"*","state":"queued","step":"listing","scope":"all","total":0}`, Save: map[string]string{"scopejob": "id"}},
	{Name: "cancel the listing", Method: "POST", Path: "/v1/jobs/{scopejob}/cancel", Status: 200,
		Want: `{"id":"{scopejob}","state":"cancelled","scope":"all"}`},

	{Name: "stats", Path: "/v1/stats?range=5m", Status: 200, Want: `{"from":"*","to":"*","rows":"*","total":{"errors":"*"}}`},
	{Name: "stats, unknown platform", Path: "/v1/stats?platform=nope", Status: 400, Code: client.CodeUnknownPlatform},
	{Name: "stats, range too short", Path: "/v1/stats?range=1s", Status: 400, Code: client.CodeInvalidQuery},
	{Name: "stats, unknown operation", Path: "/v1/stats?operation=fetch", Status: 400, Code: client.CodeInvalidQuery},

	{Name: "no route", Path: "/v1/nothing", Status: 404, Code: client.CodeNotFound},
	{Name: "wrong method", Method: "POST", Path: "/v1/jobs", Status: 405, Code: client.CodeMethodNotAllowed},
}

// NewContractServer serves a fake backend set up as ContractCases expect.
func NewContractServer(t testing.TB) *httptest.Server {
	t.Helper()
	b := NewBackend()
	b.AddPlatform(client.Platform{Name: ContractPlatform, Plugin: "sandbox", Version: "0.1.0", State: client.PlatformReady,
		Capabilities: []string{"collect"}, Rate: 10, Burst: 20, Concurrency: 4})
	return Serve(t, api.Config{Backend: b, Stats: &Stats{Platforms: []string{ContractPlatform}}})
}

// RunContract runs ContractCases in order against the API at baseURL.
func RunContract(t *testing.T, baseURL string) {
	t.Helper()
	saved := map[string]string{}
	hc := &http.Client{Timeout: time.Minute}
	for _, c := range ContractCases {
		ok := t.Run(c.Name, func(t *testing.T) {
			tries := 1
			if c.Poll {
				tries = 100
			}
			for try := 1; ; try++ {
				r := send(t, hc, baseURL, c, saved)
				if r.Status != c.Status {
					t.Fatalf("%s %s: status %d, want %d; body %s", c.method(), fill(c.Path, saved), r.Status, c.Status, r.Body)
				}
				got := decode(t, r.Body)
				for name, field := range c.Save {
					obj, _ := got.(map[string]any)
					v, ok := obj[field]
					if !ok {
						t.Fatalf("the answer has no %q to save: %s", field, r.Body)
					}
					saved[name] = fmt.Sprint(v)
				}
				if c.Location != "" && r.Header.Get("Location") != fill(c.Location, saved) {
					t.Errorf("Location %q, want %q", r.Header.Get("Location"), fill(c.Location, saved))
				}
				want := c.Want
				if c.Code != "" {
					want = fmt.Sprintf(`{"error":{"code":%q,"message":"*"}}`, c.Code)
				}
				if contains(got, decode(t, []byte(fill(want, saved)))) {
					return
				}
				if try >= tries {
					t.Fatalf("the answer %s does not hold %s", r.Body, fill(want, saved))
				}
			}
		})
		if !ok && len(c.Save) > 0 {
			t.Fatalf("case %q failed: the cases after it need what it saves", c.Name)
		}
	}
}

func (c Case) method() string {
	if c.Method == "" {
		return http.MethodGet
	}
	return c.Method
}

// send makes the request of c.
func send(t *testing.T, hc *http.Client, baseURL string, c Case, saved map[string]string) Reply {
	t.Helper()
	var body io.Reader
	if c.Body != "" {
		body = strings.NewReader(c.Body)
	}
	header := map[string]string{}
	if c.ContentType != "" {
		header["Content-Type"] = c.ContentType
	}
	r := Send(t, hc, c.method(), baseURL+fill(c.Path, saved), body, header)
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	return r
}

// Reply is an answer of the API, read whole.
type Reply struct {
	Status int
	Header http.Header
	Body   []byte
}

// Send makes one request with hc and reads the answer. A body, when not
// nil, goes with Content-Type application/json unless header sets another.
func Send(t testing.TB, hc *http.Client, method, url string, body io.Reader, header map[string]string) Reply {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		if strings.EqualFold(k, "Host") {
			req.Host = v // the client sends req.Host, not a Host header
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return Reply{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// fill replaces the "{name}" placeholders of s with the saved values.
func fill(s string, saved map[string]string) string {
	for name, v := range saved {
		s = strings.ReplaceAll(s, "{"+name+"}", v)
	}
	return s
}

// decode reads JSON with its numbers as written, so that large indexes
// keep every digit.
func decode(t *testing.T, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

// contains reports whether got holds want, as Case.Want describes.
func contains(got, want any) bool {
	switch w := want.(type) {
	case string:
		if w == "*" {
			return got != nil
		}
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return false
		}
		for k, wv := range w {
			if gv, ok := g[k]; !ok || !contains(gv, wv) {
				return false
			}
		}
		return true
	case []any:
		g, ok := got.([]any)
		if !ok || (len(w) == 0 && len(g) != 0) {
			return false
		}
		for _, wv := range w {
			found := false
			for _, gv := range g {
				if contains(gv, wv) {
					found = true
					break
				}
			}
			if !found {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(got, want)
}
