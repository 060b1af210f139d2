package alerting

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/marketsync/marketsync/config"
	"github.com/marketsync/marketsync/daemon/alerting/notify"
	"github.com/marketsync/marketsync/daemon/alerting/notify/dingtalk"
	dingsim "github.com/marketsync/marketsync/daemon/alerting/notify/dingtalk/sim"
	"github.com/marketsync/marketsync/daemon/alerting/notify/robotsim"
	"github.com/marketsync/marketsync/daemon/alerting/notify/webhook"
	"github.com/marketsync/marketsync/daemon/outbox"
	"github.com/marketsync/marketsync/daemon/store"
	"github.com/marketsync/marketsync/daemon/store/storetest"
	"github.com/marketsync/marketsync/daemon/telemetry"
)

// fakeInputs answers every alert function with the samples a test sets.
type fakeInputs struct {
	mu      sync.Mutex
	samples map[string][]Sample
}

func (f *fakeInputs) Functions() []string {
	var out []string
	for name := range config.AlertFunctions {
		if name != "notifier_failing" {
			out = append(out, name)
		}
	}
	return out
}

func (f *fakeInputs) Eval(_ context.Context, call *config.AlertCall) ([]Sample, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Sample
	for _, s := range f.samples[call.Func] {
		if re := call.Args["platform"].Regexp; re != nil && !re.MatchString(s.Labels["platform"]) {
			continue
		}
		out = append(out, s)
	}
	return out, nil
}

func (f *fakeInputs) set(fn string, value float64, platforms ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.samples == nil {
		f.samples = map[string][]Sample{}
	}
	f.samples[fn] = nil
	for _, p := range platforms {
		f.samples[fn] = append(f.samples[fn], Sample{Labels: map[string]string{"platform": p}, Value: value})
	}
}

