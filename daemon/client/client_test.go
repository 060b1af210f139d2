package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/marketsync/marketsync/daemon/api"
	"github.com/marketsync/marketsync/daemon/api/apitest"
	"github.com/marketsync/marketsync/daemon/client"
	"github.com/marketsync/marketsync/sdk"
)

func TestAddress(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:8787":           "http://127.0.0.1:8787",
		"localhost:8787":           "http://localhost:8787",
		"http://10.0.0.5:8787/":    "http://10.0.0.5:8787",
		"https://ms.example.com":   "https://ms.example.com",
		"https://example.com/ms/":  "https://example.com/ms",
		" http://127.0.0.1:8787 ":  "http://127.0.0.1:8787",
		"[::1]:8787":               "http://[::1]:8787",
		"ftp://127.0.0.1:8787":     "error",
		"":                         "error",
		"http://":                  "error",
		"http://host:8787/?x=1":    "error",
		"http://host:8787/#anchor": "error",
		"unix:///run/ms.sock":      "unix:///run/ms.sock",
		"unix://run/ms.sock":       "error",
	} {
		c, err := client.New(client.Config{Address: in})
		switch {
		case want == "error" && err == nil:
			t.Errorf("%q: accepted as %s", in, c.Address())
		case want != "error" && err != nil:
			t.Errorf("%q: %v", in, err)
		case want != "error" && c.Address() != want:
			t.Errorf("%q = %s, want %s", in, c.Address(), want)
		}
	}
}

func TestDefaultConfig(t *testing.T) {
	t.Setenv(client.EnvAddress, "")
	t.Setenv(client.EnvToken, "")
	if cfg := client.DefaultConfig(); cfg.Address != client.DefaultAddress || cfg.Token != "" {
		t.Errorf("unset env: %+v", cfg)
	}
	t.Setenv(client.EnvAddress, "10.1.2.3:9000")
	t.Setenv(client.EnvToken, "tok")
	if cfg := client.DefaultConfig(); cfg.Address != "10.1.2.3:9000" || cfg.Token != "tok" {
		t.Errorf("env: %+v", cfg)
	}
}

// setup serves a backend with one platform through the real API.
func setup(t *testing.T, token string) (*client.Client, *apitest.Backend) {
	t.Helper()
	b := apitest.NewBackend()
	b.AddPlatform(client.Platform{Name: "sandbox", Plugin: "sandbox", State: client.PlatformReady, Rate: 10, Burst: 20})
	srv := apitest.NewServer(t, b, token)
	c, err := client.New(client.Config{Address: srv.URL, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	return c, b
}

// apiError asserts that err is an *APIError with that status and code.
func apiError(t *testing.T, err error, status int, code string) *client.APIError {
	t.Helper()
	var e *client.APIError
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *APIError", err, err)
	}
	if e.StatusCode != status || e.Code != code {
		t.Fatalf("APIError %d %q, want %d %q (%s)", e.StatusCode, e.Code, status, code, e.Message)
	}
	return e
}

func TestCollectAndFollow(t *testing.T) {
	ctx := context.Background()
	c, b := setup(t, "")
	b.Step = 2
	b.Failures = map[string]*sdk.Error{"3": sdk.NotFound("20000", "off-shelf")}

	job, err := c.Jobs().Collect(ctx, client.CollectRequest{Platform: "sandbox", IDs: []string{"1", "2", "3", "4"}})
	if err != nil {
		t.Fatal(err)
	}
	if job.State != client.JobQueued || job.Total != 4 || job.Pending != 4 || job.Progress() != 0 {
		t.Fatalf("submitted job = %+v", job)
	}
	var states []client.JobState
	for !job.State.Final() {
		if job, err = c.Jobs().Info(ctx, job.ID); err != nil {
			t.Fatal(err)
		}
		states = append(states, job.State)
	}
	if got := strings.Join(toStrings(states), " "); got != "running running partial" {
		t.Errorf("states %s", got)
	}
	if job.Succeeded != 3 || job.Failed != 1 || job.Pending != 0 || job.Progress() != 1 || job.Elapsed(job.FinishedAt) <= 0 {
		t.Errorf("final job = %+v", job)
	}

	page, err := c.Jobs().Items(ctx, job.ID, client.ItemListOptions{State: client.ItemFailed})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || page.Items[0].ID != "3" || page.Items[0].Error.Kind != sdk.KindNotFound {
		t.Errorf("failed items = %+v", page)
	}
	page, err = c.Jobs().Items(ctx, job.ID, client.ItemListOptions{After: 1, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 2 || page.Items[0].Index != 1 || page.Next != 3 {
		t.Errorf("page after 1 = %+v", page)
	}

	jobs, err := c.Jobs().List(ctx, client.JobListOptions{State: client.JobPartial, Platform: "sandbox", Limit: 5})
	if err != nil || len(jobs) != 1 || jobs[0].ID != job.ID {
		t.Errorf("list = %+v, %v", jobs, err)
	}
	jobs, err = c.Jobs().List(ctx, client.JobListOptions{State: client.JobRunning})
	if err != nil || len(jobs) != 0 {
		t.Errorf("running = %+v, %v", jobs, err)
	}
}

func toStrings(states []client.JobState) []string {
	out := make([]string, len(states))
	for i, s := range states {
		out[i] = string(s)
	}
	return out
}

func TestPlatformsProductsHealth(t *testing.T) {
	ctx := context.Background()
	c, b := setup(t, "")
	b.AddProduct(apitest.Product("sandbox", "100001"))

	ps, err := c.Platforms().List(ctx)
	if err != nil || len(ps) != 1 || ps[0].Name != "sandbox" || ps[0].Burst != 20 {
		t.Errorf("platforms = %+v, %v", ps, err)
	}
	p, err := c.Products().Info(ctx, "sandbox:100001")
	if err != nil || p.Platform != "sandbox" || p.Variants[1].Price.String() != "21.50 CNY" {
		t.Errorf("product = %+v, %v", p, err)
	}
	h, err := c.Health(ctx)
	if err != nil || h.Status != "ok" || h.Uptime() < 0 {
		t.Errorf("health = %+v, %v", h, err)
	}
}

func TestAPIErrors(t *testing.T) {
	ctx := context.Background()
	c, _ := setup(t, "")

	_, err := c.Jobs().Info(ctx, "nope")
	e := apiError(t, err, 404, client.CodeJobNotFound)
	if !e.IsNotFound() || e.Error() != `no job with id "nope" (job_not_found)` {
		t.Errorf("Error() = %q", e.Error())
	}
	_, err = c.Jobs().Collect(ctx, client.CollectRequest{Platform: "sandbox", IDs: make([]string, api.MaxCollectIDs+1)})
	apiError(t, err, 400, client.CodeTooManyIDs)
	_, err = c.Jobs().Collect(ctx, client.CollectRequest{Platform: "elsewhere", IDs: []string{"1"}})
	apiError(t, err, 400, client.CodeUnknownPlatform)
	_, err = c.Jobs().List(ctx, client.JobListOptions{Limit: 5000})
	apiError(t, err, 400, client.CodeInvalidQuery)
	_, err = c.Products().Info(ctx, "sandbox:404")
	apiError(t, err, 404, client.CodeProductNotFound)
}

func TestToken(t *testing.T) {
	ctx := context.Background()
	c, _ := setup(t, "tok-123")
	if _, err := c.Platforms().List(ctx); err != nil {
		t.Fatalf("with the token: %v", err)
	}
	anon, err := client.New(client.Config{Address: c.Address()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = anon.Platforms().List(ctx)
	apiError(t, err, 401, client.CodeUnauthorized)
	if _, err := anon.Health(ctx); err != nil {
		t.Errorf("health without a token: %v", err)
	}
}

func TestForeignErrorBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "upstream connect error", http.StatusBadGateway)
	}))
	defer srv.Close()
	c, err := client.New(client.Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Health(context.Background())
	e := apiError(t, err, 502, "")
	if e.Error() != "upstream connect error (HTTP 502)" {
		t.Errorf("Error() = %q", e.Error())
	}
}

func TestPathPrefix(t *testing.T) {
	s, err := api.New(api.Config{Backend: apitest.NewBackend()})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/marketsync/", http.StripPrefix("/marketsync", s))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c, err := client.New(client.Config{Address: srv.URL + "/marketsync/"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Health(context.Background()); err != nil {
		t.Errorf("health behind a prefix: %v", err)
	}
}

