package feishu_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/marketsync/marketsync/daemon/alerting/notify"
	"github.com/marketsync/marketsync/daemon/alerting/notify/feishu"
	"github.com/marketsync/marketsync/daemon/alerting/notify/feishu/sim"
	"github.com/marketsync/marketsync/daemon/alerting/notify/robotsim"
)

const hook = "https://open.feishu.cn/open-apis/bot/v2/hook/tok"

func TestSignature(t *testing.T) {
	// Computed independently: printf '' | openssl dgst -sha256 -hmac "$(printf '1599360473\ndemo')" -binary | base64
	if got := feishu.Sign(1599360473, "demo"); got != "l1N0gAcBjdwBvGm1xMjOF0XSyaLRpR7tuO5dHfhAYc8=" {
		t.Errorf("Sign = %s", got)
	}
	s := sim.New()
	s.AddBot("tok", "right")
	n := &feishu.Notifier{URL: hook, Secret: "wrong", Client: robotsim.Client(s)}
	_, err := n.Notify(context.Background(), &notify.Message{Status: "firing", Title: "t", Text: "x"})
	var ne *notify.Error
	if !errors.As(err, &ne) || ne.Code != feishu.CodeBadSign || ne.Retryable || len(s.Messages()) != 0 {
		t.Fatalf("wrong secret: %v", err)
	}
}

// TestLimits: five messages a second pass, the sixth is refused by the bot
// unless the notifier's limits are kept; and a card's text is cut to fit
// the 20 KB body.
func TestLimits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := sim.New()
		s.AddBot("tok", "sec")
		n := &feishu.Notifier{URL: hook, Secret: "sec", Client: robotsim.Client(s)}
		m := &notify.Message{Status: "resolved", Title: "[RESOLVED] errors", Text: strings.Repeat("恢复", 20000)}
		for i := range 5 {
			if _, err := n.Notify(context.Background(), m); err != nil {
				t.Fatalf("message %d: %v", i+1, err)
			}
		}
		_, err := n.Notify(context.Background(), m)
		var ne *notify.Error
		if !errors.As(err, &ne) || ne.Code != feishu.CodeTooFast || !ne.Retryable {
			t.Fatalf("6th message in a second: %v", err)
		}
		<-time.After(time.Second)
		if _, err := n.Notify(context.Background(), m); err != nil {
			t.Fatalf("a second later: %v", err)
		}
		got := s.Messages()
		if len(got) != 6 || got[0].Payload.Card.Header.Template != "green" || !strings.HasSuffix(got[0].Payload.Card.Elements[0].Content, "…") {
			t.Errorf("%d cards: %+v", len(got), got[0].Payload.Card.Header)
		}
		if lim := n.Limits(); len(lim) != 2 {
			t.Errorf("limits %v", lim)
		}
	})
}
