package config

import (
	"slices"
	"strings"
	"testing"
	"time"
)

const alertingGood = `data_dir = "/x"
alerting {
  language = "zh-CN"
  receiver "dingtalk" "ops" {
    url        = "https://oapi.dingtalk.com/robot/send?access_token=abc"
    secret     = "SECabc"
    at_mobiles = ["13800000000"]
  }
  receiver "webhook" "erp" {
    url    = "https://erp.example.com/alerts"
    secret = "k"
  }
  route {
    receiver   = "ops"
    matchers   = ["severity=~critical|warning"]
    group_by   = ["alertname", "platform"]
    group_wait = "10s"
    continue   = true
  }
  route {
    receiver      = "erp"
    send_resolved = false
  }
  inhibit {
    source_matchers = ["alertname=taobao-auth"]
    target_matchers = ["alertname=taobao-errors"]
    equal           = ["platform"]
  }
}

alert "taobao-errors" {
  expr            = "error_rate(\"taobao.*\", \"5m\") > 0.05"
  for             = "2m"
  keep_firing_for = "5m"
  severity        = "critical"
  labels {
    team = "ops"
  }
  annotations {
    summary = "Taobao error rate above 5 %"
  }
}

alert "taobao-auth" {
  expr = platform_state("taobao.*", "unauthorized")
}

alert "job-paused" {
  expr = job_paused_for(".*") > "1h"
}

alert "cache-hit-rate-low" {
  disabled = true
}
`

func TestAlertingBlock(t *testing.T) {
	inDir(t, map[string]string{"a.hcl": alertingGood})
	cfg := mustLoad(t, "a.hcl")
	if diags := cfg.Validate(); len(diags) > 0 {
		t.Fatalf("Validate: %s", diags.Error())
	}
	a := cfg.Alerting
	if a.Language != "zh-CN" || a.EvaluationInterval != 30*time.Second || len(a.Receivers) != 2 || len(a.Routes) != 2 || len(a.Inhibits) != 1 {
		t.Fatalf("alerting = %+v", a)
	}
	ding := a.Receivers[0]
	if ding.Kind != "dingtalk" || ding.Name != "ops" || ding.Secret.Reveal() != "SECabc" || !slices.Equal(ding.AtMobiles, []string{"13800000000"}) {
		t.Errorf("dingtalk receiver = %+v", ding)
	}
	r0, r1 := a.Routes[0], a.Routes[1]
	if r0.GroupWait != 10*time.Second || r0.GroupInterval != 5*time.Minute || !r0.Continue || !r0.SendResolved || r1.SendResolved {
		t.Errorf("routes = %+v / %+v", r0, r1)
	}
	if !MatchAll(r0.Matchers, map[string]string{"severity": "warning"}) || MatchAll(r0.Matchers, map[string]string{"severity": "info"}) {
		t.Errorf("route matchers %v match wrongly", r0.Matchers)
	}
	rules := map[string]AlertRule{}
	var order []string
	for _, r := range a.Rules {
		rules[r.Name] = r
		order = append(order, r.Name)
	}
	if _, ok := rules["cache-hit-rate-low"]; ok {
		t.Error("a disabled built-in rule is still in force")
	}
	if r := rules["job-paused"]; r.Builtin || r.Expr.Threshold != 3600 {
		t.Errorf("job-paused was not replaced by the configured rule: %+v %v", r, r.Expr)
	}
	if r := rules["platform-unauthorized"]; !r.Builtin {
		t.Errorf("built-in rules missing: %v", order)
	}
	te := rules["taobao-errors"]
	if te.For != 2*time.Minute || te.KeepFiringFor != 5*time.Minute || te.Labels["team"] != "ops" || te.Severity != "critical" {
		t.Errorf("taobao-errors = %+v", te)
	}
	if got := te.Expr.String(); got != `error_rate("taobao.*", "5m") > 0.05` {
		t.Errorf("expr = %s", got)
	}
	if c := te.Expr.Call; c.Args["window"].Duration != 5*time.Minute || !c.Args["platform"].Regexp.MatchString("taobao-main") || c.Args["platform"].Regexp.MatchString("my-taobao") {
		t.Errorf("call args = %+v", c.Args)
	}
	// The bare form and the string form read the same.
	if got := rules["platform-error-rate"].Expr.String(); got != `(error_rate(".*", "5m") > 0.2 && calls(".*", "5m") >= 20)` {
		t.Errorf("built-in expr = %s", got)
	}
}

