package config

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/marketsync/marketsync/sdk"
)

// TestSecretsDoNotLeak prints, logs and marshals every exported type that
// holds a secret, in every way a caller might, and looks for the secrets,
// raw and hex-encoded, in the output.
func TestSecretsDoNotLeak(t *testing.T) {
	const (
		token       = "tok-from-env-0001"
		fileSecret  = "secret-from-file-0002"
		inlineValue = "inline-secret-0003"
	)
	inDir(t, map[string]string{
		"agent.hcl": `data_dir = "/x"
api {
  token = env("LEAK_TEST_TOKEN")
}
platform "taobao" "shop" {
  config {
    app_key    = "visible-key"
    app_secret = file("app.secret")
    password   = "` + inlineValue + `"
  }
}
`,
		"app.secret": fileSecret + "\n",
	})
	t.Setenv("LEAK_TEST_TOKEN", token)
	cfg := mustLoad(t, "agent.hcl")
	spec := sdk.ConfigSpec{
		{Name: "app_key", Type: sdk.FieldString, Required: true},
		{Name: "app_secret", Type: sdk.FieldString, Required: true, Sensitive: true},
		{Name: "password", Type: sdk.FieldString, Sensitive: true},
	}
	pc, diags := DecodePluginConfig(cfg.Platforms[0].Config, spec)
	checkDiags(t, diags, nil)

	// The secrets are there to be had by those who ask.
	if cfg.API.Token.Reveal() != token || !strings.Contains(string(pc.JSON()), fileSecret) || !strings.Contains(string(pc.JSON()), inlineValue) {
		t.Fatalf("the secrets did not load: token %q, plugin JSON %s", cfg.API.Token.Reveal(), pc.JSON())
	}

	values := map[string]any{
		"*Config": cfg, "Config": *cfg, "API": cfg.API, "Secret": cfg.API.Token,
		"[]Platform": cfg.Platforms, "Platform": cfg.Platforms[0],
		"*PluginConfig": pc, "PluginConfig": *pc, "Redacted": pc.Redacted(),
	}
	var out bytes.Buffer
	for name, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%t"} {
			fmt.Fprintf(&out, "%s %s: "+verb+"\n", name, verb, v)
		}
		fmt.Fprintln(&out, v)
		if b, err := json.Marshal(v); err != nil {
			t.Errorf("json.Marshal(%s): %v", name, err)
		} else {
			out.Write(b)
		}
		for _, h := range []slog.Handler{slog.NewTextHandler(&out, nil), slog.NewJSONHandler(&out, nil)} {
			slog.New(h).Info("loaded", "value", v)
		}
	}
	for _, secret := range []string{token, fileSecret, inlineValue} {
		for _, form := range []string{secret, hex.EncodeToString([]byte(secret)), strings.ToUpper(hex.EncodeToString([]byte(secret)))} {
			if i := bytes.Index(out.Bytes(), []byte(form)); i >= 0 {
				line := out.Bytes()[max(0, i-200):min(out.Len(), i+len(form)+20)]
				t.Errorf("secret %q leaked as %q in:\n%s", secret, form, line)
			}
		}
	}
	// And the redacted forms say what was there.
	for _, want := range []string{"(sensitive)", "visible-key", "127.0.0.1:8787"} {
		if !bytes.Contains(out.Bytes(), []byte(want)) {
			t.Errorf("the output never shows %q", want)
		}
	}
}

func TestSecretEncodings(t *testing.T) {
	s := Secret("hunter2")
	text, _ := s.MarshalText()
	js, _ := json.Marshal(struct{ S Secret }{s})
	for name, tc := range map[string]struct{ got, want string }{
		"Reveal":      {s.Reveal(), "hunter2"},
		"String":      {s.String(), "(sensitive)"},
		"GoString":    {s.GoString(), "(sensitive)"},
		"MarshalText": {string(text), "(sensitive)"},
		"MarshalJSON": {string(js), `{"S":"(sensitive)"}`},
		"LogValue":    {s.LogValue().String(), "(sensitive)"},
		"%d":          {fmt.Sprintf("%d", s), "(sensitive)"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %q, want %q", name, tc.got, tc.want)
		}
	}
}
