package sdk

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

var testSpec = ConfigSpec{
	{Name: "app_key", Type: FieldString, Required: true},
	{Name: "app_secret", Type: FieldString, Required: true, Sensitive: true},
	{Name: "page_size", Type: FieldInt, Default: 40},
	{Name: "ratio", Type: FieldFloat, Default: 0.5},
	{Name: "sandbox", Type: FieldBool},
	{Name: "timeout", Type: FieldDuration, Default: "3s"},
	{Name: "regions", Type: FieldStringList, Default: []string{"CN"}},
}

func TestParseConfigJSON(t *testing.T) {
	cfg, err := ParseConfigJSON(testSpec, []byte(`{"app_key":"k","app_secret":"s","page_size":100,"timeout":"250ms","regions":["CN","HK"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.String("app_key") != "k" || cfg.Int("page_size") != 100 || cfg.Float("ratio") != 0.5 ||
		cfg.Duration("timeout") != 250*time.Millisecond || !reflect.DeepEqual(cfg.StringList("regions"), []string{"CN", "HK"}) {
		t.Errorf("decoded %+v", cfg.values)
	}
	if cfg.IsSet("sandbox") || cfg.Bool("sandbox") {
		t.Error("unset bool without default reads as set")
	}
}

func TestParseConfigJSONErrors(t *testing.T) {
	for name, tc := range map[string]struct{ json, want string }{
		"missing required": {`{"app_key":"k"}`, "app_secret: required field is missing"},
		"unknown field":    {`{"app_key":"k","app_secret":"s","colour":1}`, "colour: unknown field"},
		"fraction for int": {`{"app_key":"k","app_secret":"s","page_size":1.5}`, "page_size: want a whole number, got 1.5"},
		"string for int":   {`{"app_key":"k","app_secret":"s","page_size":"9"}`, "page_size: want int, got string"},
		"bad duration":     {`{"app_key":"k","app_secret":"s","timeout":"3 fortnights"}`, `timeout: want a duration such as "250ms" or "1m30s", got "3 fortnights"`},
		"bad list element": {`{"app_key":"k","app_secret":"s","regions":["CN",1]}`, "regions: element 1: want a string"},
		"not an object":    {`[]`, "config is not a JSON object"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseConfigJSON(testSpec, []byte(tc.json))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestConfigSpecValidate(t *testing.T) {
	for name, tc := range map[string]struct {
		spec ConfigSpec
		want string
	}{
		"ok":               {spec: testSpec},
		"no name":          {spec: ConfigSpec{{Type: FieldString}}, want: "config field 0 has no name"},
		"duplicate":        {spec: ConfigSpec{{Name: "a", Type: FieldInt}, {Name: "a", Type: FieldInt}}, want: `config field "a" is declared twice`},
		"unknown type":     {spec: ConfigSpec{{Name: "a"}}, want: `config field "a" has unknown type 0`},
		"bad default":      {spec: ConfigSpec{{Name: "a", Type: FieldDuration, Default: "forever"}}, want: `config field "a" default: want a duration`},
		"required+default": {spec: ConfigSpec{{Name: "a", Type: FieldInt, Required: true, Default: 1}}, want: `config field "a" is required and has a default`},
	} {
		t.Run(name, func(t *testing.T) {
			err := tc.spec.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}
