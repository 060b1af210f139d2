package webhook

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/marketsync/marketsync/daemon/alerting/notify"
	"github.com/marketsync/marketsync/daemon/outbox"
)

// Payload is Alertmanager's webhook body.
type Payload struct {
	Version         string `json:"version"`
	TruncatedAlerts int    `json:"truncatedAlerts"`
	*notify.Message
}

// Notifier posts to one URL.
type Notifier struct {
	URL    string
	Secret string
	Client *http.Client
}

// Notify posts m; any 2xx is success, 429 and 5xx are retryable.
func (n *Notifier) Notify(ctx context.Context, m *notify.Message) (notify.Answer, error) {
	ans, err := notify.PostJSON(ctx, n.Client, n.URL, Payload{Version: "4", Message: m}, func(h http.Header, body []byte) {
		h.Set("User-Agent", "marketsync-alerting")
		h.Set(outbox.SignatureHeader, outbox.Sign([]byte(n.Secret), time.Now(), body))
	})
	if err != nil {
		return ans, err
	}
	if ans.Status/100 == 2 {
		return ans, nil
	}
	e := &notify.Error{Code: ans.Status, Message: notify.Truncate(ans.Body, 200),
		Retryable: ans.Status >= 500 || ans.Status == http.StatusTooManyRequests}
	if s, err := strconv.Atoi(ans.Header.Get("Retry-After")); err == nil {
		e.RetryAfter = time.Duration(s) * time.Second
	}
	return ans, e
}
