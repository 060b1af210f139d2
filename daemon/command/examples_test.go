package command

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// documented finds the "marketsync validate" commands an example's
// comments tell the reader to run: a bare command, or a subshell that
// sets up the example environment first.
var documented = regexp.MustCompile(`\(set -a;[^)\n]*marketsync validate[^)\n]*\)|(?:\./)?(?:bin/)?marketsync validate [^"\n]+`)

// TestExamplesPassTheirDocumentedCheck runs, with the real binary built
// as make build lays it out, the command each file in examples/config and
// examples/cluster says checks it, from the root of the tree, as the reader would.
func TestExamplesPassTheirDocumentedCheck(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(root, "examples", "config", "*.hcl"))
	cluster, cerr := filepath.Glob(filepath.Join(root, "examples", "cluster", "*.hcl"))
	files = append(files, cluster...)
	if err != nil || cerr != nil || len(files) == len(cluster) || len(cluster) == 0 {
		t.Fatalf("no examples: %v %v", err, cerr)
	}
	bin := builtDir(t)
	binary := regexp.MustCompile(`(?:\./)?(?:bin/)?marketsync validate`)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var commands []string
			for _, line := range strings.Split(string(src), "\n") {
				if strings.HasPrefix(line, "#") {
					commands = append(commands, documented.FindAllString(line, -1)...)
				}
			}
			if len(commands) == 0 {
				t.Fatalf("%s does not say how to check it", file)
			}
			for _, command := range commands {
				run := binary.ReplaceAllLiteralString(command, filepath.Join(bin, "marketsync")+" validate")
				cmd := exec.Command("sh", "-c", run)
				cmd.Dir = root
				out, err := cmd.CombinedOutput()
				if err != nil || !strings.Contains(string(out), "The configuration is valid.") {
					t.Errorf("%s: %v\n%s", command, err, out)
				}
			}
		})
	}
}
