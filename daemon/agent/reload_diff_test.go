package agent

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/marketsync/marketsync/config"
	"github.com/marketsync/marketsync/sdk"
)

// diffSpec is a plugin schema like the sandbox's.
var diffSpec = sdk.ConfigSpec{
	{Name: "seed", Type: sdk.FieldInt, Default: 1},
	{Name: "latency", Type: sdk.FieldDuration, Default: "0s"},
}

// loadPlatforms loads the platform blocks of an HCL text.
func loadPlatforms(t *testing.T, text string) []config.Platform {
	t.Helper()
	path := filepath.Join(t.TempDir(), "agent.hcl")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _, diags := config.Load(path)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return cfg.Platforms
}

// runningFrom is what the agent keeps of blocks it started with plugins
// that describe diffSpec.
func runningFrom(t *testing.T, ps []config.Platform) map[string]*platformEntry {
	t.Helper()
	out := map[string]*platformEntry{}
	for _, p := range ps {
		pc, diags := config.DecodePluginConfig(p.Config, diffSpec)
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		out[p.Name] = &platformEntry{cfg: p, desc: sdk.Description{Name: p.Plugin, Config: diffSpec}, config: pc}
	}
	return out
}

func TestDiffPlatforms(t *testing.T) {
	const (
		a = `
platform "sandbox" "a" {}
`
		b = `
platform "sandbox" "b" {
  rate_limit {
    rate  = 5
    burst = 10
  }
  config {
    latency = "5ms"
  }
}
`
		base = a + b
	)
	for name, tc := range map[string]struct {
		next    string
		want    platformDiff
		errored bool
	}{
		"identical": {next: base, want: platformDiff{unchanged: []string{"a", "b"}}},
		"reordered, reformatted, a default written out": {next: `
platform "sandbox" "b" {
  config {
    seed    = 1
    latency = "5ms"
  }
  rate_limit {
    burst = 10
    rate  = 5.0
  }
}

platform "sandbox" "a" {
  timeout = "30s"
}
`, want: platformDiff{unchanged: []string{"a", "b"}}},
		"added and removed":  {next: b + `platform "sandbox" "c" {}`, want: platformDiff{added: []string{"c"}, removed: []string{"a"}, unchanged: []string{"b"}}},
		"rate limit changed": {next: a + strings.Replace(b, "rate  = 5", "rate  = 6", 1), want: platformDiff{restarted: []string{"b"}, unchanged: []string{"a"}}},
		"plugin config changed": {next: b + `
platform "sandbox" "a" {
  config {
    seed = 2
  }
}
`, want: platformDiff{restarted: []string{"a"}, unchanged: []string{"b"}}},
		"another plugin under the same name": {next: b + `platform "shopify" "a" {}`, want: platformDiff{restarted: []string{"a"}, unchanged: []string{"b"}}},
		"everything goes":                    {next: ``, want: platformDiff{removed: []string{"a", "b"}}},
		"plugin config no longer decodes": {next: `
platform "sandbox" "a" {
  config {
    no_such_field = 1
  }
}
platform "sandbox" "b" {}
`, errored: true},
	} {
		t.Run(name, func(t *testing.T) {
			running := runningFrom(t, loadPlatforms(t, base))
			got, diags := diffPlatforms(running, loadPlatforms(t, tc.next))
			if diags.HasErrors() != tc.errored {
				t.Fatalf("diagnostics %v, want errors: %v", diags, tc.errored)
			}
			if !tc.errored && !reflect.DeepEqual(got, tc.want) {
				t.Errorf("diff %+v, want %+v", got, tc.want)
			}
		})
	}
}
