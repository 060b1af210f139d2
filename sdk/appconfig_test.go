package sdk_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/marketsync/marketsync/sdk"
)

var testApp = sdk.AppSpec{
	Plugin:   "example",
	KeyField: "client_id",
	Key:      "key", Secret: "secret", Token: "token",
	Endpoint: "gateway", Timeout: "bound", Proxies: "proxies",
	DefaultEndpoint: "https://gw.example.com/api",
	DefaultProxies:  []string{},
}

func TestAppSpecFields(t *testing.T) {
	spec := testApp.Fields(sdk.ConfigField{Name: "region", Type: sdk.FieldString})
	if err := spec.Validate(); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range spec {
		names = append(names, f.Name)
	}
	if got := strings.Join(names, ","); got != "client_id,app_secret,access_token,endpoint,timeout,proxies,region" {
		t.Errorf("fields %s", got)
	}
	if got := strings.Join(spec.Sensitive(), ","); got != "app_secret,access_token" {
		t.Errorf("sensitive %s", got)
	}
	if f, _ := spec.Field(sdk.FieldTimeout); f.Default != sdk.DefaultTimeout || f.Description != "bound" {
		t.Errorf("timeout field %+v", f)
	}
	// No DefaultProxies declares no default at all, not a nil list.
	if f, _ := (sdk.AppSpec{}).Fields().Field(sdk.FieldProxies); f.Default != nil {
		t.Errorf("proxies default %#v, want none", f.Default)
	}
}

func TestAppConfigReadAndCheck(t *testing.T) {
	spec := testApp.Fields()
	good := map[string]any{"client_id": "k", "app_secret": "s", "access_token": "t"}
	for name, tc := range map[string]struct {
		change map[string]any
		want   string // in the error; "" for none
	}{
		"defaults":      {},
		"blank key":     {map[string]any{"client_id": "  "}, "client_id must not be empty"},
		"empty token":   {map[string]any{"access_token": ""}, "access_token must not be empty"},
		"zero timeout":  {map[string]any{"timeout": "0s"}, "timeout must be positive"},
		"relative url":  {map[string]any{"endpoint": "gw.example.com"}, "endpoint must be an absolute http(s) URL"},
		"ftp":           {map[string]any{"endpoint": "ftp://gw.example.com"}, "endpoint must be an absolute http(s) URL"},
		"other gateway": {map[string]any{"endpoint": "http://127.0.0.1:9/x", "proxies": []string{"socks5://p:1"}}, ""},
	} {
		t.Run(name, func(t *testing.T) {
			values := map[string]any{}
			for k, v := range good {
				values[k] = v
			}
			for k, v := range tc.change {
				values[k] = v
			}
			cfg, err := sdk.NewConfig(spec, values)
			if err != nil {
				t.Fatal(err)
			}
			a := testApp.Read(cfg)
			err = a.Check()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				if a.AppKey != "k" || a.AppSecret != "s" || a.AccessToken != "t" || a.Timeout != 30*time.Second {
					t.Errorf("read %+v", a)
				}
				return
			}
			if !errors.Is(err, &sdk.Error{Kind: sdk.KindInvalid, Code: "config"}) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want INVALID config %q", err, tc.want)
			}
		})
	}
}

func TestConfiguredGuard(t *testing.T) {
	c := sdk.Configured[string]{Spec: testApp}
	_, err := c.Get()
	if !errors.Is(err, &sdk.Error{Kind: sdk.KindInvalid, Code: "not_configured"}) || !strings.Contains(err.Error(), "plugin example is not configured") {
		t.Fatalf("before Set: %v", err)
	}
	v := "client"
	c.Set(&v)
	if got, err := c.Get(); err != nil || *got != "client" {
		t.Fatalf("after Set: %v, %v", got, err)
	}
}
