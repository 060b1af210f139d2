package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/marketsync/marketsync/sdk"
)

// feedServer plays a supplier's web server: it serves a feed document
// with an ETag, answers If-None-Match with 304, checks the Authorization
// header, and can be switched to answer every request with an error
// status.
type feedServer struct {
	*httptest.Server
	auth string

	mu          sync.Mutex
	body        []byte
	contentType string
	etag        string
	status      int
	header      http.Header

	downloads   atomic.Int64 // 200 answers
	notModified atomic.Int64 // 304 answers
}

const testAuth = "Bearer s3cret"

func newFeedServer(t *testing.T, file, contentType string) *feedServer {
	t.Helper()
	body, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	s := &feedServer{auth: testAuth, body: body, contentType: contentType, etag: `"v1"`}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *feedServer) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Header.Get("Authorization") != s.auth {
		http.Error(w, "bad credentials", http.StatusUnauthorized)
		return
	}
	if s.status != 0 {
		for k, v := range s.header {
			w.Header()[k] = v
		}
		http.Error(w, "feed server says no", s.status)
		return
	}
	if r.Header.Get("If-None-Match") == s.etag {
		s.notModified.Add(1)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	s.downloads.Add(1)
	w.Header().Set("ETag", s.etag)
	if s.contentType != "" {
		w.Header().Set("Content-Type", s.contentType)
	}
	w.Write(s.body)
}

// fail makes the server answer every request with status and the given
// headers until the returned func is called.
func (s *feedServer) fail(status int, header http.Header) (restore func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.header = status, header
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.status, s.header = 0, nil
	}
}

// publish replaces the feed with a new version.
func (s *feedServer) publish(body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, _ := strconv.Atoi(s.etag[2 : len(s.etag)-1])
	s.body, s.etag = []byte(body), `"v`+strconv.Itoa(n+1)+`"`
}

// clock is a fake clock for the feed cache.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// configured returns a feed plugin configured with config (a JSON object)
// on the fake clock.
func configured(t *testing.T, clk *clock, config string) *Feed {
	t.Helper()
	f := New()
	f.now = clk.Now
	cfg, err := sdk.ParseConfigJSON(f.Describe().Config, []byte(config))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Configure(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	return f
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)} }
