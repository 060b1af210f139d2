package agent

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/marketsync/marketsync/daemon/api"
	"github.com/marketsync/marketsync/daemon/webhook"
)

// TestWebhookErrorHidesCause: the unauthenticated webhook route answers a
// failure to verify or record with a fixed message, never the cause's
// text (store paths, plugin internals); refusals keep their reason.
func TestWebhookErrorHidesCause(t *testing.T) {
	cause := fmt.Errorf("cannot record: %w", errors.New("badger: open /var/lib/marketsync/000012.vlog: no space left on device"))
	err := webhookError("shopify", "my-store", cause)
	var retry *api.RetryLater
	if !errors.As(err, &retry) || retry.Err.Status != http.StatusServiceUnavailable || retry.After != webhookRetryAfter {
		t.Fatalf("answer %#v, want a 503 with Retry-After", err)
	}
	if strings.Contains(retry.Err.Message, "badger") || strings.Contains(retry.Err.Message, "/var/lib") {
		t.Errorf("the answer tells the cause: %q", retry.Err.Message)
	}
	refused := webhookError("shopify", "my-store", &webhook.Refused{Auth: true, Code: "bad_signature", Message: "the HMAC does not match"})
	var ae *api.Error
	if !errors.As(refused, &ae) || ae.Status != http.StatusUnauthorized || ae.Message != "the HMAC does not match" {
		t.Errorf("a refusal: %#v", refused)
	}
}
