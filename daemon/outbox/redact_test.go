package outbox_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/marketsync/marketsync/daemon/outbox"
	"github.com/marketsync/marketsync/daemon/store"
	"github.com/marketsync/marketsync/daemon/store/storetest"
)

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://erp.example/hooks":                                 "https://erp.example/hooks",
		"https://user:pa55@erp.example/hooks":                       "https://xxxxx@erp.example/hooks",
		"https://erp.example/hooks?token=s3cret&x=1":                "https://erp.example/hooks?xxxxx",
		"https://oapi.dingtalk.com/robot/send?access_token=ab#frag": "https://oapi.dingtalk.com/robot/send?xxxxx",
		"http://[::1:bad":                                           "xxxxx",
	} {
		if got := outbox.RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// lockedBuffer is a log destination the Deliverer may write from its
// goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestFailedDeliveryErrorHidesCredentials: a sink whose URL carries a
// user's password and a query token, and that cannot be reached, fails;
// neither the stored last error (shown by GET /v1/events/sinks), the
// reported attempt nor the log holds the credentials.
func TestFailedDeliveryErrorHidesCredentials(t *testing.T) {
	clk := newClock()
	db := storetest.Open(t, store.Options{InMemory: true})
	down := httptest.NewServer(nil)
	down.Close() // nothing listens there any more
	sinkURL := strings.Replace(down.URL, "http://", "http://erp-user:pa55word@", 1) + "/hook?token=s3cret-token"
	enqueue(t, db, 1, "erp")
	var logs lockedBuffer
	var attempts []outbox.Attempt
	d := outbox.New(outbox.Options{DB: db, Clock: clk, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		Sinks:     []outbox.Sink{{Name: "erp", URL: sinkURL, Secret: secret}},
		OnAttempt: func(a outbox.Attempt) { attempts = append(attempts, a) }})
	if _, err := d.DeliverDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, st := pending(t, db, "erp")
	if st.Failures != 1 || st.LastError == "" || len(attempts) != 1 || attempts[0].Err == nil {
		t.Fatalf("state %+v, attempts %+v: want one failure", st, attempts)
	}
	for what, text := range map[string]string{"stored last error": st.LastError, "attempt": attempts[0].Err.Error(), "log": logs.String()} {
		for _, secret := range []string{"pa55word", "s3cret-token", "erp-user"} {
			if strings.Contains(text, secret) {
				t.Errorf("%s holds %q: %s", what, secret, text)
			}
		}
	}
	if !strings.Contains(st.LastError, "/hook?xxxxx") {
		t.Errorf("stored last error %q does not say which endpoint failed", st.LastError)
	}
}
