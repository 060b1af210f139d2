package config

import (
	"reflect"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/marketsync/marketsync/sdk"
)

// shopSpec is a schema like the ones plugins describe: every field type,
// required and sensitive fields, and defaults.
var shopSpec = sdk.ConfigSpec{
	{Name: "app_key", Type: sdk.FieldString, Required: true},
	{Name: "app_secret", Type: sdk.FieldString, Required: true, Sensitive: true},
	{Name: "page_size", Type: sdk.FieldInt, Default: 50},
	{Name: "price_factor", Type: sdk.FieldFloat, Default: 1.0},
	{Name: "sandbox", Type: sdk.FieldBool},
	{Name: "poll_every", Type: sdk.FieldDuration, Default: 5 * time.Minute},
	{Name: "locations", Type: sdk.FieldStringList},
}

// platformConfig loads one file from the current directory and decodes the
// config block of its first platform against spec.
func platformConfig(t *testing.T, filename string, spec sdk.ConfigSpec) (*PluginConfig, hcl.Diagnostics) {
	t.Helper()
	cfg := mustLoad(t, filename)
	pc, diags := DecodePluginConfig(cfg.Platforms[0].Config, spec)
	if diags.HasErrors() && pc != nil {
		t.Errorf("DecodePluginConfig returned a config with errors")
	}
	return pc, diags
}

