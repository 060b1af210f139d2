package command

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestValidateReportsEverythingInOneRun checks that validate reports the
// problems of every kind in one run: names and types, values, plugins
// missing, and plugin config blocks checked against the plugins' schemas.
func TestValidateReportsEverythingInOneRun(t *testing.T) {
	bin := builtDir(t)
	path := filepath.Join(t.TempDir(), "agent.hcl")
	text := `datadir    = "/var/lib/marketsync"
log_level  = "verbose"
plugin_dir = ["` + bin + `"]

platform "sandbox" "shop" {
  timeout = 5
  retry {
    base_delay = "1m"
    max_delay  = "1s"
  }
  config {
    latncy = "5ms"
  }
}

platform "sandbox" "shop" {
  config {
    seed = "many"
  }
}

platform "1688" "wholesale" {}
`
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, "", "validate", path)
	if r.code != 1 {
		t.Fatalf("exit code %d, want 1\n%s", r.code, r.stderr)
	}
	for _, want := range []string{
		`An argument named "datadir" is not expected here. Did you mean "data_dir"?`,
		`"5" is not a duration`,
		`log_level must be one of "debug", "info", "warn", "error", not "verbose".`,
		`retry.base_delay (1m0s) is longer than retry.max_delay (1s)`,
		`A platform named "shop" is already defined`,
		`Did you mean "alibaba1688"?`,
		`An argument named "latncy" is not expected here. Did you mean "latency"?`,
		`Inappropriate value for attribute "seed": a number is required.`,
	} {
		if !strings.Contains(unwrap(r.stderr), want) {
			t.Errorf("validate does not say %q:\n%s", want, r.stderr)
		}
	}
}

// unwrap joins the lines hcl wraps at 78 columns, so that a test can look
// for a whole sentence.
func unwrap(s string) string { return strings.Join(strings.Fields(s), " ") }
