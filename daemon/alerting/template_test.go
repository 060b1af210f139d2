package alerting

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/marketsync/marketsync/config"
	"github.com/marketsync/marketsync/daemon/alerting/notify"
)

// TestTemplateFuncsMatchConfig: validate parses receiver templates knowing
// only the functions' names; they must be the ones the templates get.
func TestTemplateFuncsMatchConfig(t *testing.T) {
	got := slices.Sorted(maps.Keys(templateFuncs))
	want := slices.Sorted(slices.Values(config.TemplateFuncs))
	if !slices.Equal(got, want) {
		t.Errorf("template functions %v, config knows %v", got, want)
	}
}

func TestBuiltinTexts(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	m := func() *notify.Message {
		return &notify.Message{Status: "firing", ExternalURL: "http://agent:8787",
			CommonLabels: map[string]string{"alertname": "taobao-errors", "severity": "critical"},
			Alerts: []notify.Alert{{Status: "firing", Value: 0.0734, StartsAt: at,
				Labels:      map[string]string{"alertname": "taobao-errors", "severity": "critical", "platform": "taobao-main", "team": "ops"},
				Annotations: map[string]string{"summary": "Taobao error rate above 5 %", "runbook": "https://wiki/x"}}}}
	}
	for lang, want := range map[string][]string{
		"en":    {"[FIRING:1] taobao-errors", "FIRING: taobao-errors", "platform account: taobao-main", "team: ops", "value: 0.0734", "since: 2026-01-02 03:04:05 UTC", "runbook: https://wiki/x", "Details: http://agent:8787/v1/alerts"},
		"zh-CN": {"[告警:1] taobao-errors", "告警: taobao-errors", "平台账号: taobao-main", "当前值: 0.0734", "开始时间: 2026-01-02 03:04:05 UTC", "处理手册: https://wiki/x", "详情: http://agent:8787/v1/alerts"},
	} {
		tm, err := parseTemplates(lang, "", "")
		if err != nil {
			t.Fatal(err)
		}
		msg := m()
		if err := tm.render(msg); err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if !strings.Contains(msg.Title+"\n"+msg.Text, w) {
				t.Errorf("%s: lacks %q:\n%s\n%s", lang, w, msg.Title, msg.Text)
			}
		}
	}
	tm, err := parseTemplates("en", `{{ len .Alerts }} alerts`, `{{ range .Alerts }}{{ .Labels.platform }}={{ value .Value }} {{ end }}`)
	if err != nil {
		t.Fatal(err)
	}
	msg := m()
	if err := tm.render(msg); err != nil || msg.Title != "1 alerts" || msg.Text != "taobao-main=0.0734 " {
		t.Errorf("override: %q %q %v", msg.Title, msg.Text, err)
	}
}