func TestAlertingNoDefaultRules(t *testing.T) {
	inDir(t, map[string]string{"a.hcl": "data_dir = \"/x\"\nalerting {\n  default_rules = false\n}\nalert \"x\" {\n  expr = calls() > 1\n}\n"})
	cfg := mustLoad(t, "a.hcl")
	if len(cfg.Alerting.Rules) != 1 || cfg.Alerting.Rules[0].Name != "x" {
		t.Errorf("rules = %+v", cfg.Alerting.Rules)
	}
}

func TestAlertExprDiagnostics(t *testing.T) {
	for name, tc := range map[string]struct {
		expr string
		want string
	}{
		"does not parse":     {`error_rate(".*" > )`, `a.hcl:2,28-29: Invalid expression: Expected the start of an expression, but found an invalid expression token.`},
		"unknown function":   {`eror_rate(".*") > 1`, `a.hcl:2,10-19: Unknown alert function: "eror_rate" is not an alert function. Did you mean "error_rate"?`},
		"bad window":         {`error_rate(".*", "90s") > 1`, `a.hcl:2,27-32: Invalid argument: error_rate: argument window: "90s" is not whole minutes of at least 1m: statistics are kept per minute.`},
		"bad regexp":         {`error_rate("(") > 1`, `a.hcl:2,21-24: Invalid argument: error_rate: argument platform: error parsing regexp: missing closing ): ` + "`^(?:()$`."},
		"too many args":      {`breaker_open(".*", "x")`, `a.hcl:2,10-33: Wrong number of arguments: breaker_open takes (platform = ".*"), not 2 arguments.`},
		"arithmetic":         {`calls() + 1`, `a.hcl:2,10-21: Invalid alert expression: Use comparisons (> >= < <= == !=) and && or ||; arithmetic is not supported.`},
		"unknown state":      {`platform_state(".*", "sleepy")`, `a.hcl:2,31-39: Invalid argument: platform_state: argument state: "sleepy" is not one of unauthorized, failed, restarting.`},
		"labels differ":      {`calls() > 1 && job_paused_for() > 1`, `a.hcl:2,10-45: Invalid alert expression: Both sides of && must give alerts with the same labels, to pair them: the left gives [platform], the right [job platform].`},
		"string in string":   {`"calls(\"x\") > 1"`, ``},
		"duration threshold": {`error_rate() > "5m"`, `a.hcl:2,25-29: Invalid threshold: The threshold must be a number (a duration string only for a function that gives seconds).`},
	} {
		t.Run(name, func(t *testing.T) {
			inDir(t, map[string]string{"a.hcl": "alert \"x\" {\n  expr = " + tc.expr + "\n}\n"})
			_, _, diags := Load("a.hcl")
			got := strings.Join(describe(diags), "\n")
			if tc.want == "" {
				if got != "" {
					t.Fatalf("diagnostics: %s", got)
				}
				return
			}
			if !strings.HasPrefix(got, tc.want) {
				t.Errorf("diagnostics:\n got  %s\n want %s", got, tc.want)
			}
		})
	}
}

