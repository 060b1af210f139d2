package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
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

// failing is a transport that fails every request the way a refused
// connection does.
type failing struct{}

func (failing) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	return nil, errors.New("dial tcp 192.0.2.1:443: connect: connection refused")
}

// TestPostJSONHidesCredentials: a failed request's error, which net/http
// words with the whole URL, names only the scheme and host: no access
// token, key, path token or password, and it is still retryable; a URL
// that does not parse is not quoted either.
func TestPostJSONHidesCredentials(t *testing.T) {
	c := &http.Client{Transport: failing{}}
	for _, raw := range []string{
		"https://oapi.dingtalk.com/robot/send?access_token=SEKRIT&timestamp=1&sign=SEKRIT",
		"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SEKRIT",
		"https://open.feishu.cn/open-apis/bot/v2/hook/SEKRIT",
		"https://user:SEKRIT@erp.example/alerts",
	} {
		_, err := notify.PostJSON(context.Background(), c, raw, 1, nil)
		if err == nil || strings.Contains(err.Error(), "SEKRIT") || !strings.Contains(err.Error(), "connection refused") || !notify.Retryable(err) {
			t.Errorf("%s: error %v", raw, err)
		}
		if host := strings.Split(strings.TrimPrefix(raw, "https://"), "/")[0]; !strings.Contains(err.Error(), "https://"+host[strings.Index(host, "@")+1:]+"/…") {
			t.Errorf("%s: the error does not name the host: %v", raw, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := notify.PostJSON(ctx, c, "https://x.example/?key=SEKRIT", 1, nil); !errors.Is(err, context.Canceled) || strings.Contains(err.Error(), "SEKRIT") {
		t.Errorf("cancelled: %v", err)
	}
	if _, err := notify.PostJSON(context.Background(), c, "https://x.example/\x7f?key=SEKRIT", 1, nil); err == nil || strings.Contains(err.Error(), "SEKRIT") {
		t.Errorf("bad URL: %v", err)
	}
	if err := notify.Redact(fmt.Errorf("send: %w", &url.Error{Op: "Post", URL: "https://x.example/?key=SEKRIT", Err: io.EOF})); strings.Contains(err.Error(), "SEKRIT") || !notify.Retryable(err) {
		t.Errorf("wrapped: %v", err)
	}
}
