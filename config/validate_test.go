package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// pluginDir makes a plugin directory holding an executable stand-in for
// each named plugin.
func pluginDir(t *testing.T, plugins ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, p := range plugins {
		if err := os.WriteFile(filepath.Join(dir, "marketsync-plugin-"+p), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestValidate(t *testing.T) {
	const platform = "platform \"taobao\" \"main-shop\" {\n}\n"
	for name, tc := range map[string]struct {
		files   map[string]string
		paths   []string // default: a.hcl
		plugins []string // binaries in the plugin dir; default: taobao
		want    []string
	}{
		"valid": {
			files: map[string]string{"a.hcl": "data_dir = \"/x\"\n" + platform},
		},
		"duplicate platform across two files": {
			files: map[string]string{
				"a.hcl": "data_dir = \"/x\"\n" + platform,
				"b.hcl": "\n" + platform,
			},
			paths: []string{"a.hcl", "b.hcl"},
			want:  []string{`b.hcl:2,1-30: Duplicate platform name: A platform named "main-shop" is already defined at a.hcl:2,1-30. Each platform block needs a name (its second label) of its own: the name identifies the account in jobs, metrics and the API.`},
		},
		"same platform name under two plugins": {
			files:   map[string]string{"a.hcl": "data_dir = \"/x\"\n" + platform + "platform \"1688\" \"main-shop\" {}\n"},
			plugins: []string{"taobao", "1688"},
			want:    []string{`a.hcl:4,1-28: Duplicate platform name: A platform named "main-shop" is already defined at a.hcl:2,1-30. Each platform block needs a name (its second label) of its own: the name identifies the account in jobs, metrics and the API.`},
		},
		"missing plugin binary": {
			files:   map[string]string{"a.hcl": "data_dir = \"/x\"\n" + platform},
			plugins: []string{"1688"},
			want:    []string{`a.hcl:2,1-30: Plugin not found: Platform "main-shop" needs the plugin "taobao", but no marketsync-plugin-taobao is on the plugin search path (PLUGINS, EXE). The plugins on it are: 1688. Add the directory that holds marketsync-plugin-taobao to plugin_dir.`},
		},
		"no plugin installed": {
			files:   map[string]string{"a.hcl": "data_dir = \"/x\"\n" + platform},
			plugins: []string{},
			want:    []string{`a.hcl:2,1-30: Plugin not found: Platform "main-shop" needs the plugin "taobao", but no marketsync-plugin-taobao is on the plugin search path (PLUGINS, EXE). There is no plugin on it: build the first-party plugins with "make build" (into ./bin, beside marketsync), or add the directory that holds marketsync-plugin-taobao to plugin_dir.`},
		},
		"a plugin named as the platform's short name": {
			files:   map[string]string{"a.hcl": "data_dir = \"/x\"\nplatform \"1688\" \"wholesale\" {}\n"},
			plugins: []string{"alibaba1688", "pinduoduo", "taobao"},
			want:    []string{`a.hcl:2,1-28: Plugin not found: Platform "wholesale" needs the plugin "1688", but no marketsync-plugin-1688 is on the plugin search path (PLUGINS, EXE). The plugins on it are: alibaba1688, pinduoduo, taobao. Did you mean "alibaba1688"?`},
		},
		"every value check of every block, duplicates included": {
			files: map[string]string{"a.hcl": "data_dir = \"/x\"\nlog_level = \"verbose\"\n" + platform + "platform \"taobao\" \"main-shop\" {\n  retry {\n    base_delay = \"1m\"\n    max_delay  = \"1s\"\n  }\n}\n"},
			want: []string{
				`a.hcl:2,13-22: Invalid log_level: log_level must be one of "debug", "info", "warn", "error", not "verbose".`,
				`a.hcl:5,1-30: Duplicate platform name: A platform named "main-shop" is already defined at a.hcl:3,1-30. Each platform block needs a name (its second label) of its own: the name identifies the account in jobs, metrics and the API.`,
				`a.hcl:7,18-22: Invalid retry delays: retry.base_delay (1m0s) is longer than retry.max_delay (1s): the first retry would wait longer than any retry may.`,
			},
		},
		"plugin_pass_env names": {
			files: map[string]string{"a.hcl": "data_dir = \"/x\"\nplatform \"taobao\" \"main-shop\" {\n  plugin_pass_env = [\"HTTPS_PROXY\", \"no_proxy\", \"1X\", \"MARKETSYNC_TOKEN\"]\n}\n"},
			want: []string{
				`a.hcl:3,21-74: Invalid plugin_pass_env: "1X" is not an environment variable name: use letters, digits and '_', not starting with a digit.`,
				`a.hcl:3,21-74: Invalid plugin_pass_env: MARKETSYNC_TOKEN is the agent's own setting, not a plugin's: plugins never get MARKETSYNC_* variables.`,
			},
		},
		"missing data_dir": {
			files: map[string]string{"a.hcl": "log_level = \"info\"\n", "b.hcl": platform},
			paths: []string{"a.hcl", "b.hcl"},
			want:  []string{`a.hcl:1,1-1: Missing data_dir: Set data_dir to the directory where the agent keeps its state, or run the agent with -dev to keep state in memory.`},
		},
		"bad log level and format": {
			files: map[string]string{"a.hcl": "data_dir   = \"/x\"\nlog_level  = \"verbose\"\nlog_format = \"xml\"\n"},
			want: []string{
				`a.hcl:2,14-23: Invalid log_level: log_level must be one of "debug", "info", "warn", "error", not "verbose".`,
				`a.hcl:3,14-19: Invalid log_format: log_format must be one of "text", "json", not "xml".`,
			},
		},
		"bad api address": {
			files: map[string]string{"a.hcl": "data_dir = \"/x\"\napi {\n  address = \"localhost\"\n}\n"},
			want:  []string{`a.hcl:3,13-24: Invalid api.address: api.address must be host:port, such as "127.0.0.1:8787" or ":8787": address localhost: missing port in address.`},
		},
		"api on every interface without a token": {
			files: map[string]string{"a.hcl": "data_dir = \"/x\"\napi {\n  address = \":8787\"\n}\n"},
			want:  []string{`a.hcl:3,13-20: Unprotected api.address: api.address ":8787" listens beyond this machine, but the api block sets no token: anyone who reaches the port could start and cancel jobs. Set api.token, or listen on "127.0.0.1:8787", or, on a network you trust, set api.insecure_bind = true.`},
		},
		"api on a LAN address without a token": {
			files: map[string]string{"a.hcl": "data_dir = \"/x\"\napi {\n  address = \"10.0.0.5:8787\"\n}\n"},
			want:  []string{`a.hcl:3,13-28: Unprotected api.address: api.address "10.0.0.5:8787" listens beyond this machine, but the api block sets no token: anyone who reaches the port could start and cancel jobs. Set api.token, or listen on "127.0.0.1:8787", or, on a network you trust, set api.insecure_bind = true.`},
		},
		"api beyond loopback with insecure_bind": {
			files: map[string]string{"a.hcl": "data_dir = \"/x\"\napi {\n  address = \"0.0.0.0:8787\"\n  insecure_bind = true\n}\n"},
		},
		"api beyond loopback with a token": {
			files: map[string]string{"a.hcl": "data_dir = \"/x\"\napi {\n  address = \"0.0.0.0:8787\"\n  token = \"t\"\n}\n"},
		},
		"api on loopback names without a token": {
			files: map[string]string{"a.hcl": "data_dir = \"/x\"\napi {\n  address = \"localhost:8787\"\n}\n", "b.hcl": "api {\n  address = \"[::1]:0\"\n}\n"},
			paths: []string{"a.hcl", "b.hcl"},
		},
		"api tls without a key": {
			files: map[string]string{"a.hcl": "data_dir = \"/x\"\napi {\n  tls {\n    cert_file = \"agent.pem\"\n  }\n}\n"},
			want:  []string{`a.hcl:4,17-28: Missing api.tls.key_file: The tls block needs cert_file and key_file: the PEM files of the agent's certificate and its private key.`},
		},
		"api beyond loopback with mutual tls": {
			files: map[string]string{"a.hcl": "data_dir = \"/x\"\napi {\n  address = \"0.0.0.0:8787\"\n  tls {\n    cert_file = \"a.pem\"\n    key_file = \"k.pem\"\n    client_ca_file = \"ca.pem\"\n  }\n}\n"},
		},
		"scoped tokens": {
			files: map[string]string{"a.hcl": "data_dir = \"/x\"\napi {\n  token = \"root\"\n  scoped_token {\n    secret = \"r\"\n    scope = \"read\"\n  }\n  scoped_token {\n    secret = \"root\"\n    scope = \"admin\"\n  }\n  scoped_token {\n    scope = \"write\"\n  }\n}\n"},
			want: []string{
				`a.hcl:8,3-15: Duplicate token: This scoped_token's secret is also another token's; each token needs a secret of its own, so that its scope is known.`,
				`a.hcl:8,3-15: Invalid scoped_token.scope: scoped_token.scope must be one of "read", "write", "operator", not "admin".`,
				`a.hcl:12,3-15: Missing scoped_token secret: A scoped_token block needs a secret, such as secret = env("MARKETSYNC_READ_TOKEN").`,
			},
		},
		"api beyond loopback with a scoped token only": {
			files: map[string]string{"a.hcl": "data_dir = \"/x\"\napi {\n  address = \"0.0.0.0:8787\"\n  scoped_token {\n    secret = \"r\"\n    scope = \"read\"\n  }\n}\n"},
		},
		"unix socket mode": {
			files: map[string]string{"a.hcl": "data_dir = \"/x\"\napi {\n  unix_socket = \"/run/ms.sock\"\n  unix_socket_mode = \"660\"\n}\n"},
			want:  []string{`a.hcl:4,22-27: Invalid api.unix_socket_mode: api.unix_socket_mode must be a file mode in octal, written with its leading 0, such as "0660", not "660".`},
		},
		"api read timeout zero": {
			files: map[string]string{"a.hcl": "data_dir = \"/x\"\napi {\n  read_timeout = \"0s\"\n  max_conns = 0\n}\n"},
			want: []string{
				`a.hcl:3,18-22: Invalid api.read_timeout: api.read_timeout must be more than 0, not 0s: without it a client that stalls holds its connection forever.`,
				`a.hcl:4,15-16: Invalid api.max_conns: api.max_conns must be at least 1, not 0.`,
			},
		},
		"api port out of range": {
			files: map[string]string{"a.hcl": "data_dir = \"/x\"\napi {\n  address = \"127.0.0.1:70000\"\n}\n"},
			want:  []string{`a.hcl:3,13-30: Invalid api.address: api.address must be host:port, such as "127.0.0.1:8787" or ":8787": port "70000" is not a number from 0 to 65535.`},
		},
		"values that must be positive": {
			files: map[string]string{"a.hcl": `data_dir = "/x"
platform "taobao" "main-shop" {
  timeout     = "0s"
  concurrency = 0
  rate_limit {
    rate  = 0
    burst = -1
  }
  retry {
    max_attempts = 0
    base_delay   = "-1s"
  }
}
`},
			want: []string{
				`a.hcl:3,17-21: Invalid timeout: timeout must be longer than 0, not 0s.`,
				`a.hcl:4,17-18: Invalid concurrency: concurrency must be at least 1, not 0.`,
				`a.hcl:6,13-14: Invalid rate_limit.rate: rate_limit.rate is calls per second and must be greater than 0, not 0.`,
				`a.hcl:7,13-15: Invalid rate_limit.burst: rate_limit.burst must be at least 1, not -1.`,
				`a.hcl:10,20-21: Invalid retry.max_attempts: retry.max_attempts must be at least 1, not 0.`,
				`a.hcl:11,20-25: Invalid retry.base_delay: retry.base_delay must be longer than 0, not -1s.`,
			},
		},
		"resilience settings out of range": {
			files: map[string]string{"a.hcl": "data_dir = \"/x\"\nstats {\n  retention = \"10s\"\n}\nplatform \"taobao\" \"main-shop\" {\n  retry {\n    budget_percent = 1.5\n  }\n  circuit_breaker {\n    failure_ratio = 0\n    cooldown      = \"0s\"\n  }\n}\n"},
			want: []string{
				`a.hcl:3,15-20: Invalid stats.retention: stats.retention must be at least a minute (statistics are kept per minute), not 10s.`,
				`a.hcl:7,22-25: Invalid retry.budget_percent: retry.budget_percent is a share: it must be at least 0 and at most 1, not 1.5.`,
				`a.hcl:10,21-22: Invalid circuit_breaker.failure_ratio: circuit_breaker.failure_ratio is a share: it must be greater than 0 and at most 1, not 0.`,
				`a.hcl:11,21-25: Invalid circuit_breaker.cooldown: circuit_breaker.cooldown must be longer than 0, not 0s.`,
			},
		},
		"restart settings out of range": {
			files: map[string]string{"a.hcl": "data_dir = \"/x\"\nplatform \"taobao\" \"crashy\" {\n  restart {\n    attempts = 0\n    interval = \"0s\"\n    delay    = \"-1s\"\n    mode     = \"retry\"\n  }\n}\n"},
			want: []string{
				`a.hcl:4,16-17: Invalid restart.attempts: restart.attempts must be at least 1, not 0.`,
				`a.hcl:5,16-20: Invalid restart.interval: restart.interval must be longer than 0, not 0s.`,
				`a.hcl:6,16-21: Invalid restart.delay: restart.delay must be longer than 0, not -1s.`,
				`a.hcl:7,16-23: Invalid restart.mode: restart.mode is "delay" or "fail", not "retry".`,
			},
		},
		"base_delay longer than the default max_delay": {
			files: map[string]string{"a.hcl": "data_dir = \"/x\"\nplatform \"taobao\" \"main-shop\" {\n  retry {\n    base_delay = \"1m\"\n  }\n}\n"},
			want:  []string{`a.hcl:4,18-22: Invalid retry delays: retry.base_delay (1m0s) is longer than retry.max_delay (30s): the first retry would wait longer than any retry may.`},
		},
		"plugin name that would escape plugin_dir": {
			files: map[string]string{"a.hcl": "data_dir = \"/x\"\nplatform \"../../bin/sh\" \"shop\" {}\n"},
			want:  []string{`a.hcl:2,1-31: Invalid plugin name: "../../bin/sh" is not a valid plugin name: use letters, digits, '-', '_' and '.', starting with a letter or digit.`},
		},
		"platform name with a space": {
			files: map[string]string{"a.hcl": "data_dir = \"/x\"\nplatform \"taobao\" \"main shop\" {}\n"},
			want:  []string{`a.hcl:2,1-30: Invalid platform name: "main shop" is not a valid platform name: use letters, digits, '-', '_' and '.', starting with a letter or digit.`},
		},
	} {
		t.Run(name, func(t *testing.T) {
			inDir(t, tc.files)
			paths := tc.paths
			if paths == nil {
				paths = []string{"a.hcl"}
			}
			plugins := tc.plugins
			if plugins == nil {
				plugins = []string{"taobao"}
			}
			cfg := mustLoad(t, paths...)
			cfg.PluginDirs = []string{pluginDir(t, plugins...)}
			diags := cfg.Validate()
			for _, d := range diags {
				d.Detail = strings.ReplaceAll(d.Detail, cfg.PluginDirs[0], "PLUGINS")
				d.Detail = strings.ReplaceAll(d.Detail, executableDir(), "EXE")
			}
			checkDiags(t, diags, tc.want)
		})
	}
}

func TestValidatePluginNotExecutable(t *testing.T) {
	inDir(t, map[string]string{"a.hcl": "data_dir = \"/x\"\nplatform \"taobao\" \"main-shop\" {}\n"})
	cfg := mustLoad(t, "a.hcl")
	cfg.PluginDirs = []string{t.TempDir()}
	path := cfg.PluginPath("taobao")
	if err := os.WriteFile(path, []byte("not a program"), 0o644); err != nil {
		t.Fatal(err)
	}
	checkDiags(t, cfg.Validate(), []string{
		`a.hcl:2,1-30: Plugin not executable: Platform "main-shop" needs the plugin "taobao", but ` + path + ` is not an executable file.`,
	})
}

func TestPluginPath(t *testing.T) {
	builtin, thirdParty := pluginDir(t, "taobao", "sandbox"), pluginDir(t, "acme", "taobao")
	cfg := &Config{PluginDirs: []string{thirdParty, builtin}}
	for plugin, want := range map[string]string{
		"acme":    filepath.Join(thirdParty, "marketsync-plugin-acme"),
		"taobao":  filepath.Join(thirdParty, "marketsync-plugin-taobao"), // the first directory wins
		"sandbox": filepath.Join(builtin, "marketsync-plugin-sandbox"),
		"nothere": filepath.Join(thirdParty, "marketsync-plugin-nothere"),
	} {
		if got := cfg.PluginPath(plugin); got != want {
			t.Errorf("PluginPath(%q) = %q, want %q", plugin, got, want)
		}
	}
	path := cfg.PluginSearchPath()
	if len(path) != 3 || path[0] != thirdParty || path[1] != builtin || path[2] != executableDir() {
		t.Errorf("search path %q, want plugin_dir then the executable's directory %q", path, executableDir())
	}
	var names []string
	for _, ip := range InstalledPlugins(path) {
		names = append(names, ip.Name+"="+ip.Path)
	}
	want := []string{
		"acme=" + filepath.Join(thirdParty, "marketsync-plugin-acme"),
		"sandbox=" + filepath.Join(builtin, "marketsync-plugin-sandbox"),
		"taobao=" + filepath.Join(thirdParty, "marketsync-plugin-taobao"),
	}
	if !slices.Equal(names, want) {
		t.Errorf("installed plugins %q, want %q", names, want)
	}
}

func TestPluginDirDecodes(t *testing.T) {
	for name, tc := range map[string]struct {
		text string
		want []string
		diag string
	}{
		"a single directory": {text: `plugin_dir = "/usr/lib/marketsync/plugins"`, want: []string{"/usr/lib/marketsync/plugins"}},
		"a search path":      {text: `plugin_dir = ["/usr/lib/marketsync/plugins", "/opt/acme/plugins"]`, want: []string{"/usr/lib/marketsync/plugins", "/opt/acme/plugins"}},
		"an empty entry":     {text: `plugin_dir = ["/opt", ""]`, diag: `a.hcl:1,14-26: Incorrect attribute value type: Inappropriate value for attribute "plugin_dir": a directory must not be null or empty.`},
		"a list of objects":  {text: `plugin_dir = [{}]`, diag: `a.hcl:1,14-18: Incorrect attribute value type: Inappropriate value for attribute "plugin_dir": element 0: string required, but have object.`},
	} {
		t.Run(name, func(t *testing.T) {
			inDir(t, map[string]string{"a.hcl": tc.text + "\n"})
			cfg, _, diags := Load("a.hcl")
			if tc.diag != "" {
				checkDiags(t, diags, []string{tc.diag})
				return
			}
			checkDiags(t, diags, nil)
			if !slices.Equal(cfg.PluginDirs, tc.want) {
				t.Errorf("plugin dirs %q, want %q", cfg.PluginDirs, tc.want)
			}
		})
	}
}

// TestValidateBuiltInGo checks a Config made in Go, with no file behind
// it: diagnostics then have no subject rather than an empty range.
func TestValidateBuiltInGo(t *testing.T) {
	cfg := Default()
	cfg.PluginDirs = []string{pluginDir(t, "taobao")}
	p := NewPlatform("taobao", "shop")
	p.Concurrency = 0
	cfg.Platforms = append(cfg.Platforms, p)
	checkDiags(t, cfg.Validate(), []string{
		`Missing data_dir: Set data_dir to the directory where the agent keeps its state, or run the agent with -dev to keep state in memory.`,
		`Invalid concurrency: concurrency must be at least 1, not 0.`,
	})
}

// TestLoadSuggests checks the "Did you mean" of names the agent's own
// schema does not take, hcl's near misses and the wider ones.
func TestLoadSuggests(t *testing.T) {
	inDir(t, map[string]string{"a.hcl": `datadir = "/x"
LogLevel = "info"
plugin-dir = "/opt"
platform "taobao" "shop" {
  time_out = "5s"
  circuitBreaker {}
}
`})
	_, _, diags := Load("a.hcl")
	checkDiags(t, diags, []string{
		`a.hcl:1,1-8: Unsupported argument: An argument named "datadir" is not expected here. Did you mean "data_dir"?`,
		`a.hcl:2,1-9: Unsupported argument: An argument named "LogLevel" is not expected here. Did you mean "log_level"?`,
		`a.hcl:3,1-11: Unsupported argument: An argument named "plugin-dir" is not expected here. Did you mean "plugin_dir"?`,
		`a.hcl:5,3-11: Unsupported argument: An argument named "time_out" is not expected here. Did you mean "timeout"?`,
		`a.hcl:6,3-17: Unsupported block type: Blocks of type "circuitBreaker" are not expected here. Did you mean "circuit_breaker"?`,
	})
}

// TestValidateSaysNothingMoreOfValuesThatFailed checks that a value that
// did not decode is reported once, by Load, and not again by Validate
// for the default it kept.
func TestValidateSaysNothingMoreOfValuesThatFailed(t *testing.T) {
	inDir(t, map[string]string{"a.hcl": `data_dir = env("MARKETSYNC_TEST_UNSET_DIR")
platform "taobao" "shop" {
  retry {
    base_delay = "1 minute"
    max_delay  = "1s"
  }
  rate_limit {
    rate  = "fast"
    burst = 1
  }
}
`})
	cfg, _, diags := Load("a.hcl")
	if len(diags) != 3 {
		t.Fatalf("Load: %d diagnostics, want 3: %v", len(diags), diags)
	}
	cfg.PluginDirs = []string{pluginDir(t, "taobao")}
	checkDiags(t, cfg.Validate(), nil)
}
