package command

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/marketsync/marketsync/daemon/api"
	"github.com/marketsync/marketsync/daemon/api/apitest"
	"github.com/marketsync/marketsync/daemon/client"
)

// fakeAlerts is an api.AlertSource with one firing alert, one receiver
// that failed once, and silences kept in memory.
type fakeAlerts struct {
	silences []client.Silence
}

func (f *fakeAlerts) Alerts(context.Context) (*client.Alerts, error) {
	return &client.Alerts{
		Alerts: []client.Alert{{Fingerprint: "ab", Rule: "taobao-errors", State: "firing", Value: 0.31, ActiveAt: apitest.Epoch,
			Labels: map[string]string{"alertname": "taobao-errors", "platform": "taobao-main", "severity": "critical"}, SilencedBy: []string{"s1"}}},
		Receivers: []client.Receiver{{Name: "ops", Kind: "dingtalk", Sent: 3, Failed: 1, Retried: 2, LastError: "permanent error 310000: sign not match", LastErrorAt: apitest.Epoch}},
	}, nil
}

func (f *fakeAlerts) AlertHistory(context.Context, int) ([]client.AlertEvent, error) {
	return []client.AlertEvent{{At: apitest.Epoch, Rule: "taobao-errors", To: "pending", Value: 0.31, Labels: map[string]string{"platform": "taobao-main"}}}, nil
}

func (f *fakeAlerts) Silences(context.Context) ([]client.Silence, error) { return f.silences, nil }

func (f *fakeAlerts) AddSilence(_ context.Context, req client.SilenceRequest) (*client.Silence, error) {
	d, _ := time.ParseDuration(req.Duration)
	s := client.Silence{ID: "s1", Matchers: req.Matchers, Author: req.Author, Comment: req.Comment, StartsAt: apitest.Epoch, EndsAt: apitest.Epoch.Add(d), State: "active"}
	f.silences = append(f.silences, s)
	return &s, nil
}

func (f *fakeAlerts) ExpireSilence(_ context.Context, id string) (*client.Silence, error) {
	for i := range f.silences {
		if f.silences[i].ID == id {
			f.silences[i].State = "expired"
			return &f.silences[i], nil
		}
	}
	return nil, api.NotFound(client.CodeSilenceNotFound, "no silence has the id "+id)
}

func (f *fakeAlerts) TestReceiver(_ context.Context, name string) (*client.ReceiverTest, error) {
	if name != "ops" {
		return nil, api.NotFound(client.CodeReceiverNotFound, "no receiver block is named "+name)
	}
	return &client.ReceiverTest{Receiver: name, Status: 200, Answer: `{"errcode":310000,"errmsg":"sign not match"}`, Error: "permanent error 310000: sign not match"}, nil
}

func TestAlertsCommands(t *testing.T) {
	f := &fakeAlerts{}
	srv := apitest.Serve(t, api.Config{Backend: apitest.NewBackend(), Alerts: f})
	t.Setenv(client.EnvAddress, srv.URL)
	t.Setenv(client.EnvToken, "")

	r := runCLI(t, "", "alerts")
	r.want(t, 0)
	hasLine(t, r.stdout, "firing | taobao-errors | platform=taobao-main severity=critical | 0.31 | "+clock(apitest.Epoch)+" | silenced by s1")
	hasLine(t, r.stdout, "ops | dingtalk | 3 | 1 | 2 | 0 | "+clock(apitest.Epoch)+" permanent error 310000: sign not match")

	runCLI(t, "", "alerts", "history").want(t, 0, "taobao-errors", "inactive", "pending")

	runCLI(t, "", "silence", "add").wantUsage(t, "silence add takes at least one matcher", "silence add")
	r = runCLI(t, "", "silence", "add", "-author", "ops", "-comment", "maintenance", "-duration", "2h", "alertname=taobao-errors", "platform=~taobao.*")
	r.want(t, 0, "Silence s1 mutes alertname=taobao-errors platform=~taobao.*")
	if got := f.silences[0]; got.Author != "ops" || !got.EndsAt.Equal(apitest.Epoch.Add(2*time.Hour)) || len(got.Matchers) != 2 {
		t.Errorf("silence %+v", got)
	}
	r = runCLI(t, "", "silence", "add", "-comment", "x", "a=b")
	r.wantError(t, `"author" and "comment" are required, so that others know who muted what and why (invalid_silence)`)
	runCLI(t, "", "silence", "list").want(t, 0, "s1", "active", "maintenance")
	runCLI(t, "", "silence", "expire", "s1").want(t, 0, "Silence s1 expired")
	runCLI(t, "", "silence", "expire", "nope").wantError(t, "no silence has the id nope (silence_not_found)")

	r = runCLI(t, "", "alerts", "test", "ops")
	if r.code != 1 || !strings.Contains(r.stdout, `"errcode":310000`) || !strings.Contains(r.stderr, "sign not match") {
		t.Errorf("alerts test: %+v", r)
	}
	runCLI(t, "", "alerts", "test", "nobody").wantError(t, "no receiver block is named nobody (receiver_not_found)")
}
