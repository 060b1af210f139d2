package alerting

import (
	"bytes"
	"fmt"
	"strings"
	"text/template"
	"time"

	"github.com/marketsync/marketsync/daemon/alerting/notify"
)

// The built-in templates, by language. A receiver's title and text
// settings replace them. They get a notify.Message; funcs adds value
// (a number as the rule's unit reads best) and since (a time in UTC).
var builtinTitle = map[string]string{
	"en":    `[{{ .Status | upper }}{{ if eq .Status "firing" }}:{{ len (firing .Alerts) }}{{ end }}] {{ index .CommonLabels "alertname" | default "marketsync alerts" }}`,
	"zh-CN": `[{{ if eq .Status "firing" }}告警:{{ len (firing .Alerts) }}{{ else }}已恢复{{ end }}] {{ index .CommonLabels "alertname" | default "marketsync 告警" }}`,
}

var builtinText = map[string]string{
	"en": `{{ range .Alerts -}}
### {{ if eq .Status "firing" }}🔥 FIRING{{ else }}✅ RESOLVED{{ end }}: {{ .Labels.alertname }}
- severity: {{ .Labels.severity }}
{{- if .Labels.platform }}
- platform account: {{ .Labels.platform }}{{ end }}
{{- if .Labels.job }}
- job: {{ .Labels.job }}{{ end }}
{{- range $k, $v := .Labels }}{{ if not (builtin $k) }}
- {{ $k }}: {{ $v }}{{ end }}{{ end }}
- value: {{ value .Value }}
- since: {{ since .StartsAt }}{{ if eq .Status "resolved" }}
- resolved: {{ since .EndsAt }}{{ end }}
{{- with .Annotations.summary }}
- {{ . }}{{ end }}
{{- with .Annotations.runbook }}
- runbook: {{ . }}{{ end }}

{{ end -}}
Details: {{ .ExternalURL }}/v1/alerts`,
	"zh-CN": `{{ range .Alerts -}}
### {{ if eq .Status "firing" }}🔥 告警{{ else }}✅ 已恢复{{ end }}: {{ .Labels.alertname }}
- 级别: {{ .Labels.severity }}
{{- if .Labels.platform }}
- 平台账号: {{ .Labels.platform }}{{ end }}
{{- if .Labels.job }}
- 任务: {{ .Labels.job }}{{ end }}
{{- range $k, $v := .Labels }}{{ if not (builtin $k) }}
- {{ $k }}: {{ $v }}{{ end }}{{ end }}
- 当前值: {{ value .Value }}
- 开始时间: {{ since .StartsAt }}{{ if eq .Status "resolved" }}
- 恢复时间: {{ since .EndsAt }}{{ end }}
{{- with .Annotations.summary }}
- {{ . }}{{ end }}
{{- with .Annotations.runbook }}
- 处理手册: {{ . }}{{ end }}

{{ end -}}
详情: {{ .ExternalURL }}/v1/alerts`,
}

var templateFuncs = template.FuncMap{
	"upper": strings.ToUpper,
	"default": func(def, v string) string {
		if v == "" {
			return def
		}
		return v
	},
	"firing": func(as []notify.Alert) []notify.Alert {
		var out []notify.Alert
		for _, a := range as {
			if a.Status == StateFiring {
				out = append(out, a)
			}
		}
		return out
	},
	"value": func(v float64) string { return fmt.Sprintf("%.4g", v) },
	"since": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
	"builtin": func(k string) bool {
		switch k {
		case "alertname", "severity", "platform", "job":
			return true
		}
		return false
	},
}

// templates renders one receiver's title and text.
type templates struct{ title, text *template.Template }

// parseTemplates reads a receiver's templates, the built-in ones of
// language where it sets none.
func parseTemplates(language, title, text string) (templates, error) {
	if title == "" {
		title = builtinTitle[language]
	}
	if text == "" {
		text = builtinText[language]
	}
	t, err := template.New("title").Funcs(templateFuncs).Parse(title)
	if err != nil {
		return templates{}, fmt.Errorf("title: %w", err)
	}
	x, err := template.New("text").Funcs(templateFuncs).Parse(text)
	if err != nil {
		return templates{}, fmt.Errorf("text: %w", err)
	}
	return templates{title: t, text: x}, nil
}

func (t templates) render(m *notify.Message) error {
	var b bytes.Buffer
	if err := t.title.Execute(&b, m); err != nil {
		return fmt.Errorf("title: %w", err)
	}
	m.Title = strings.TrimSpace(b.String())
	b.Reset()
	if err := t.text.Execute(&b, m); err != nil {
		return fmt.Errorf("text: %w", err)
	}
	m.Text = b.String()
	return nil
}
