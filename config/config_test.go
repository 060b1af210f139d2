package config

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// inDir writes files (name → text) into a new temporary directory and makes
// it the working directory, so that diagnostics name files as written.
func inDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	return dir
}

// describe renders each diagnostic as "file:line,col-col: summary: detail"
// so that tests can compare them exactly, range included.
func describe(diags hcl.Diagnostics) []string {
	var out []string
	for _, d := range diags {
		s := d.Summary + ": " + d.Detail
		if d.Subject != nil {
			s = d.Subject.String() + ": " + s
		}
		if d.Severity == hcl.DiagWarning {
			s = "warning: " + s
		}
		out = append(out, s)
	}
	return out
}

func checkDiags(t *testing.T, diags hcl.Diagnostics, want []string) {
	t.Helper()
	if got := describe(diags); !slices.Equal(got, want) {
		t.Errorf("diagnostics:\n got  %q\n want %q", got, want)
	}
}

func mustLoad(t *testing.T, paths ...string) *Config {
	t.Helper()
	cfg, _, diags := Load(paths...)
	if len(diags) > 0 {
		t.Fatalf("Load(%q): %s", paths, diags.Error())
	}
	return cfg
}