func TestDecodePluginConfig(t *testing.T) {
	const head = "platform \"taobao\" \"shop\" {\n  config {\n"
	const tail = "  }\n}\n"
	for name, tc := range map[string]struct {
		body  string // the lines inside config {}, or a whole file when whole
		whole bool
		env   map[string]string
		spec  sdk.ConfigSpec // default: shopSpec
		want  []string
		json  string // when there are no errors
	}{
		"defaults applied": {
			body: "    app_key    = \"k\"\n    app_secret = \"s\"\n",
			json: `{"app_key":"k","app_secret":"s","page_size":50,"poll_every":"5m0s","price_factor":1}`,
		},
		"every type set": {
			body: `    app_key      = "k"
    app_secret   = "s"
    page_size    = 100
    price_factor = 1.25
    sandbox      = true
    poll_every   = "90s"
    locations    = ["sz", "rtm"]
`,
			json: `{"app_key":"k","app_secret":"s","locations":["sz","rtm"],"page_size":100,"poll_every":"1m30s","price_factor":1.25,"sandbox":true}`,
		},
		"values from env() and file()": {
			body: "    app_key    = env(\"SHOP_KEY\")\n    app_secret = file(\"shop.secret\")\n",
			env:  map[string]string{"SHOP_KEY": "from-env"},
			json: `{"app_key":"from-env","app_secret":"from-file","page_size":50,"poll_every":"5m0s","price_factor":1}`,
		},
		"required missing": {
			body: "    app_key = \"k\"\n",
			want: []string{`a.hcl:2,10-10: Missing required argument: The argument "app_secret" is required, but no definition was found.`},
		},
		"required missing without a config block": {
			body:  "platform \"taobao\" \"shop\" {\n  timeout = \"5s\"\n}\n",
			whole: true,
			want: []string{
				`a.hcl:1,26-26: Missing required argument: The argument "app_key" is required, but no definition was found.`,
				`a.hcl:1,26-26: Missing required argument: The argument "app_secret" is required, but no definition was found.`,
			},
		},
		"required set to null": {
			body: "    app_key    = null\n    app_secret = \"s\"\n",
			want: []string{`a.hcl:3,18-22: Missing required argument: The argument "app_key" is required, but it is null.`},
		},
		"unknown field": {
			body: "    app_key    = \"k\"\n    app_secret = \"s\"\n    page_sise  = 10\n",
			want: []string{`a.hcl:5,5-14: Unsupported argument: An argument named "page_sise" is not expected here. Did you mean "page_size"?`},
		},
		"a field written in another style": {
			body: "    app_key   = \"k\"\n    AppSecret = \"s\"\n",
			want: []string{
				`a.hcl:2,10-10: Missing required argument: The argument "app_secret" is required, but no definition was found.`,
				`a.hcl:4,5-14: Unsupported argument: An argument named "AppSecret" is not expected here. Did you mean "app_secret"?`,
			},
		},
		"a field named by part of its name": {
			body: "    app_key = \"k\"\n    secret  = \"s\"\n",
			want: []string{
				`a.hcl:2,10-10: Missing required argument: The argument "app_secret" is required, but no definition was found.`,
				`a.hcl:4,5-11: Unsupported argument: An argument named "secret" is not expected here. Did you mean "app_secret"?`,
			},
		},
		"a field like none": {
			body: "    app_key    = \"k\"\n    app_secret = \"s\"\n    colour     = \"red\"\n",
			want: []string{`a.hcl:5,5-11: Unsupported argument: An argument named "colour" is not expected here. The plugin's settings are app_key, app_secret, page_size, price_factor, sandbox, poll_every, locations.`},
		},
		"wrong type": {
			body: "    app_key    = \"k\"\n    app_secret = \"s\"\n    sandbox    = \"maybe\"\n",
			want: []string{`a.hcl:5,18-25: Incorrect attribute value type: Inappropriate value for attribute "sandbox": a bool is required.`},
		},
		"bad duration": {
			body: "    app_key    = \"k\"\n    app_secret = \"s\"\n    poll_every = \"5 minutes\"\n",
			want: []string{`a.hcl:5,18-29: Invalid duration: Inappropriate value for attribute "poll_every": "5 minutes" is not a duration. Write a number followed by a unit, such as "250ms", "10s" or "1m30s" (units: ns, us, ms, s, m, h).`},
		},
		"a sensitive value that does not parse is not quoted": {
			body: "    refresh = env(\"SHOP_REFRESH\")\n",
			env:  map[string]string{"SHOP_REFRESH": "hunter2"},
			spec: sdk.ConfigSpec{{Name: "refresh", Type: sdk.FieldDuration, Sensitive: true}},
			want: []string{`a.hcl:3,15-34: Invalid duration: Inappropriate value for attribute "refresh": the (sensitive) value is not a duration. Write a number followed by a unit, such as "250ms", "10s" or "1m30s" (units: ns, us, ms, s, m, h).`},
		},
		"a list with a null": {
			body: "    app_key    = \"k\"\n    app_secret = \"s\"\n    locations  = [\"sz\", null]\n",
			want: []string{`a.hcl:5,18-30: Incorrect attribute value type: Inappropriate value for attribute "locations": the list must not hold null.`},
		},
		"a nested block": {
			body: "    app_key    = \"k\"\n    app_secret = \"s\"\n    extra {}\n",
			want: []string{`a.hcl:5,5-10: Unsupported block type: Blocks of type "extra" are not expected here. The plugin's settings are app_key, app_secret, page_size, price_factor, sandbox, poll_every, locations.`},
		},
		"errors in source order": {
			body: "    page_size  = 1.5\n    app_key    = 1\n    app_secret = env(\"SHOP_UNSET\")\n",
			want: []string{
				`a.hcl:3,18-21: Incorrect attribute value type: Inappropriate value for attribute "page_size": a whole number is required.`,
				`a.hcl:5,18-22: Error in function call: Call to function "env" failed: the environment variable SHOP_UNSET is not set; set it, or give a default as a second argument: env("SHOP_UNSET", "").`,
			},
		},
		"a schema that is itself broken": {
			body: "",
			spec: sdk.ConfigSpec{{Name: "key", Type: sdk.FieldString, Required: true, Default: "x"}},
			want: []string{`a.hcl:2,10-10: Invalid plugin schema: The plugin describes its config block with an invalid schema, so the block cannot be checked: config field "key" is required and has a default. This is a bug in the plugin.`},
		},
	} {
		t.Run(name, func(t *testing.T) {
			src := head + tc.body + tail
			if tc.whole {
				src = tc.body
			}
			inDir(t, map[string]string{"a.hcl": src, "shop.secret": "from-file\n"})
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			spec := tc.spec
			if spec == nil {
				spec = shopSpec
			}
			pc, diags := platformConfig(t, "a.hcl", spec)
			checkDiags(t, diags, tc.want)
			if tc.want != nil {
				return
			}
			if string(pc.JSON()) != tc.json {
				t.Errorf("JSON:\n got  %s\n want %s", pc.JSON(), tc.json)
			}
			// What the plugin receives must pass its own check.
			if _, err := sdk.ParseConfigJSON(spec, pc.JSON()); err != nil {
				t.Errorf("sdk.ParseConfigJSON: %v", err)
			}
		})
	}
}

