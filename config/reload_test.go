package config

import (
	"reflect"
	"slices"
	"testing"
)

// loadText loads one file holding text, from a fresh directory.
func loadText(t *testing.T, text string) *Config {
	t.Helper()
	inDir(t, map[string]string{"agent.hcl": text})
	return mustLoad(t, "agent.hcl")
}

func TestReloadable(t *testing.T) {
	const base = `
data_dir  = "/var/lib/a"
log_level = "info"
api {
  address = "127.0.0.1:8787"
  token   = "old"
}
platform "sandbox" "src" {}
`
	for name, tc := range map[string]struct {
		next   string
		frozen []string
	}{
		"nothing changes": {next: base},
		"log level and platforms reload": {next: `
data_dir  = "/var/lib/a"
log_level = "debug"
api {
  address = "127.0.0.1:8787"
  token   = "old"
}
platform "sandbox" "other" {}
`},
		"every frozen setting": {next: `
data_dir   = "/var/lib/b"
log_format = "json"
plugin_dir = "/opt/plugins"
api {
  address = "0.0.0.0:9000"
  token   = "new"
}
stats {
  retention = "48h"
}
platform "sandbox" "src" {}
`, frozen: []string{"data_dir", "log_format", "plugin_dir", "api.address", "api.token", "stats.retention"}},
	} {
		t.Run(name, func(t *testing.T) {
			old := loadText(t, base)
			next := loadText(t, tc.next)
			got, frozen := old.Reloadable(next)
			if !slices.Equal(frozen, tc.frozen) {
				t.Errorf("frozen %q, want %q", frozen, tc.frozen)
			}
			// Frozen settings keep the running values; the rest is next's.
			if got.DataDir != old.DataDir || got.LogFormat != old.LogFormat || !slices.Equal(got.PluginDirs, old.PluginDirs) ||
				!reflect.DeepEqual(got.API, old.API) || got.Stats != old.Stats {
				t.Errorf("frozen settings changed: %+v", got)
			}
			if got.LogLevel != next.LogLevel || len(got.Platforms) != 1 || got.Platforms[0].Name != next.Platforms[0].Name {
				t.Errorf("reloadable settings not taken: %+v", got)
			}
			if next.DataDir == "/var/lib/b" && next.API.Token.Reveal() != "new" {
				t.Error("Reloadable modified next")
			}
		})
	}
}

func TestSameSettings(t *testing.T) {
	const base = `
platform "sandbox" "src" {
  timeout = "10s"
  rate_limit {
    rate  = 5
    burst = 10
  }
  config {
    latency = "1ms"
  }
}
`
	for name, tc := range map[string]struct {
		next string
		same bool
	}{
		"identical": {next: base, same: true},
		"moved and reformatted, defaults spelled out": {next: `

# The same block, written differently.
platform "sandbox" "src" {
  concurrency = 4
  rate_limit {
    burst = 10
    rate  = 5.0
  }
  timeout = "10s"
}
`, same: true},
		"timeout": {next: `
platform "sandbox" "src" {
  timeout = "11s"
  rate_limit {
    rate  = 5
    burst = 10
  }
}
`},
		"rate limit": {next: `
platform "sandbox" "src" {
  timeout = "10s"
  rate_limit {
    rate  = 6
    burst = 10
  }
}
`},
		"rate limit removed": {next: `
platform "sandbox" "src" {
  timeout = "10s"
}
`},
		"nested retry setting": {next: `
platform "sandbox" "src" {
  timeout = "10s"
  rate_limit {
    rate  = 5
    burst = 10
  }
  retry {
    max_attempts = 2
  }
}
`},
		"plugin": {next: `
platform "shopify" "src" {
  timeout = "10s"
  rate_limit {
    rate  = 5
    burst = 10
  }
}
`},
	} {
		t.Run(name, func(t *testing.T) {
			old := loadText(t, base).Platforms[0]
			next := loadText(t, tc.next).Platforms[0]
			if got := old.SameSettings(next); got != tc.same {
				t.Errorf("SameSettings = %v, want %v", got, tc.same)
			}
		})
	}
}

func TestPluginConfigEqual(t *testing.T) {
	inDir(t, map[string]string{
		"a.hcl":        "platform \"shop\" \"s\" {\n  config {\n    app_key = \"k\"\n    app_secret = \"s1\"\n  }\n}\n",
		"defaults.hcl": "platform \"shop\" \"s\" {\n  config {\n    app_key = \"k\"\n    app_secret = \"s1\"\n    page_size = 50\n  }\n}\n",
		"rotated.hcl":  "platform \"shop\" \"s\" {\n  config {\n    app_key = \"k\"\n    app_secret = \"s2\"\n  }\n}\n",
	})
	a, _ := platformConfig(t, "a.hcl", shopSpec)
	defaults, _ := platformConfig(t, "defaults.hcl", shopSpec)
	rotated, _ := platformConfig(t, "rotated.hcl", shopSpec)
	if !a.Equal(defaults) {
		t.Error("a default written out counts as a change")
	}
	if a.Equal(rotated) {
		t.Error("a rotated secret does not count as a change")
	}
	if a.Equal(nil) || !(*PluginConfig)(nil).Equal(nil) {
		t.Error("nil handling")
	}
}

// Sync blocks wait for a restart: the running pipelines keep theirs, and
// moving a block to another line changes nothing.
func TestReloadableKeepsSyncBlocks(t *testing.T) {
	block := func(every string) string {
		return syncPlatforms + "sync \"p\" {\n  source = \"main-shop\"\n  target = \"eu-store\"\n  every  = \"" + every + "\"\n}\n"
	}
	old := loadText(t, block("1h"))
	moved := loadText(t, "\n\n"+block("1h"))
	if _, frozen := old.Reloadable(moved); len(frozen) != 0 {
		t.Fatalf("a moved sync block froze %q", frozen)
	}
	got, frozen := old.Reloadable(loadText(t, block("2h")))
	if !slices.Equal(frozen, []string{"sync"}) || got.Syncs[0].Every != old.Syncs[0].Every {
		t.Fatalf("frozen %q, syncs %+v; want sync frozen at the running value", frozen, got.Syncs)
	}
}
