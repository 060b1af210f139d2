package wecom_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/marketsync/marketsync/daemon/alerting/notify"
	"github.com/marketsync/marketsync/daemon/alerting/notify/robotsim"
	"github.com/marketsync/marketsync/daemon/alerting/notify/wecom"
	"github.com/marketsync/marketsync/daemon/alerting/notify/wecom/sim"
)

func TestWeCom(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := sim.New("k1")
		n := &wecom.Notifier{URL: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k1", Client: robotsim.Client(s)}
		m := &notify.Message{Status: "firing", Title: "[告警:1] errors", Text: strings.Repeat("告警", 3000)}
		for i := range 20 {
			if _, err := n.Notify(context.Background(), m); err != nil {
				t.Fatalf("message %d: %v", i+1, err)
			}
		}
		_, err := n.Notify(context.Background(), m)
		var ne *notify.Error
		if !errors.As(err, &ne) || ne.Code != wecom.CodeTooFast || !ne.Retryable {
			t.Fatalf("21st message in a minute: %v", err)
		}
		got := s.Messages()
		if c := got[0].Payload.Markdown.Content; len(c) > wecom.MaxContent || !strings.HasPrefix(c, "## [告警:1] errors\n") {
			t.Errorf("content of %d bytes: %.40q", len(c), c)
		}
		bad := &wecom.Notifier{URL: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=nope", Client: robotsim.Client(s)}
		if _, err := bad.Notify(context.Background(), m); !errors.As(err, &ne) || ne.Code != wecom.CodeBadKey || ne.Retryable {
			t.Fatalf("unknown key: %v", err)
		}
	})
}
