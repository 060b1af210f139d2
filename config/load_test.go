package config

import (
	"testing"
)

func TestLoadDiagnostics(t *testing.T) {
	for name, tc := range map[string]struct {
		files map[string]string
		paths []string // default: bad.hcl
		env   map[string]string
		want  []string
		check func(*testing.T, *Config) // for loads without errors
	}{
		"unknown attribute": {
			files: map[string]string{"bad.hcl": "data_dir = \"/x\"\nlog_levle = \"debug\"\n"},
			want:  []string{`bad.hcl:2,1-10: Unsupported argument: An argument named "log_levle" is not expected here. Did you mean "log_level"?`},
		},
		"unknown block": {
			files: map[string]string{"bad.hcl": "apii {\n}\n"},
			want:  []string{`bad.hcl:1,1-5: Unsupported block type: Blocks of type "apii" are not expected here. Did you mean "api"?`},
		},
		"unknown attribute in a platform block": {
			files: map[string]string{"bad.hcl": "platform \"taobao\" \"shop\" {\n  concurency = 2\n}\n"},
			want:  []string{`bad.hcl:2,3-13: Unsupported argument: An argument named "concurency" is not expected here. Did you mean "concurrency"?`},
		},
		"block written as an attribute": {
			files: map[string]string{"bad.hcl": "api = { address = \"127.0.0.1:1\" }\n"},
			want:  []string{`bad.hcl:1,1-4: Unsupported argument: An argument named "api" is not expected here. Did you mean to define a block of type "api"?`},
		},
		"wrong type": {
			files: map[string]string{"bad.hcl": "platform \"taobao\" \"shop\" {\n  concurrency = \"four\"\n}\n"},
			want:  []string{`bad.hcl:2,17-23: Incorrect attribute value type: Inappropriate value for attribute "concurrency": a number is required.`},
		},
		"a list for a string": {
			files: map[string]string{"bad.hcl": "log_level = [\"debug\"]\n"},
			want:  []string{`bad.hcl:1,13-22: Incorrect attribute value type: Inappropriate value for attribute "log_level": string required, but have tuple.`},
		},
		"a fraction for a whole number": {
			files: map[string]string{"bad.hcl": "platform \"taobao\" \"shop\" {\n  concurrency = 2.5\n}\n"},
			want:  []string{`bad.hcl:2,17-20: Incorrect attribute value type: Inappropriate value for attribute "concurrency": a whole number is required.`},
		},
		"a whole number too large for JSON": {
			files: map[string]string{"bad.hcl": "platform \"taobao\" \"shop\" {\n  concurrency = 1e20\n}\n"},
			want:  []string{`bad.hcl:2,17-21: Incorrect attribute value type: Inappropriate value for attribute "concurrency": a whole number between -9007199254740992 and 9007199254740992 is required.`},
		},
		"a number beyond float64": {
			files: map[string]string{"bad.hcl": "platform \"taobao\" \"shop\" {\n  rate_limit {\n    rate  = 1e400\n    burst = 1\n  }\n}\n"},
			want:  []string{`bad.hcl:3,13-18: Incorrect attribute value type: Inappropriate value for attribute "rate": a finite number is required.`},
		},
		"bad duration": {
			files: map[string]string{"bad.hcl": "platform \"taobao\" \"shop\" {\n  timeout     = \"10 parsecs\"\n}\n"},
			want:  []string{`bad.hcl:2,17-29: Invalid duration: Inappropriate value for attribute "timeout": "10 parsecs" is not a duration. Write a number followed by a unit, such as "250ms", "10s" or "1m30s" (units: ns, us, ms, s, m, h).`},
		},
		"duration without a unit": {
			files: map[string]string{"bad.hcl": "platform \"taobao\" \"shop\" {\n  retry {\n    max_delay = 30\n  }\n}\n"},
			want:  []string{`bad.hcl:3,17-19: Invalid duration: Inappropriate value for attribute "max_delay": "30" is not a duration. Write a number followed by a unit, such as "250ms", "10s" or "1m30s" (units: ns, us, ms, s, m, h).`},
		},
		"bad hex pin": {
			files: map[string]string{"bad.hcl": "platform \"taobao\" \"shop\" {\n  plugin_sha256 = \"ab12\"\n}\n"},
			want:  []string{`bad.hcl:2,19-25: Invalid SHA-256 digest: Inappropriate value for attribute "plugin_sha256": want the 64 hexadecimal digits that "sha256sum <plugin binary>" prints, not "ab12".`},
		},
		"two api blocks in one file": {
			files: map[string]string{"bad.hcl": "api {\n}\napi {\n}\n"},
			want:  []string{`bad.hcl:3,1-4: Duplicate api block: Only one api block is allowed here. Another was defined at bad.hcl:1,1-4.`},
		},
		"platform with one label": {
			files: map[string]string{"bad.hcl": "platform \"taobao\" {\n}\n"},
			want:  []string{`bad.hcl:1,19-20: Missing name for platform: All platform blocks must have 2 labels (plugin, name).`},
		},
		"rate_limit without burst": {
			files: map[string]string{"bad.hcl": "platform \"taobao\" \"shop\" {\n  rate_limit {\n    rate = 40\n  }\n}\n"},
			want:  []string{`bad.hcl:2,14-14: Missing required argument: The argument "burst" is required, but no definition was found.`},
		},
		"env() of an unset variable": {
			files: map[string]string{"bad.hcl": "api {\n  token = env(\"MARKETSYNC_TEST_UNSET\")\n}\n"},
			want:  []string{`bad.hcl:2,11-15: Error in function call: Call to function "env" failed: the environment variable MARKETSYNC_TEST_UNSET is not set; set it, or give a default as a second argument: env("MARKETSYNC_TEST_UNSET", "").`},
		},
		"env() with too many arguments": {
			files: map[string]string{"bad.hcl": "api {\n  token = env(\"A\", \"b\", \"c\")\n}\n"},
			want:  []string{`bad.hcl:2,26-27: Invalid function argument: Invalid value for "default" parameter: env takes a variable name and at most one default.`},
		},
		"file() of a missing file": {
			files: map[string]string{"conf/bad.hcl": "api {\n  token = file(\"token.txt\")\n}\n"},
			paths: []string{"conf/bad.hcl"},
			want:  []string{`conf/bad.hcl:2,11-16: Error in function call: Call to function "file" failed: there is no file at conf/token.txt ("token.txt" is read relative to conf, the directory of this config file).`},
		},
		"file() of binary data": {
			files: map[string]string{"bad.hcl": "api {\n  token = file(\"key.bin\")\n}\n", "key.bin": "\xff\xfe"},
			want:  []string{`bad.hcl:2,11-16: Error in function call: Call to function "file" failed: key.bin is not UTF-8 text.`},
		},
		"a variable": {
			files: map[string]string{"bad.hcl": "data_dir = home\n"},
			want:  []string{`bad.hcl:1,12-16: Variables not allowed: Variables may not be used here.`},
		},
		"syntax error": {
			files: map[string]string{"bad.hcl": "data_dir = \"/x\"\napi {\n"},
			want:  []string{`bad.hcl:2,5-6: Unclosed configuration block: There is no closing brace for this block before the end of the file. This may be caused by incorrect brace nesting elsewhere in this file.`},
		},
		"errors in several files are all reported": {
			files: map[string]string{
				"a.hcl": "log_level = 1\nlog_formt = \"json\"\n",
				"b.hcl": "platform \"taobao\" \"shop\" {\n  timeout = \"soon\"\n}\n",
			},
			paths: []string{"a.hcl", "b.hcl"},
			want: []string{
				`a.hcl:2,1-10: Unsupported argument: An argument named "log_formt" is not expected here. Did you mean "log_format"?`,
				`b.hcl:2,13-19: Invalid duration: Inappropriate value for attribute "timeout": "soon" is not a duration. Write a number followed by a unit, such as "250ms", "10s" or "1m30s" (units: ns, us, ms, s, m, h).`,
			},
		},
		"missing file": {
			paths: []string{"nowhere.hcl"},
			want:  []string{`Failed to read file: The configuration file "nowhere.hcl" could not be read.`},
		},
		"empty directory": {
			files: map[string]string{"conf.d/notes.txt": "nothing to see\n"},
			paths: []string{"conf.d"},
			want:  []string{`warning: Empty configuration directory: The directory conf.d holds no *.hcl files, so it adds nothing to the configuration.`},
		},
		"null is unset": {
			files: map[string]string{"good.hcl": "data_dir = \"/x\"\nlog_level = null\n"},
			paths: []string{"good.hcl"},
			check: func(t *testing.T, c *Config) {
				if c.LogLevel != "info" {
					t.Errorf("log_level = null gave %q, want the default", c.LogLevel)
				}
			},
		},
		"env() with a default": {
			files: map[string]string{"good.hcl": "api {\n  token = env(\"MARKETSYNC_TEST_UNSET\", \"fallback\")\n}\n"},
			paths: []string{"good.hcl"},
			check: func(t *testing.T, c *Config) {
				if got := c.API.Token.Reveal(); got != "fallback" {
					t.Errorf("token = %q, want the default given to env()", got)
				}
			},
		},
		"env() of a set variable": {
			files: map[string]string{"good.hcl": "api {\n  token = env(\"MARKETSYNC_TEST_TOKEN\")\n}\n"},
			paths: []string{"good.hcl"},
			env:   map[string]string{"MARKETSYNC_TEST_TOKEN": "t0ken"},
			check: func(t *testing.T, c *Config) {
				if got := c.API.Token.Reveal(); got != "t0ken" {
					t.Errorf("token = %q, want the variable's value", got)
				}
			},
		},
	} {
		t.Run(name, func(t *testing.T) {
			inDir(t, tc.files)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			paths := tc.paths
			if paths == nil {
				paths = []string{"bad.hcl"}
			}
			cfg, _, diags := Load(paths...)
			checkDiags(t, diags, tc.want)
			if tc.check != nil {
				tc.check(t, cfg)
			}
		})
	}
}
