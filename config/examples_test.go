package config

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// TestExamplesLoad keeps the example files in examples/config valid: they
// load, merge onto the dev config when they say so, and validate with a
// stand-in binary for every plugin they name.
func TestExamplesLoad(t *testing.T) {
	t.Setenv("TAOBAO_APP_KEY", "k")
	t.Setenv("ALI1688_APP_KEY", "k")
	t.Setenv("PDD_CLIENT_ID", "k")
	t.Setenv("AE_APP_KEY", "k")
	t.Setenv("MARKETSYNC_TOKEN", "t")
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
			dir := t.TempDir()
			// Secret files the example reads live beside it in production;
			// here they are stand-ins.
			writeSecrets(t, f, dir)
			cfg, _, diags := load(copyTo(t, f, dir))
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

// copyTo copies the file at src into dir and returns the copy's path.
func copyTo(t *testing.T, src, dir string) string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, filepath.Base(src))
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return dst
}

// writeSecrets creates a stand-in for every secrets/ file src reads.
func writeSecrets(t *testing.T, src, dir string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "secrets"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`file\("(secrets/[^"]+)"\)`).FindAllStringSubmatch(string(b), -1) {
		if err := os.WriteFile(filepath.Join(dir, m[1]), []byte("stand-in\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
