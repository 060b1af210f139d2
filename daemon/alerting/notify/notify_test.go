package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/marketsync/marketsync/daemon/alerting/notify"
	"github.com/marketsync/marketsync/daemon/alerting/notify/robotsim"
)

// TestPostJSON: the body is v as JSON, sent as application/json, and the
// header function sees the very bytes that are sent; a URL that does not
// parse is a permanent error and nothing is sent.
func TestPostJSON(t *testing.T) {
	var body []byte
	var ct, sig string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ = io.ReadAll(r.Body)
		ct, sig = r.Header.Get("Content-Type"), r.Header.Get("X-Sig")
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte("ok"))
	})
	c := robotsim.Client(h)
	ans, err := notify.PostJSON(context.Background(), c, "https://robot.example/send", map[string]int{"n": 1},
		func(h http.Header, b []byte) { h.Set("X-Sig", string(b)) })
	if err != nil || ans.Status != http.StatusAccepted || ans.Body != "ok" {
		t.Fatalf("answer %+v, %v", ans, err)
	}
	var got map[string]int
	if err := json.Unmarshal(body, &got); err != nil || got["n"] != 1 || sig != string(body) || ct != "application/json; charset=utf-8" {
		t.Errorf("body %q, signature header %q, content type %q", body, sig, ct)
	}

	body = nil
	_, err = notify.PostJSON(context.Background(), c, "https://robot.example/\x7f", 1, nil)
	var ne *notify.Error
	if !errors.As(err, &ne) || ne.Retryable || body != nil {
		t.Errorf("bad URL: %v (sent %q)", err, body)
	}
}
