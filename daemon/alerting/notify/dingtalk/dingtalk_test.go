package dingtalk_test

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/marketsync/marketsync/daemon/alerting/notify"
	"github.com/marketsync/marketsync/daemon/alerting/notify/dingtalk"
	"github.com/marketsync/marketsync/daemon/alerting/notify/dingtalk/sim"
	"github.com/marketsync/marketsync/daemon/alerting/notify/robotsim"
)

func msg(status string) *notify.Message {
	return &notify.Message{Status: status, Title: "[FIRING:1] errors", Text: "### errors\n- platform account: taobao-main"}
}

// TestSignature checks the documented example: the sign of a known
// timestamp and secret, and that the simulator refuses a wrong secret and
// a stale timestamp with errcode 310000.
func TestSignature(t *testing.T) {
	// Computed independently: printf "1577262236757\nSEC123" | openssl dgst -sha256 -hmac SEC123 -binary | base64
	if got := dingtalk.Sign(1577262236757, "SEC123"); got != "Z/IOagKYTkrnYtxAsTKneRe0bzmlPCH3ZDJPTD2h9QA=" {
		t.Errorf("Sign = %s", got)
	}
	s := sim.New()
	s.AddRobot("tok", "right")
	n := &dingtalk.Notifier{URL: "https://oapi.dingtalk.com/robot/send?access_token=tok", Secret: "wrong", Client: robotsim.Client(s)}
	ans, err := n.Notify(context.Background(), msg("firing"))
	var ne *notify.Error
	if !errors.As(err, &ne) || ne.Code != dingtalk.CodeSecurity || ne.Retryable || !strings.Contains(ans.Body, "310000") {
		t.Fatalf("wrong secret: %v, answer %+v", err, ans)
	}
	// A request signed an hour and more ago is refused as DingTalk does.
	ms := time.Now().Add(-61 * time.Minute).UnixMilli()
	q := url.Values{"access_token": {"tok"}, "timestamp": {itoa(ms)}, "sign": {dingtalk.Sign(ms, "right")}}
	var p dingtalk.Payload
	p.MsgType, p.Markdown.Title, p.Markdown.Text = "markdown", "t", "x"
	ans, err = notify.PostJSON(context.Background(), robotsim.Client(s), "https://oapi.dingtalk.com/robot/send?"+q.Encode(), p, nil)
	if _, err := dingtalk.ReadAnswer(ans, err, nil); !errors.As(err, &ne) || ne.Code != dingtalk.CodeSecurity {
		t.Fatalf("stale timestamp: %v", err)
	}
	if len(s.Messages()) != 0 {
		t.Fatal("the simulator accepted a bad signature")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestRateLimitAndBan: the 21st message in a minute is refused with
// 410100, retryable after the documented 10 minutes, and the robot stays
// limited that long.
func TestRateLimitAndBan(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := sim.New()
		s.AddRobot("tok", "sec")
		n := &dingtalk.Notifier{URL: "https://oapi.dingtalk.com/robot/send?access_token=tok", Secret: "sec", AtAll: true, Client: robotsim.Client(s)}
		for i := range 20 {
			if _, err := n.Notify(context.Background(), msg("firing")); err != nil {
				t.Fatalf("message %d: %v", i+1, err)
			}
		}
		_, err := n.Notify(context.Background(), msg("firing"))
		var ne *notify.Error
		if !errors.As(err, &ne) || ne.Code != dingtalk.CodeTooFast || !ne.Retryable || ne.RetryAfter != 10*time.Minute {
			t.Fatalf("21st message: %v", err)
		}
		<-time.After(5 * time.Minute)
		if _, err := n.Notify(context.Background(), msg("firing")); !errors.As(err, &ne) || ne.Code != dingtalk.CodeTooFast {
			t.Fatalf("during the ban: %v", err)
		}
		<-time.After(5 * time.Minute)
		if _, err := n.Notify(context.Background(), msg("resolved")); err != nil {
			t.Fatalf("after the ban: %v", err)
		}
		got := s.Messages()
		if len(got) != 21 || !got[0].Payload.At.IsAtAll || got[20].Payload.At.IsAtAll {
			t.Errorf("%d messages; first @all %v, resolved @all %v", len(got), got[0].Payload.At.IsAtAll, got[20].Payload.At.IsAtAll)
		}
	})
}

// TestLongTextIsCut keeps a huge group within the robot's size.
func TestLongTextIsCut(t *testing.T) {
	s := sim.New()
	s.AddRobot("tok", "sec")
	n := &dingtalk.Notifier{URL: "https://oapi.dingtalk.com/robot/send?access_token=tok", Secret: "sec", Client: robotsim.Client(s)}
	m := msg("firing")
	m.Text = strings.Repeat("告警", 10000)
	if _, err := n.Notify(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if text := s.Messages()[0].Payload.Markdown.Text; len(text) > 15000 || !strings.HasSuffix(text, "…") {
		t.Errorf("text of %d bytes", len(text))
	}
}
