package config

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExamplesLoad keeps the example files in examples/config valid: they
// load in place, with the example environment and secret files shipped
// beside them, merge onto the dev config when they say so, and validate
// with a stand-in binary for every plugin they name.
func TestExamplesLoad(t *testing.T) {
	setEnvFile(t, "../examples/config/production.env")
	files, err := filepath.Glob("../examples/config/*.hcl")
	if err != nil || len(files) == 0 {
		t.Fatalf("no example files: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			load := Load
			if filepath.Base(f) == "faults.hcl" {
				load = LoadDev
			}
			cfg, _, diags := load(f)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			var plugins []string
			for _, p := range cfg.Platforms {
				plugins = append(plugins, p.Plugin)
			}
			cfg.PluginDirs = []string{pluginDir(t, plugins...)}
			if diags := cfg.Validate(); diags.HasErrors() {
				t.Fatal(diags)
			}
		})
	}
}

// setEnvFile sets, for the test, the variables of an env file: NAME=value
// lines, blank lines and # comments, as sh's "set -a; . file" reads it
// when no value needs quoting.
func setEnvFile(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		line := strings.TrimSpace(lines.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: %q is not NAME=value", path, line)
		}
		t.Setenv(name, value)
	}
	if err := lines.Err(); err != nil {
		t.Fatal(err)
	}
}