func loadAlerting(t *testing.T, hcl string) config.Alerting {
	t.Helper()
	path := filepath.Join(t.TempDir(), "alerting.hcl")
	if err := os.WriteFile(path, []byte("data_dir = \"/x\"\n"+hcl), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, _, diags := config.Load(path)
	diags = append(diags, cfg.Validate()...)
	if len(diags) > 0 {
		t.Fatalf("config: %s", diags.Error())
	}
	return cfg.Alerting
}

const (
	robotToken  = "tok"
	robotSecret = "SECret"
	robotURL    = "https://oapi.dingtalk.com/robot/send?access_token=" + robotToken
)

type harness struct {
	t      *testing.T
	db     *store.DB
	cfg    config.Alerting
	inputs *fakeInputs
	robot  *dingsim.Server
	hook   *hookSink
	m      *Manager
	stop   func()
	// wrapOps, when set, wraps the notifier of receiver ops.
	wrapOps func(notify.Notifier) notify.Notifier
}

func newHarness(t *testing.T, db *store.DB, hcl string) *harness {
	h := &harness{t: t, db: db, cfg: loadAlerting(t, hcl), inputs: &fakeInputs{}, robot: dingsim.New(), hook: &hookSink{}}
	h.robot.AddRobot(robotToken, robotSecret)
	return h
}

// start starts a Manager on the harness's store: a second start after
// stop is an agent restart.
func (h *harness) start() {
	h.t.Helper()
	client := robotsim.Client(h.robot)
	var ops notify.Notifier = &dingtalk.Notifier{URL: robotURL, Secret: robotSecret, AtMobiles: []string{"13800000000"}, Client: client}
	if h.wrapOps != nil {
		ops = h.wrapOps(ops)
	}
	m, err := New(Options{
		Config: h.cfg, Store: h.db, Providers: []Provider{h.inputs}, ExternalURL: "http://agent.example:8787", Node: "n1",
		Logger: slog.New(slog.DiscardHandler),
		Notifiers: map[string]notify.Notifier{
			"ops":  ops,
			"hook": &webhook.Notifier{URL: "https://erp.example/alerts", Secret: "hooksecret", Client: robotsim.Client(h.hook)},
		},
	})
	if err != nil {
		h.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	h.m = m
	h.stop = func() { cancel(); <-done }
	synctest.Wait()
}

// hookSink is a webhook receiver that checks the signature.
type hookSink struct {
	mu     sync.Mutex
	bodies []string
	bad    int
}

func (s *hookSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := outbox.Verify([]byte("hooksecret"), r.Header.Get(outbox.SignatureHeader), body, time.Now(), 5*time.Minute); err != nil {
		s.bad++
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	s.bodies = append(s.bodies, string(body))
}

func (s *hookSink) received() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.bodies)
}

const dingRoute = `
alerting {
  default_rules = false
  receiver "dingtalk" "ops" {
    url    = "` + robotURL + `"
    secret = "` + robotSecret + `"
  }
  receiver "webhook" "hook" {
    url    = "https://erp.example/alerts"
    secret = "hooksecret"
  }
`

// inBubble runs fn in a synctest bubble with a harness whose config is
// dingRoute followed by hcl, over a store in memory opened in the bubble.
func inBubble(t *testing.T, hcl string, fn func(t *testing.T, h *harness)) {
	synctest.Test(t, func(t *testing.T) {
		fn(t, newHarness(t, storetest.Open(t, store.Options{InMemory: true}), dingRoute+hcl))
	})
}

// text joins the messages' markdown.
func text(msgs []robotsim.Entry[dingtalk.Payload]) string {
	var b strings.Builder
	for _, m := range msgs {
		b.WriteString(m.Payload.Markdown.Text)
	}
	return b.String()
}

// TestFiringAndResolvedReachDingTalk: the error rate passes the threshold,
// a signed message arrives within for + evaluation interval + group_wait;
// it falls back, the resolved message arrives within one evaluation
// interval.
func TestFiringAndResolvedReachDingTalk(t *testing.T) {
	inBubble(t, `
  route {
    receiver   = "ops"
    group_wait = "30s"
  }
}
alert "taobao-errors" {
  expr     = error_rate("taobao.*", "5m") > 0.05
  for      = "2m"
  severity = "critical"
  annotations {
    summary = "Taobao error rate above 5 %"
  }
}
`, func(t *testing.T, h *harness) {
		start := time.Now()
		h.inputs.set("error_rate", 0.3, "taobao-main", "shopify-eu")
		h.start()
		defer h.stop()
		advance(3 * time.Minute) // for + evaluation interval + group_wait
		msgs := h.robot.Messages()
		if len(msgs) != 1 {
			t.Fatalf("%d messages after 3m, want 1", len(msgs))
		}
		m := msgs[0]
		if lat := m.At.Sub(start); lat > 2*time.Minute+30*time.Second+30*time.Second {
			t.Errorf("firing message after %s", lat)
		}
		text := m.Payload.Markdown.Text
		for _, want := range []string{"taobao-errors", "taobao-main", "0.3", "Taobao error rate above 5 %", "http://agent.example:8787/v1/alerts", "@13800000000", "since: 2000-01-01 00:00:00 UTC"} {
			if !strings.Contains(text, want) {
				t.Errorf("message lacks %q:\n%s", want, text)
			}
		}
		if strings.Contains(text, "shopify") || !slices.Equal(m.Payload.At.AtMobiles, []string{"13800000000"}) || !strings.HasPrefix(m.Payload.Markdown.Title, "[FIRING:1]") {
			t.Errorf("message = %+v", m.Payload)
		}

		advance(10 * time.Minute)
		if n := len(h.robot.Messages()); n != 1 {
			t.Fatalf("%d messages while nothing changed, want 1", n)
		}
		stopped := time.Now()
		h.inputs.set("error_rate", 0)
		advance(30 * time.Second)
		msgs = h.robot.Messages()
		if len(msgs) != 2 {
			t.Fatalf("%d messages 30s after the errors stopped, want 2", len(msgs))
		}
		r := msgs[1]
		if r.At.Sub(stopped) > 30*time.Second || !strings.HasPrefix(r.Payload.Markdown.Title, "[RESOLVED]") || !strings.Contains(r.Payload.Markdown.Text, "RESOLVED") {
			t.Errorf("resolved message at +%s: %+v", r.At.Sub(stopped), r.Payload)
		}
		if len(r.Payload.At.AtMobiles) != 0 {
			t.Error("a resolved message @-mentions people")
		}
		if refused := h.robot.Refused(); len(refused) > 0 {
			t.Errorf("the robot refused messages: %v", refused)
		}
	})
}

// TestThirtyAlertsOneGroup: thirty platforms fail together; grouped by
// alertname they make one message.
func TestThirtyAlertsOneGroup(t *testing.T) {
	inBubble(t, `
  route {
    receiver = "ops"
    group_by = ["alertname"]
  }
}
alert "errors" {
  expr = error_rate() > 0.05
}
`, func(t *testing.T, h *harness) {
		h.inputs.set("error_rate", 0.5, platforms(30)...)
		h.start()
		defer h.stop()
		advance(5 * time.Minute)
		msgs := h.robot.Messages()
		if len(msgs) != 1 {
			t.Fatalf("%d messages, want 1", len(msgs))
		}
		for _, p := range platforms(30) {
			if !strings.Contains(msgs[0].Payload.Markdown.Text, p+"\n") {
				t.Errorf("the message lacks %s", p)
			}
		}
	})
}

func platforms(n int) []string {
	var out []string
	for i := range n {
		out = append(out, "shop-"+string(rune('a'+i/26))+string(rune('a'+i%26)))
	}
	return out
}

// TestRobotLimitNeverPassed: thirty groups come due at once, and ten more a
// little later; the robot takes 20 a minute, so the dispatcher merges and
// then waits, and every alert still arrives.
func TestRobotLimitNeverPassed(t *testing.T) {
	inBubble(t, `
  route {
    receiver   = "ops"
    group_by   = ["alertname", "platform"]
    group_wait = "0s"
  }
}
alert "errors" {
  expr = error_rate() > 0.05
}
`, func(t *testing.T, h *harness) {
		all := platforms(40)
		h.inputs.set("error_rate", 0.5, all[:30]...)
		h.start()
		defer h.stop()
		advance(10 * time.Second)
		if n := len(h.robot.Messages()); n != 20 {
			t.Errorf("%d messages for 30 groups due at once, want 20 (19 and one merged)", n)
		}
		// Ten more come due at the next evaluation, while the robot's
		// minute is full: they wait for it, then go.
		h.inputs.set("error_rate", 0.5, all...)
		advance(3 * time.Minute)
		msgs := h.robot.Messages()
		if len(msgs) < 21 || msgs[20].At.Sub(msgs[0].At) != time.Minute {
			t.Errorf("the first message after a full minute came %s after the minute began", msgs[20].At.Sub(msgs[0].At))
		}
		if got := h.robot.MaxPerMinute(robotToken); got > dingtalk.RateLimit {
			t.Errorf("the robot got %d messages within a minute", got)
		}
		if refused := h.robot.Refused(); len(refused) > 0 {
			t.Errorf("the robot refused messages: %v", refused)
		}
		for _, p := range all {
			if !strings.Contains(text(msgs), p+"\n") {
				t.Errorf("no message named %s", p)
			}
		}
		if st := h.m.Receivers()[0]; st.Merged == 0 || st.Sent != len(msgs) {
			t.Errorf("receiver status %+v, %d messages", st, len(msgs))
		}
	})
}

// TestSilence: a silence keeps a firing alert from notifying; once it is
// expired the alert notifies.
func TestSilence(t *testing.T) {
	inBubble(t, `
  route {
    receiver = "ops"
  }
}
alert "errors" {
  expr = error_rate() > 0.05
}
`, func(t *testing.T, h *harness) {
		h.start()
		defer h.stop()
		s, err := h.m.AddSilence(Silence{Matchers: []string{"alertname=errors", "platform=~taobao.*"}, Author: "ops", Comment: "maintenance", EndsAt: time.Now().Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.m.AddSilence(Silence{Matchers: []string{"alertname"}, Author: "a", Comment: "b", EndsAt: time.Now().Add(time.Hour)}); err == nil {
			t.Error("a silence with a bad matcher was accepted")
		}
		h.inputs.set("error_rate", 0.5, "taobao-main")
		advance(10 * time.Minute)
		if n := len(h.robot.Messages()); n != 0 {
			t.Fatalf("%d messages for a silenced alert", n)
		}
		as := h.m.Alerts()
		if len(as) != 1 || !slices.Equal(as[0].SilencedBy, []string{s.ID}) {
			t.Errorf("alerts = %+v", as)
		}
		if _, err := h.m.ExpireSilence(s.ID); err != nil {
			t.Fatal(err)
		}
		advance(time.Minute)
		if n := len(h.robot.Messages()); n != 1 {
			t.Fatalf("%d messages after the silence expired, want 1", n)
		}
		if got := h.m.Silences(); len(got) != 1 || got[0].State(time.Now()) != "expired" {
			t.Errorf("silences = %+v", got)
		}
		ended := h.m.Silences()[0].EndsAt
		h.m.pruneSilences(ended.Add(silenceKept))
		if got := h.m.Silences(); len(got) != 1 {
			t.Errorf("silence forgotten before a day: %+v", got)
		}
		h.m.pruneSilences(ended.Add(silenceKept + time.Second))
		if got := h.m.Silences(); len(got) != 0 {
			t.Errorf("silences a day after expiry = %+v", got)
		}
	})
}

// TestRestartDoesNotRepage: the agent restarts mid-incident; the new
// process knows what was sent, so it neither pages again nor forgets to
// send the resolution.
func TestRestartDoesNotRepage(t *testing.T) {
	inBubble(t, `
  route {
    receiver = "ops"
  }
}
alert "errors" {
  expr = error_rate() > 0.05
  for  = "1m"
}
`, func(t *testing.T, h *harness) {
		h.inputs.set("error_rate", 0.5, "taobao-main")
		h.start()
		advance(5 * time.Minute)
		h.stop()
		if n := len(h.robot.Messages()); n != 1 {
			t.Fatalf("%d messages before the restart, want 1", n)
		}
		advance(time.Minute)
		h.start() // same store: a restarted agent
		defer h.stop()
		advance(30 * time.Minute)
		if n := len(h.robot.Messages()); n != 1 {
			t.Fatalf("%d messages after the restart, want still 1", n)
		}
		if as := h.m.Alerts(); len(as) != 1 || as[0].State != StateFiring || !as[0].ActiveAt.Equal(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("alerts after restart = %+v", as)
		}
		h.inputs.set("error_rate", 0)
		advance(time.Minute)
		msgs := h.robot.Messages()
		if len(msgs) != 2 || !strings.HasPrefix(msgs[1].Payload.Markdown.Title, "[RESOLVED]") {
			t.Fatalf("after resolution: %d messages", len(msgs))
		}
		hist, err := h.m.History(10)
		if err != nil || len(hist) != 3 || hist[0].To != StateResolved || hist[2].To != StatePending {
			t.Errorf("history = %+v, %v", hist, err)
		}
	})
}

// TestNotifierErrors: busy answers are retried and counted; a robot that
// keeps refusing raises receiver-down, which reaches the webhook.
func TestNotifierErrors(t *testing.T) {
	inBubble(t, `
  route {
    receiver = "hook"
    matchers = ["alertname=receiver-down"]
  }
  route {
    receiver = "ops"
    group_by = ["alertname", "platform"]
  }
}
alert "errors" {
  expr = error_rate() > 0.05
}
alert "receiver-down" {
  expr     = notifier_failing() >= 2
  severity = "critical"
}
`, func(t *testing.T, h *harness) {
		h.robot.FailNext(dingtalk.CodeBusy, dingtalk.CodeBusy)
		h.inputs.set("error_rate", 0.5, "p1")
		h.start()
		defer h.stop()
		advance(time.Minute)
		st := h.m.Receivers()[0]
		if st.Sent != 1 || st.Retried != 2 || st.Failed != 0 || len(h.robot.Messages()) != 1 || h.robot.Refused()[dingtalk.CodeBusy] != 2 {
			t.Fatalf("after two busy answers: status %+v, robot refused %v", st, h.robot.Refused())
		}
		h.robot.FailNext(slices.Repeat([]int{dingtalk.CodeSecurity}, 10)...)
		h.inputs.set("error_rate", 0.5, "p1", "p2")
		advance(time.Minute)
		h.inputs.set("error_rate", 0.5, "p1", "p2", "p3")
		advance(time.Minute)
		st = h.m.Receivers()[0]
		if st.Failed != 2 || st.Failing != 2 || st.Retried != 2 || !strings.Contains(st.LastError, "310000") {
			t.Fatalf("after refused signatures: %+v", st)
		}
		advance(2 * time.Minute)
		got := h.hook.received()
		if len(got) != 1 || !strings.Contains(got[0], `"alertname":"receiver-down"`) || !strings.Contains(got[0], `"receiver":"ops"`) || !strings.Contains(got[0], `"version":"4"`) {
			t.Fatalf("webhook got %q", got)
		}
		if h.hook.bad != 0 {
			t.Errorf("%d webhook requests with a bad signature", h.hook.bad)
		}
		var scrape bytes.Buffer
		h.m.WriteMetrics(&scrape)
		for _, want := range []string{
			`marketsync_alert_notifications_total{outcome="retried",receiver="ops"} 2`,
			`marketsync_alert_notifications_total{outcome="failed",receiver="ops"} 2`,
			`marketsync_alert_notifications_total{outcome="sent",receiver="hook"} 1`,
			`marketsync_alerts{state="firing"} 4`,
			"marketsync_alert_evaluations_total 11\n", // at start and every 30s of 5 minutes
			"marketsync_alert_notifications_in_flight 0\n",
		} {
			if !strings.Contains(scrape.String(), want) {
				t.Errorf("metrics lack %s:\n%s", want, scrape.String())
			}
		}
		if err := telemetry.Lint(bytes.NewReader(scrape.Bytes())); err != nil {
			t.Errorf("metrics: %v", err)
		}
	})
}

// TestInhibition: an unauthorized platform's error-rate alert is muted by
// the built-in inhibition; another platform's is not.
func TestInhibition(t *testing.T) {
	inBubble(t, `
  route {
    receiver = "ops"
    group_by = ["platform"]
  }
}
alert "platform-unauthorized" {
  expr = platform_state(".*", "unauthorized")
}
alert "platform-error-rate" {
  expr = error_rate() > 0.1
}
`, func(t *testing.T, h *harness) {
		h.inputs.set("platform_state", 1, "taobao-main")
		h.inputs.set("error_rate", 1, "taobao-main", "pdd-main")
		h.start()
		defer h.stop()
		advance(time.Minute)
		msgs := h.robot.Messages()
		if all := text(msgs); len(msgs) != 2 || strings.Count(all, "platform-error-rate") != 1 || !strings.Contains(all, "pdd-main") {
			t.Errorf("%d messages:\n%s", len(msgs), all)
		}
		inhibited := 0
		for _, a := range h.m.Alerts() {
			if a.Inhibited {
				inhibited++
				if a.Rule != "platform-error-rate" || a.Labels["platform"] != "taobao-main" {
					t.Errorf("wrong alert inhibited: %+v", a)
				}
			}
		}
		if inhibited != 1 {
			t.Errorf("%d alerts inhibited, want 1", inhibited)
		}
	})
}

// TestRepeatInterval: an unchanged group is sent again repeat_interval
// after its last message, to the second, whatever group_interval is.
func TestRepeatInterval(t *testing.T) {
	inBubble(t, `
  route {
    receiver        = "ops"
    group_wait      = "0s"
    group_interval  = "5m"
    repeat_interval = "1h7s"
  }
}
alert "errors" {
  expr = error_rate() > 0.05
}
`, func(t *testing.T, h *harness) {
		h.inputs.set("error_rate", 0.5, "p1")
		h.start()
		defer h.stop()
		advance(2*time.Hour + 30*time.Second)
		msgs := h.robot.Messages()
		if len(msgs) != 3 {
			t.Fatalf("%d messages in 2h, want 3", len(msgs))
		}
		for i := 1; i < 3; i++ {
			if d := msgs[i].At.Sub(msgs[i-1].At); d != time.Hour+7*time.Second {
				t.Errorf("message %d came %s after the one before, want 1h0m7s", i, d)
			}
		}
	})
}

// refused is a transport whose every connection is refused.
type refused struct{}

func (refused) RoundTrip(r *http.Request) (*http.Response, error) {
	return nil, errors.New("dial tcp 192.0.2.1:443: connect: connection refused")
}

// TestNotifierErrorsHideCredentials: a robot that cannot be reached fails
// with an error that net/http words with the whole URL; its access token
// and signature appear neither in the receiver's last error (which
// GET /v1/alerts shows), nor in the log, nor in a test message's error.
func TestNotifierErrorsHideCredentials(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs bytes.Buffer
		cfg := loadAlerting(t, dingRoute+`
  route {
    receiver   = "ops"
    group_wait = "0s"
  }
}
alert "errors" {
  expr = error_rate() > 0.05
}
`)
		inputs := &fakeInputs{}
		inputs.set("error_rate", 0.5, "p1")
		secretURL := "https://oapi.dingtalk.com/robot/send?access_token=SEKRITTOKEN"
		m, err := New(Options{
			Config: cfg, Store: storetest.Open(t, store.Options{InMemory: true}), Providers: []Provider{inputs},
			Logger:    slog.New(slog.NewTextHandler(&logs, nil)),
			Notifiers: map[string]notify.Notifier{"ops": &dingtalk.Notifier{URL: secretURL, Secret: "SEKRITSIGN", Client: &http.Client{Transport: refused{}}}},
		})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { m.Run(ctx); close(done) }()
		advance(5 * time.Minute)
		_, testErr := m.Test(ctx, "ops")
		cancel()
		<-done
		st := m.Receivers()[0]
		if st.Failed == 0 || !strings.Contains(st.LastError, "connection refused") || !strings.Contains(st.LastError, "oapi.dingtalk.com") {
			t.Fatalf("receiver status %+v", st)
		}
		if testErr == nil || !strings.Contains(logs.String(), "notification failed") {
			t.Fatalf("test message: %v; log:\n%s", testErr, logs.String())
		}
		for what, s := range map[string]string{"last error": st.LastError, "log": logs.String(), "test message": testErr.Error()} {
			if strings.Contains(s, "SEKRIT") || strings.Contains(s, "access_token") {
				t.Errorf("the %s shows the robot's credentials:\n%s", what, s)
			}
		}
	})
}

// TestSlowReceiverHoldsUpNothing: the robot answers "send too fast", so
// its message waits the documented ten minutes before a retry; meanwhile
// the rules are still evaluated, another receiver gets a new alert within
// a minute, and a test message gets its one answer at once, without a
// retry. The robot's message goes after its wait.
func TestSlowReceiverHoldsUpNothing(t *testing.T) {
	inBubble(t, `
  route {
    receiver   = "ops"
    matchers   = ["platform=p1"]
    group_wait = "0s"
  }
  route {
    receiver   = "hook"
    matchers   = ["platform=p2"]
    group_wait = "0s"
  }
}
alert "errors" {
  expr = error_rate() > 0.05
}
`, func(t *testing.T, h *harness) {
		h.robot.FailNext(dingtalk.CodeTooFast)
		h.inputs.set("error_rate", 0.5, "p1")
		h.start()
		defer h.stop()
		advance(time.Minute)
		if st := h.m.Receivers()[0]; st.Retried != 1 || len(h.robot.Messages()) != 0 {
			t.Fatalf("the robot's first answer was not a wait: %+v", st)
		}
		h.inputs.set("error_rate", 0.5, "p1", "p2")
		advance(time.Minute)
		if got := h.hook.received(); len(got) != 1 || !strings.Contains(got[0], `"platform":"p2"`) {
			t.Fatalf("while the robot waits, the webhook got %q", got)
		}

		h.robot.FailNext(dingtalk.CodeBusy)
		asked := time.Now()
		_, err := h.m.Test(context.Background(), "ops")
		var ne *notify.Error
		if !errors.As(err, &ne) || ne.Code != dingtalk.CodeBusy || time.Since(asked) != 0 {
			t.Fatalf("test message: %v after %s", err, time.Since(asked))
		}
		if n := h.robot.Refused()[dingtalk.CodeBusy]; n != 1 {
			t.Errorf("the test message was tried %d times", n)
		}

		advance(10 * time.Minute)
		msgs := h.robot.Messages()
		if len(msgs) != 1 || !strings.Contains(msgs[0].Payload.Markdown.Text, "p1") {
			t.Fatalf("%d robot messages after the wait: %q", len(msgs), text(msgs))
		}
	})
}

// lateNotifier holds each message until the manager stops, then hands it
// to the platform: the platform took it as the agent shut down.
type lateNotifier struct{ notify.Notifier }

func (n lateNotifier) Notify(ctx context.Context, m *notify.Message) (notify.Answer, error) {
	<-ctx.Done()
	return n.Notifier.Notify(context.Background(), m)
}

// TestStopKeepsWhatWasSent: a message the robot accepts while the manager
// stops is written to the notification log, so the restarted manager
// does not send it again.
func TestStopKeepsWhatWasSent(t *testing.T) {
	inBubble(t, `
  route {
    receiver   = "ops"
    group_wait = "0s"
  }
}
alert "errors" {
  expr = error_rate() > 0.05
}
`, func(t *testing.T, h *harness) {
		h.inputs.set("error_rate", 0.5, "p1")
		h.wrapOps = func(n notify.Notifier) notify.Notifier { return lateNotifier{n} }
		h.start()
		advance(time.Minute)
		h.stop()
		if n := len(h.robot.Messages()); n != 1 {
			t.Fatalf("%d messages as the manager stopped, want 1", n)
		}
		h.wrapOps = nil
		h.start()
		defer h.stop()
		advance(30 * time.Minute)
		if n := len(h.robot.Messages()); n != 1 {
			t.Fatalf("%d messages after the restart, want still 1", n)
		}
	})
}