func TestProductsEachFollowsEveryPage(t *testing.T) {
	c, b := setup(t, "")
	for _, id := range []string{"3", "1", "2"} {
		b.AddProduct(apitest.Product("sandbox", id))
	}
	var got []string
	err := c.Products().Each(context.Background(), client.ProductListOptions{Limit: 2}, func(p client.Product) error {
		got = append(got, p.ID)
		return nil
	})
	if err != nil || strings.Join(got, ",") != "1,2,3" {
		t.Errorf("Each saw %v, %v; want 1,2,3", got, err)
	}
	_, err = c.Products().List(context.Background(), client.ProductListOptions{Platform: "nosuch"})
	apiError(t, err, http.StatusBadRequest, client.CodeUnknownPlatform)
}

// TestJobIndex: a job's index is read exactly from the string this agent
// writes, from the number earlier agents wrote, and from the header.
func TestJobIndex(t *testing.T) {
	const big = uint64(1)<<62 + 3
	for name, body := range map[string]string{
		"string": `{"id":"j","index":"4611686018427387907"}`,
		"number": `{"id":"j","index":4611686018427387907}`,
	} {
		var j client.Job
		if err := json.Unmarshal([]byte(body), &j); err != nil || j.Index != big || j.ID != "j" {
			t.Errorf("%s: %+v, %v", name, j, err)
		}
	}
	out, err := json.Marshal(client.Job{ID: "j", Index: big})
	if err != nil || !strings.Contains(string(out), `"index":"4611686018427387907"`) {
		t.Errorf("marshal = %s, %v", out, err)
	}
	var bad client.Job
	if err := json.Unmarshal([]byte(`{"index":"x1"}`), &bad); err == nil {
		t.Error("an index of letters was accepted")
	}

	// Watch sends the index as digits and takes the answer's from the
	// header.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got := r.URL.Query().Get("index"); got != "" && got != "4611686018427387907" {
			t.Errorf("index sent as %q", got)
		}
		w.Header().Set(client.HeaderIndex, "4611686018427387907")
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"j"}`))
	}))
	defer srv.Close()
	c, err := client.New(client.Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	j, err := c.Jobs().Watch(context.Background(), "j", client.WaitOptions{Index: big, Wait: time.Second})
	if err != nil || j.Index != big {
		t.Errorf("watch = %+v, %v; want index %d from the header", j, err, big)
	}
}
