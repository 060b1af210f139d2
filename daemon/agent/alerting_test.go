package agent_test

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/marketsync/marketsync/daemon/agent/agenttest"
	"github.com/marketsync/marketsync/daemon/alerting/notify/dingtalk"
	dingsim "github.com/marketsync/marketsync/daemon/alerting/notify/dingtalk/sim"
	"github.com/marketsync/marketsync/daemon/alerting/notify/email/smtptest"
	"github.com/marketsync/marketsync/daemon/client"
)

// TestAlertsEndToEnd: the sandbox plugin process fails every call through
// its fault knob; the agent's rule over its own statistics fires, and a
// signed DingTalk message (to the simulator, over HTTP) and an email (to a
// real SMTP server) arrive within for + evaluation interval + group_wait.
// The API and the receiver test show the rest.
func TestAlertsEndToEnd(t *testing.T) {
	robot, robotURL := startRobot(t)
	mail := smtptest.Start(t, false, false)

	a := agenttest.New(t, bin, `
`+failingSandbox(robotURL)+`
  receiver "email" "mail" {
    smarthost = "`+mail.Addr+`"
    from      = "marketsync@example.com"
    to        = ["ops@example.com"]
    tls       = "none"
  }
  route {
    receiver   = "ops"
    group_wait = "1s"
    continue   = true
  }
  route {
    receiver   = "mail"
    group_wait = "1s"
  }
}
alert "src-errors" {
  expr     = error_rate("src", "1m") > 0.5
  for      = "2s"
  severity = "critical"
}
`)
	ctx := context.Background()
	robotArrived, mailArrived := robot.Arrived(), mail.Arrived()
	if _, err := a.Client.Jobs().Collect(ctx, client.CollectRequest{Platform: "src", IDs: ids(100001, 20)}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	// for (2s) + evaluation interval (1s) + group_wait (1s), with room for
	// a loaded machine; the guard fails the test, nothing waits on it.
	deadline := time.After(30 * time.Second)
	for robotArrived != nil || mailArrived != nil {
		select {
		case <-robotArrived:
			robotArrived = nil
		case <-mailArrived:
			mailArrived = nil
		case <-deadline:
			t.Fatalf("no notification within 30s: %d DingTalk messages, %d mails", len(robot.Messages()), len(mail.Mails()))
		}
	}
	t.Logf("both notifications %s after the job started", time.Since(start).Round(time.Millisecond))
	msgs := robot.Messages()
	if len(msgs) != 1 || !strings.Contains(msgs[0].Payload.Markdown.Text, "src-errors") || !strings.Contains(msgs[0].Payload.Markdown.Text, "platform account: src") {
		t.Fatalf("DingTalk messages %+v", msgs)
	}
	if refused := robot.Refused(); len(refused) > 0 {
		t.Errorf("the robot refused %v", refused)
	}
	if m := mail.Mails(); len(m) != 1 || !strings.Contains(string(m[0].Data), "src-errors") {
		t.Errorf("mails %+v", m)
	}

	list, err := a.Client.Alerts().List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Alerts) != 1 || list.Alerts[0].State != "firing" || list.Alerts[0].Labels["platform"] != "src" || len(list.Receivers) != 2 {
		t.Errorf("GET /v1/alerts = %+v", list)
	}

	// A silence through the API, then a test message and its answer.
	if _, err := a.Client.Alerts().AddSilence(ctx, client.SilenceRequest{Matchers: []string{"alertname=src-errors"}, Author: "ops", Comment: "known", Duration: "1h"}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Client.Alerts().AddSilence(ctx, client.SilenceRequest{Matchers: []string{"bad matcher"}, Author: "ops", Comment: "x", Duration: "1h"}); !isCode(err, client.CodeInvalidSilence) {
		t.Errorf("bad matcher: %v", err)
	}
	if list, _ = a.Client.Alerts().List(ctx); len(list.Alerts[0].SilencedBy) != 1 {
		t.Errorf("not silenced: %+v", list.Alerts[0])
	}
	res, err := a.Client.Alerts().TestReceiver(ctx, "ops")
	if err != nil || !res.OK || !strings.Contains(res.Answer, `"errcode":0`) {
		t.Errorf("test message: %+v, %v", res, err)
	}
	robot.FailNext(dingtalk.CodeSecurity)
	if res, err = a.Client.Alerts().TestReceiver(ctx, "ops"); err != nil || res.OK || !strings.Contains(res.Answer, "310000") {
		t.Errorf("refused test message: %+v, %v", res, err)
	}
	if _, err := a.Client.Alerts().TestReceiver(ctx, "nobody"); !isCode(err, client.CodeReceiverNotFound) {
		t.Errorf("unknown receiver: %v", err)
	}
	// The alert's message, the test message and the refused one, counted
	// where marketsync alerts shows them.
	list, _ = a.Client.Alerts().List(ctx)
	if r := list.Receivers[0]; r.Name != "ops" || r.Sent != 2 || r.Failed != 1 || !strings.Contains(r.LastError, "310000") {
		t.Errorf("receiver ops = %+v", r)
	}
}

func isCode(err error, code string) bool {
	return err != nil && strings.Contains(err.Error(), code)
}

// TestAlertResolvesWhenFaultsStop: the sandbox's failures open the
// platform's breaker and the rule fires; the faults are switched off by a
// reload, the platform restarts with a closed breaker and the resolved
// message follows at the next evaluation.
func TestAlertResolvesWhenFaultsStop(t *testing.T) {
	robot, robotURL := startRobot(t)
	cfg := func(errorRate string) string {
		return `
platform "sandbox" "src" {
  retry {
    max_attempts = 1
  }
  circuit_breaker {
    window        = "10s"
    min_calls     = 2
    failure_ratio = 0.5
    cooldown      = "5m"
  }
  config {
    error_rate = ` + errorRate + `
  }
}
alerting {
  evaluation_interval = "1s"
  default_rules       = false
  receiver "dingtalk" "ops" {
    url    = "` + robotURL + `"
    secret = "SECret"
  }
  route {
    receiver   = "ops"
    group_wait = "0s"
  }
}
alert "src-breaker" {
  expr = breaker_open("src")
}
`
	}
	a := agenttest.New(t, bin, cfg("1.0"))
	ctx := context.Background()
	arrived := robot.Arrived()
	if _, err := a.Client.Jobs().Collect(ctx, client.CollectRequest{Platform: "src", IDs: ids(100001, 20)}); err != nil {
		t.Fatal(err)
	}
	wait := func(what string) {
		t.Helper()
		select {
		case <-arrived:
		case <-time.After(30 * time.Second):
			t.Fatalf("no %s message within 30s: %d messages", what, len(robot.Messages()))
		}
	}
	wait("firing")
	if m := robot.Messages(); len(m) != 1 || !strings.HasPrefix(m[0].Payload.Markdown.Title, "[FIRING:1] src-breaker") {
		t.Fatalf("messages %+v", m)
	}
	arrived = robot.Arrived()
	if _, err := a.Reload(ctx, agenttest.Config(t, bin, cfg("0"))); err != nil {
		t.Fatal(err)
	}
	reloaded := time.Now()
	wait("resolved")
	t.Logf("resolved message %s after the reload", time.Since(reloaded).Round(time.Millisecond))
	m := robot.Messages()
	if len(m) != 2 || !strings.HasPrefix(m[1].Payload.Markdown.Title, "[RESOLVED] src-breaker") {
		t.Fatalf("messages %+v", m)
	}
}

// TestAlertRestartDoesNotRepage: the agent is stopped mid-incident and
// started again on the same data_dir; the alert is still firing, from its
// first start, and the robot gets nothing more.
func TestAlertRestartDoesNotRepage(t *testing.T) {
	alertRenewedMidIncident(t, func(t *testing.T, a *agenttest.Agent, hcl string) *agenttest.Agent {
		a.Stop(t)
		b, err := agenttest.Start(t, agenttest.Config(t, bin, hcl))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}, 1)
}

// TestAlertReloadDoesNotRepage: a reload mid-incident that changes the
// rule's threshold and adds a receiver replaces the alert manager; the
// alert is still firing, from its first evaluation, the robot gets
// nothing more, and the new receiver is there.
func TestAlertReloadDoesNotRepage(t *testing.T) {
	alertRenewedMidIncident(t, func(t *testing.T, a *agenttest.Agent, hcl string) *agenttest.Agent {
		hcl = strings.Replace(hcl, "> 0.5", "> 0.4", 1) + `
alerting {
  receiver "dingtalk" "spare" {
    url    = "http://127.0.0.1:1/robot/send?access_token=spare"
    secret = "SECret"
  }
}
`
		s, err := a.Reload(context.Background(), agenttest.Config(t, bin, hcl))
		if err != nil {
			t.Fatal(err)
		}
		if len(s.NeedsRestart) != 0 {
			t.Errorf("the reload says %v wait for a restart", s.NeedsRestart)
		}
		return a
	}, 2)
}

// alertRenewedMidIncident pages once for a failing platform, renews the
// agent's alerting (a restart or a reload, which returns the agent that
// runs on), and checks that the alert is still firing from its first
// start, that the robot got nothing more, and that the agent lists
// receivers receivers.
func alertRenewedMidIncident(t *testing.T, renew func(t *testing.T, a *agenttest.Agent, hcl string) *agenttest.Agent, receivers int) {
	robot, robotURL := startRobot(t)
	hcl := `
data_dir = "` + t.TempDir() + `"
` + failingSandbox(robotURL) + `
  route {
    receiver   = "ops"
    group_wait = "0s"
  }
}
alert "src-errors" {
  expr = error_rate("src", "10m") > 0.5
}
`
	a := agenttest.New(t, bin, hcl)
	ctx := context.Background()
	arrived := robot.Arrived()
	if _, err := a.Client.Jobs().Collect(ctx, client.CollectRequest{Platform: "src", IDs: ids(100001, 20)}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-arrived:
	case <-time.After(30 * time.Second):
		t.Fatal("no message within 30s")
	}
	// The robot has the page; the agent records it once the robot's
	// answer is read. Renewed before that, it would page again, as it
	// should: a page whose answer was lost is sent again.
	poll := time.NewTicker(20 * time.Millisecond)
	defer poll.Stop()
	var before *client.Alerts
	for deadline := time.Now().Add(30 * time.Second); ; <-poll.C {
		var err error
		if before, err = a.Client.Alerts().List(ctx); err != nil {
			t.Fatal(err)
		}
		if len(before.Receivers) == 1 && before.Receivers[0].Sent == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the page was never recorded as sent: %+v", before)
		}
	}
	if len(before.Alerts) != 1 {
		t.Fatalf("alerts before: %+v", before)
	}

	arrived = robot.Arrived()
	b := renew(t, a, hcl)
	// A dispatch follows the renewed manager's first evaluation and would
	// hand a second page to the robot's sender; a second evaluation shows
	// that dispatch ran, and nothing in flight that the page, had there
	// been one, reached the robot.
	waitAlertRounds(t, b, 2)
	select {
	case <-arrived:
		t.Fatalf("the renewed agent paged again: %+v", robot.Messages()[1:])
	default:
	}
	after, err := b.Client.Alerts().List(ctx)
	if err != nil || len(after.Alerts) != 1 || after.Alerts[0].State != "firing" || !after.Alerts[0].ActiveAt.Equal(before.Alerts[0].ActiveAt) {
		t.Errorf("alerts after: %+v, %v", after, err)
	}
	if after != nil && len(after.Receivers) != receivers {
		t.Errorf("receivers after: %+v, want %d", after.Receivers, receivers)
	}
	if len(robot.Messages()) != 1 {
		t.Errorf("%d messages", len(robot.Messages()))
	}
}

