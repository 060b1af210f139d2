package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/marketsync/marketsync/daemon/alerting/notify"
	"github.com/marketsync/marketsync/daemon/alerting/notify/robotsim"
	"github.com/marketsync/marketsync/daemon/alerting/notify/webhook"
	"github.com/marketsync/marketsync/daemon/outbox"
)

// TestAlertmanagerFormat: the body reads as Alertmanager's webhook
// version 4 and carries a signature the receiver can check.
func TestAlertmanagerFormat(t *testing.T) {
	var got map[string]any
	var sigErr error
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sigErr = outbox.Verify([]byte("k"), r.Header.Get(outbox.SignatureHeader), body, time.Now(), time.Minute)
		_ = json.Unmarshal(body, &got)
	})
	n := &webhook.Notifier{URL: "https://erp.example/alerts", Secret: "k", Client: robotsim.Client(h)}
	m := &notify.Message{Receiver: "erp", Status: "firing", GroupKey: "0|alertname=errors", GroupLabels: map[string]string{"alertname": "errors"},
		CommonLabels: map[string]string{"alertname": "errors"}, ExternalURL: "http://agent:8787",
		Alerts: []notify.Alert{{Status: "firing", Labels: map[string]string{"alertname": "errors", "platform": "p1"}, StartsAt: time.Unix(1, 0).UTC(), Fingerprint: "ab"}}}
	if _, err := n.Notify(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if sigErr != nil {
		t.Errorf("signature: %v", sigErr)
	}
	for _, key := range []string{"version", "groupKey", "truncatedAlerts", "status", "receiver", "groupLabels", "commonLabels", "commonAnnotations", "externalURL", "alerts"} {
		if _, ok := got[key]; !ok {
			t.Errorf("body lacks %q: %v", key, got)
		}
	}
	alert := got["alerts"].([]any)[0].(map[string]any)
	for _, key := range []string{"status", "labels", "annotations", "startsAt", "endsAt", "generatorURL", "fingerprint"} {
		if _, ok := alert[key]; !ok {
			t.Errorf("alert lacks %q: %v", key, alert)
		}
	}
	if got["version"] != "4" {
		t.Errorf("version %v", got["version"])
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		status    int
		retryable bool
		after     time.Duration
	}{{503, true, 7 * time.Second}, {429, true, 7 * time.Second}, {400, false, 7 * time.Second}} {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "7")
			http.Error(w, "no", tc.status)
		})
		n := &webhook.Notifier{URL: "https://erp.example/alerts", Secret: "k", Client: robotsim.Client(h)}
		_, err := n.Notify(context.Background(), &notify.Message{Status: "firing"})
		var ne *notify.Error
		if !errors.As(err, &ne) || ne.Retryable != tc.retryable || ne.Code != tc.status || ne.RetryAfter != tc.after {
			t.Errorf("%d: %v", tc.status, err)
		}
	}
}
