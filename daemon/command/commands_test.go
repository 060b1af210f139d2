package command

import (
	"strings"
	"testing"
)

// TestTopLevelExitCodes: help asked for is 0, no command or an unknown one
// is 1 with a suggestion, never the cli library's 127.
func TestTopLevelExitCodes(t *testing.T) {
	for name, tc := range map[string]struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		"no command":      {nil, 1, "", "Usage: marketsync"},
		"help":            {[]string{"help"}, 0, "Available commands are:", ""},
		"-h":              {[]string{"-h"}, 0, "Available commands are:", ""},
		"help a command":  {[]string{"help", "collect"}, 0, "Usage: marketsync collect", ""},
		"a command's -h":  {[]string{"collect", "-h"}, 0, "Usage: marketsync collect", ""},
		"typo":            {[]string{"colect"}, 1, "", `Unknown command "colect". Did you mean "collect"?`},
		"nothing near it": {[]string{"frobnicate"}, 1, "", `Unknown command "frobnicate". Run "marketsync help"`},
		"version":         {[]string{"-version"}, 0, "marketsync", ""},
	} {
		t.Run(name, func(t *testing.T) {
			r := runCLI(t, "", tc.args...)
			if r.code != tc.code {
				t.Fatalf("exit code %d, want %d\nstdout: %s\nstderr: %s", r.code, tc.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stdout, tc.stdout) || !strings.Contains(r.stderr, tc.stderr) {
				t.Errorf("stdout %q, stderr %q; want %q and %q", r.stdout, r.stderr, tc.stdout, tc.stderr)
			}
		})
	}
}