// startRobot serves a DingTalk robot simulator over HTTP and returns it and
// the robot's webhook URL (secret "SECret").
func startRobot(t *testing.T) (*dingsim.Server, string) {
	robot := dingsim.New()
	robot.AddRobot("tok", "SECret")
	srv := httptest.NewServer(robot)
	t.Cleanup(srv.Close)
	return robot, srv.URL + "/robot/send?access_token=tok"
}

// failingSandbox is a sandbox platform "src" whose every call fails, and
// the start of an alerting block, left open, evaluating every second with
// a DingTalk receiver "ops" at robotURL.
func failingSandbox(robotURL string) string {
	return `platform "sandbox" "src" {
  retry {
    max_attempts = 1
  }
  config {
    error_rate = 1.0
  }
}
alerting {
  evaluation_interval = "1s"
  default_rules       = false
  receiver "dingtalk" "ops" {
    url    = "` + robotURL + `"
    secret = "SECret"
  }`
}

// waitAlertRounds waits until the agent's alert manager has evaluated its
// rules n times and has no message with a receiver, as its metrics say.
func waitAlertRounds(t *testing.T, a *agenttest.Agent, n float64) {
	t.Helper()
	poll := time.NewTicker(50 * time.Millisecond)
	defer poll.Stop()
	deadline := time.After(30 * time.Second)
	for {
		resp, err := http.Get("http://" + a.Addr().String() + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		values := map[string]float64{}
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if name, v, ok := strings.Cut(sc.Text(), " "); ok && !strings.HasPrefix(name, "#") {
				values[name], _ = strconv.ParseFloat(v, 64)
			}
		}
		resp.Body.Close()
		if values["marketsync_alert_evaluations_total"] >= n && values["marketsync_alert_notifications_in_flight"] == 0 {
			return
		}
		select {
		case <-poll.C:
		case <-deadline:
			t.Fatalf("after 30s, alerting metrics %v, want %g evaluations and nothing in flight", values, n)
		}
	}
}