func TestAlertingValidateDiagnostics(t *testing.T) {
	for name, tc := range map[string]struct {
		body string
		want []string
	}{
		"dingtalk without secret": {
			body: "receiver \"dingtalk\" \"ops\" {\n    url = \"https://oapi.dingtalk.com/robot/send?access_token=a\"\n  }\n  route {\n    receiver = \"ops\"\n  }",
			want: []string{`a.hcl:3,3-28: Missing secret: The dingtalk receiver "ops" needs secret: the robot's signing secret (加签), which the robot checks on every message.`},
		},
		"unknown label": {
			body: "receiver \"webhook\" \"h\" {\n    url = \"http://x\"\n    secret = \"s\"\n  }\n  route {\n    receiver = \"h\"\n    group_by = [\"platfrom\"]\n  }",
			want: []string{`a.hcl:9,16-28: Unknown label: group_by names the label "platfrom", which no alert rule gives; known labels: alertname, cache_type, job, platform, receiver, severity.`},
		},
		"unknown receiver": {
			body: "route {\n    receiver = \"nobody\"\n  }",
			want: []string{`a.hcl:3,3-8: Unknown receiver: The route sends to "nobody", but no receiver block has that name.`},
		},
		"wecom without key": {
			body: "receiver \"wecom\" \"w\" {\n    url = \"https://qyapi.weixin.qq.com/cgi-bin/webhook/send\"\n  }\n  route {\n    receiver = \"w\"\n  }",
			want: []string{`a.hcl:4,11-61: Missing key: A wecom robot's url carries its key: https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=<key>.`},
		},
		"unknown kind": {
			body: "receiver \"slack\" \"s\" {\n  }",
			want: []string{`a.hcl:3,12-19: Unknown receiver kind: "slack" is not a receiver kind: use one of dingtalk, wecom, feishu, email, webhook.`,
				`a.hcl:3,3-23: No route: The alerting block has receivers but no route block sends anything to them; add route { receiver = "s" }.`},
		},
		"bad matcher": {
			body: "inhibit {\n    source_matchers = [\"alertname\"]\n    target_matchers = [\"alertname=b\"]\n  }",
			want: []string{`a.hcl:3,3-10: Incomplete inhibit: An inhibit block needs source_matchers and target_matchers.`,
				`a.hcl:4,23-36: Invalid matcher: source_matchers: "alertname" is not a matcher: write label=value, label!=value, label=~regexp or label!~regexp.`},
		},
		"bad template": {
			body: "receiver \"webhook\" \"h\" {\n    url = \"http://x\"\n    secret = \"s\"\n    title = \"{{ .Status | shout }}\"\n  }\n  route {\n    receiver = \"h\"\n  }",
			want: []string{`a.hcl:6,13-36: Invalid template: title is not a Go text/template: template: title:1: function "shout" not defined.`},
		},
		"email": {
			body: "receiver \"email\" \"m\" {\n    smarthost = \"smtp:587\"\n    from = \"ops\"\n    to = [\"a@example.com\"]\n    tls = \"ssl\"\n  }\n  route {\n    receiver = \"m\"\n  }",
			want: []string{`a.hcl:3,3-23: Invalid address: "ops" is not an email address: mail: missing '@' or angle-addr.`,
				`a.hcl:7,11-16: Invalid tls: tls must be one of "starttls", "tls", "none", not "ssl".`},
		},
	} {
		t.Run(name, func(t *testing.T) {
			inDir(t, map[string]string{"a.hcl": "data_dir = \"/x\"\nalerting {\n  " + tc.body + "\n}\n"})
			cfg, _, diags := Load("a.hcl")
			diags = append(diags, cfg.Validate()...)
			checkDiags(t, diags, tc.want)
		})
	}
}

// TestAlertingReloads: a reload takes a changed alerting configuration
// as it is (the agent replaces its alert manager), and SameAs tells a
// change from blocks that only moved.
func TestAlertingReloads(t *testing.T) {
	inDir(t, map[string]string{
		"a.hcl": alertingGood,
		"b.hcl": "\n\n" + alertingGood,
		"c.hcl": strings.Replace(alertingGood, `> 0.05`, `> 0.06`, 1),
	})
	a, b, c := mustLoad(t, "a.hcl"), mustLoad(t, "b.hcl"), mustLoad(t, "c.hcl")
	if !a.Alerting.SameAs(b.Alerting) {
		t.Error("moving the blocks counts as a change")
	}
	if a.Alerting.SameAs(c.Alerting) {
		t.Error("a new threshold does not count as a change")
	}
	out, frozen := a.Reloadable(c)
	if len(frozen) != 0 || out.Alerting.Rules[len(out.Alerting.Rules)-3].Expr.Threshold != 0.06 {
		t.Errorf("frozen %v; the reload keeps threshold %v", frozen, out.Alerting.Rules[len(out.Alerting.Rules)-3].Expr.Threshold)
	}
}
