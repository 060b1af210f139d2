package sdk

import (
	"os/exec"
	"strings"
	"testing"
)

// TestSDKImportsNothingOfTheAgent keeps the SDK buildable on its own: a
// third-party plugin author depends on sdk/... and must never pull in the
// agent, the actors, the first-party plugins or the config loader.
func TestSDKImportsNothingOfTheAgent(t *testing.T) {
	const module = "github.com/marketsync/marketsync/"
	out, err := exec.Command("go", "list", "-deps", "-test", "-f", "{{.ImportPath}}", module+"sdk/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	forbidden := []string{"daemon", "actors", "plugins", "config"}
	checked := 0
	for _, pkg := range strings.Fields(string(out)) {
		if !strings.HasPrefix(pkg, module) {
			continue
		}
		checked++
		for _, f := range forbidden {
			if rest := strings.TrimPrefix(pkg, module); rest == f || strings.HasPrefix(rest, f+"/") {
				t.Errorf("the sdk depends on %s", pkg)
			}
		}
	}
	if checked == 0 {
		t.Fatal("go list found no sdk packages; the check checked nothing")
	}
}
