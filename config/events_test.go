package config

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
)

func TestEventSinkBlock(t *testing.T) {
	t.Setenv("ERP_SECRET", "s3cr3t-from-env")
	dir := inDir(t, map[string]string{
		"a.hcl": `data_dir = "/x"
event_sink "erp" {
  url    = "https://erp.example.com/hooks/marketsync"
  secret = env("ERP_SECRET")
  events = ["product.collected", "job.finished"]
}
`,
		"conf/b.hcl": `event_sink "audit" {
  url         = "http://127.0.0.1:9000/in"
  secret_file = "secrets/audit.secret"
}
`,
		"conf/secrets/audit.secret": "from-file\n",
	})
	cfg := mustLoad(t, "a.hcl", "conf/b.hcl")
	checkDiags(t, cfg.Validate(), nil)
	if len(cfg.EventSinks) != 2 {
		t.Fatalf("%d sinks, want 2", len(cfg.EventSinks))
	}
	erp, audit := cfg.EventSinks[0], cfg.EventSinks[1]
	if erp.Name != "erp" || erp.URL != "https://erp.example.com/hooks/marketsync" || erp.Secret.Reveal() != "s3cr3t-from-env" {
		t.Errorf("erp sink %+v", erp)
	}
	if !erp.Subscribes("job.finished") || erp.Subscribes("product.synced") || !audit.Subscribes("conflict.detected") {
		t.Errorf("subscriptions: erp %v, audit %v", erp.Events, audit.Events)
	}
	if got, err := audit.LoadSecret(); err != nil || got.Reveal() != "from-file" {
		t.Errorf("audit secret = %q, %v (read relative to %s/conf)", got.Reveal(), err, dir)
	}
	// The secret never prints, logs or marshals.
	var log strings.Builder
	slog.New(slog.NewTextHandler(&log, nil)).Info("sink", "sink", erp)
	js, _ := json.Marshal(erp)
	for what, s := range map[string]string{"%v": fmt.Sprintf("%v", erp), "%+v": fmt.Sprintf("%+v", erp), "log": log.String(), "json": string(js)} {
		if strings.Contains(s, "s3cr3t") {
			t.Errorf("%s shows the secret: %s", what, s)
		}
	}
}

func TestEventSinkDiagnostics(t *testing.T) {
	for name, tc := range map[string]struct {
		body string
		want []string
	}{
		"unknown event": {
			body: `url = "https://e.example"
  secret = "k"
  events = ["product.colected", "job.finished"]`,
			want: []string{`a.hcl:4,12-48: Unknown event type: "product.colected" is not an event type; the types are product.collected, product.synced, conflict.detected, conflict.resolved, job.finished. Did you mean "product.collected"?`},
		},
		"bad scheme": {
			body: `url = "ftp://e.example/x"
  secret = "k"`,
			want: []string{`a.hcl:2,9-28: Invalid url: url "ftp://e.example/x" must start with https:// (or http://).`},
		},
		"no host": {
			body: `url = "https:///path"
  secret = "k"`,
			want: []string{`a.hcl:2,9-24: Invalid url: url "https:///path" names no host.`},
		},
		"clear text": {
			body: `url = "http://erp.example.com/in"
  secret = "k"`,
			want: []string{`warning: a.hcl:2,9-36: Events sent in clear text: url "http://erp.example.com/in" is plain http to another machine: the signature proves where events come from, but anyone on the way can read them. Use https.`},
		},
		"no secret": {
			body: `url = "https://e.example"`,
			want: []string{`a.hcl:1,1-17: Missing secret: The event_sink block needs secret (such as secret = env("ERP_WEBHOOK_SECRET")) or secret_file: the key of the signature receivers check.`},
		},
		"empty secret": {
			body: `url = "https://e.example"
  secret = ""`,
			want: []string{`a.hcl:3,12-14: Empty secret: secret is empty: every receiver could forge the signature. Set the key the receiver checks.`},
		},
		"two secrets": {
			body: `url = "https://e.example"
  secret = "k"
  secret_file = "k.txt"`,
			want: []string{`a.hcl:4,17-24: Two secrets: Set secret or secret_file, not both.`},
		},
		"no events": {
			body: `url = "https://e.example"
  secret = "k"
  events = []`,
			want: []string{`a.hcl:4,12-14: Invalid events: events is empty, so the sink would receive nothing: list event types (product.collected, product.synced, conflict.detected, conflict.resolved, job.finished), or leave events out for all of them.`},
		},
	} {
		t.Run(name, func(t *testing.T) {
			inDir(t, map[string]string{"a.hcl": "event_sink \"erp\" {\n  " + tc.body + "\n}\ndata_dir = \"/x\"\n"})
			checkDiags(t, mustLoad(t, "a.hcl").Validate(), tc.want)
		})
	}
}

func TestEventSinkDuplicateAndMissingURL(t *testing.T) {
	inDir(t, map[string]string{"a.hcl": `data_dir = "/x"
event_sink "erp" {
  url    = "https://e.example"
  secret = "k"
}
event_sink "erp" {
  url    = "https://f.example"
  secret = "k"
}
`})
	checkDiags(t, mustLoad(t, "a.hcl").Validate(), []string{
		`a.hcl:6,1-17: Duplicate event_sink name: An event_sink named "erp" is already defined at a.hcl:2,1-17. Each sink needs a name of its own: it names the sink's queue of events.`,
	})
	inDir(t, map[string]string{"b.hcl": "event_sink \"erp\" {\n  secret = \"k\"\n}\n"})
	if _, _, diags := Load("b.hcl"); !diags.HasErrors() || !strings.Contains(diags.Error(), `The argument "url" is required`) {
		t.Errorf("a sink without url: %v", diags)
	}
}

func TestEventSinkSecretFileErrors(t *testing.T) {
	inDir(t, map[string]string{"a.hcl": `data_dir = "/x"
event_sink "erp" {
  url         = "https://e.example"
  secret_file = "missing.secret"
}
event_sink "empty" {
  url         = "https://e.example"
  secret_file = "empty.secret"
}
`, "empty.secret": "\n"})
	cfg := mustLoad(t, "a.hcl")
	for i, want := range []string{"there is no file at", "is empty"} {
		if _, err := cfg.EventSinks[i].LoadSecret(); err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), cfg.EventSinks[i].Name) {
			t.Errorf("sink %s: LoadSecret = %v, want an error naming it and %q", cfg.EventSinks[i].Name, err, want)
		}
	}
}

// TestEventSinksReload: a reload takes new sinks without a restart.
func TestEventSinksReload(t *testing.T) {
	inDir(t, map[string]string{"a.hcl": `data_dir = "/x"
event_sink "erp" {
  url    = "https://e.example"
  secret = "k"
}
`, "b.hcl": `data_dir = "/x"
event_sink "erp" {
  url    = "https://f.example"
  secret = "k2"
}
`})
	old, next := mustLoad(t, "a.hcl"), mustLoad(t, "b.hcl")
	got, frozen := old.Reloadable(next)
	if len(frozen) != 0 || got.EventSinks[0].URL != "https://f.example" {
		t.Errorf("reload: frozen %v, sinks %+v", frozen, got.EventSinks)
	}
	if !slices.Equal(EventTypes, []string{"product.collected", "product.synced", "conflict.detected", "conflict.resolved", "job.finished"}) {
		t.Errorf("EventTypes changed: %v; keep it equal to daemon/outbox's types", EventTypes)
	}
}
