package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestGuideSnippetsComeFromThisPlugin keeps the SDK's authoring guide
// honest: every Go snippet in sdk/README.md must be a verbatim excerpt of
// this plugin's code (a "// ..." line marks an elision), so the guide
// shows only code that compiles against the current SDK.
func TestGuideSnippetsComeFromThisPlugin(t *testing.T) {
	// Built from a copy outside the tree (scripts/third-party-plugin.sh),
	// the test is told where the SDK is.
	sdkDir := os.Getenv("MARKETSYNC_SDK_DIR")
	if sdkDir == "" {
		sdkDir = "../../sdk"
	}
	guide, err := os.ReadFile(filepath.Join(sdkDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var sources [][]string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, codeLines(string(b)))
	}
	snippets := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(string(guide), -1)
	if len(snippets) == 0 {
		t.Fatal("the guide has no Go snippets")
	}
	for _, m := range snippets {
		for _, part := range strings.Split(m[1], "// ...\n") {
			want := codeLines(part)
			if len(want) > 0 && !containsRun(sources, want) {
				t.Errorf("this snippet of sdk/README.md is not in examples/plugin-feed:\n%s", part)
			}
		}
	}
}

// codeLines is s's non-blank lines with surrounding white space removed.
func codeLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func containsRun(sources [][]string, want []string) bool {
	for _, src := range sources {
		for i := 0; i+len(want) <= len(src); i++ {
			if slices.Equal(src[i:i+len(want)], want) {
				return true
			}
		}
	}
	return false
}