func TestPluginConfigRoundTrip(t *testing.T) {
	t.Setenv("MARKETSYNC_TOKEN", "token")
	t.Setenv("SHOPIFY_ACCESS_TOKEN", "shpat_123")
	cfg := mustLoad(t, "testdata/production.hcl")
	spec := sdk.ConfigSpec{
		{Name: "shop", Type: sdk.FieldString, Required: true},
		{Name: "access_token", Type: sdk.FieldString, Required: true, Sensitive: true},
		{Name: "locations", Type: sdk.FieldStringList},
		{Name: "api_version", Type: sdk.FieldString, Default: "2025-07"},
		{Name: "timeout", Type: sdk.FieldDuration, Default: 1500 * time.Millisecond},
	}
	pc, diags := DecodePluginConfig(cfg.Platforms[2].Config, spec)
	checkDiags(t, diags, nil)
	got, err := sdk.ParseConfigJSON(spec, pc.JSON())
	if err != nil {
		t.Fatal(err)
	}
	if got.String("shop") != "example-eu.myshopify.com" || got.String("access_token") != "shpat_123" ||
		!reflect.DeepEqual(got.StringList("locations"), []string{"warehouse-shenzhen", "warehouse-rotterdam"}) ||
		got.String("api_version") != "2025-07" || got.Duration("timeout") != 1500*time.Millisecond {
		t.Errorf("the plugin would read %s", pc.JSON())
	}
	want := map[string]any{
		"shop":         "example-eu.myshopify.com",
		"access_token": "(sensitive)",
		"locations":    []string{"warehouse-shenzhen", "warehouse-rotterdam"},
		"api_version":  "2025-07",
		"timeout":      "1.5s",
	}
	if r := pc.Redacted(); !reflect.DeepEqual(r, want) {
		t.Errorf("Redacted() = %v, want %v", r, want)
	}

	// file() in a config block reads relative to production.hcl, not to
	// the working directory; the CRLF of 1688.secret is trimmed.
	keys := sdk.ConfigSpec{
		{Name: "app_key", Type: sdk.FieldString, Required: true},
		{Name: "app_secret", Type: sdk.FieldString, Required: true, Sensitive: true},
	}
	for i, want := range []string{`{"app_key":"12345678","app_secret":"s3cr3t-taobao"}`, `{"app_key":"87654321","app_secret":"s3cr3t-1688"}`} {
		pc, diags := DecodePluginConfig(cfg.Platforms[i].Config, keys)
		checkDiags(t, diags, nil)
		if pc != nil && string(pc.JSON()) != want {
			t.Errorf("platform %s: JSON %s, want %s", cfg.Platforms[i].Name, pc.JSON(), want)
		}
	}
}

func TestDecodePluginConfigNilBody(t *testing.T) {
	pc, diags := DecodePluginConfig(nil, sdk.ConfigSpec{{Name: "region", Type: sdk.FieldString, Default: "cn"}})
	checkDiags(t, diags, nil)
	if pc == nil || string(pc.JSON()) != `{"region":"cn"}` {
		t.Errorf("a nil body gave %v", pc)
	}
}
