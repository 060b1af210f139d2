package marketsync_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"go/parser"
	"go/token"
	"io"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The module path of the agent; the SDK's is module + "/sdk".
const module = "github.com/marketsync/marketsync"

// rule is one line of the layout's import table: what the packages of a
// folder may import, so that a file's folder says what it may touch. Paths
// are relative to the repository root; a path ending in "/..." stands for
// that package and every package under it, and "{own}" for the importer's
// own subtree (its first two path elements: plugins/taobao/...).
type rule struct {
	governs string   // the packages the rule is about
	says    string   // the rule in words, for the failure message
	may     []string // what their non-test files may import of this repository
	tests   []string // what their tests may import besides
}

// authorAPI is what a plugin author builds on: everything of the SDK but the
// host side, the wire protocol and the SDK's internals.
var authorAPI = []string{"sdk", "sdk/httpclient", "sdk/memo", "sdk/faultinject", "sdk/simkit"}

// rules, most specific first: a package follows the first rule that governs it.
var rules = []rule{
	{governs: "", says: "the module root holds only this test",
		may: nil},
	{governs: "daemon/cmd/marketsync", says: "daemon/cmd/marketsync is a thin main over daemon/...",
		may:   []string{"daemon/..."},
		tests: []string{"..."}},
	{governs: "daemon/api", says: "daemon/api sees only daemon/client wire types",
		may:   []string{"daemon/client"},
		tests: []string{"..."}},
	{governs: "daemon/...", says: "daemon/ may import everything below it",
		may: []string{"..."}},
	{governs: "actors/...", says: "actors/ import only sdk, sdk/model, config and actors/; their tests may also use the simulator toolkit's clock and bucket",
		may:   []string{"actors/...", "sdk", "sdk/model", "config"},
		tests: []string{"sdk/simkit"}},
	{governs: "plugins/...", says: "plugins/ import only the author API of the sdk and their own packages; their tests also drive the built plugin through sdk/host and sdk/model",
		may:   append([]string{"{own}/..."}, authorAPI...),
		tests: []string{"sdk/plugintest", "sdk/host", "sdk/model"}},
	{governs: "sdk/...", says: "sdk/ never imports daemon, actors, plugins or config",
		may: []string{"sdk/..."}},
	{governs: "config/...", says: "config/ imports nothing of ours but sdk",
		may: []string{"config/...", "sdk"}},
	{governs: "examples/...", says: "examples/ import only the author API of the sdk (and sdk/plugintest in tests)",
		may:   append([]string{"{own}/..."}, authorAPI...),
		tests: []string{"sdk/plugintest"}},
}

// exclusive names packages only a few others may import (in non-test code).
var exclusive = []struct {
	pkg  string
	says string
	by   []string
}{
	{pkg: "sdk/proto/...", says: "only sdk/host (and its plumbing, sdk/internal/rpc) speaks the wire protocol",
		by: []string{"sdk/host", "sdk/internal/rpc", "sdk/proto/..."}},
}

// TestImportsFollowTheLayout checks every direct import between packages of
// this repository, in both modules and in tests, against the table.
func TestImportsFollowTheLayout(t *testing.T) {
	checked := 0
	for _, dir := range []string{".", "sdk"} {
		for _, p := range listPackages(t, dir) {
			rel, ok := relative(p.ImportPath)
			if !ok {
				t.Errorf("go list in %s/ found %s, outside this repository", dir, p.ImportPath)
				continue
			}
			r, ok := governing(rel)
			if !ok {
				t.Errorf("%s: no rule of the layout governs this folder; give it one in rules", rel)
				continue
			}
			checked++
			files := map[bool][]string{false: append(p.GoFiles, p.CgoFiles...), true: append(p.TestGoFiles, p.XTestGoFiles...)}
			for _, test := range []bool{false, true} {
				for _, file := range files[test] {
					for _, imp := range importsOf(t, filepath.Join(p.Dir, file)) {
						dep, ok := relative(imp)
						if !ok {
							continue
						}
						where := filepath.ToSlash(filepath.Join(rel, file))
						if !r.allows(rel, dep, test) {
							t.Errorf("%s (package %s) imports %s, breaking the rule %q", where, rel, dep, r.says)
						}
						if test {
							continue
						}
						for _, x := range exclusive {
							if match(x.pkg, dep, rel) && !matchAny(x.by, rel, rel) {
								t.Errorf("%s (package %s) imports %s, breaking the rule %q", where, rel, dep, x.says)
							}
						}
					}
				}
			}
		}
	}
	if checked < 20 {
		t.Fatalf("only %d packages checked; go list did not see the repository", checked)
	}
}

type listedPackage struct {
	ImportPath, Dir                              string
	GoFiles, CgoFiles, TestGoFiles, XTestGoFiles []string
}

// listPackages lists the packages of the module in dir.
func listPackages(t *testing.T, dir string) []listedPackage {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Dir,GoFiles,CgoFiles,TestGoFiles,XTestGoFiles", "./...")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			t.Fatalf("go list in %s/: %v\n%s", dir, err, exit.Stderr)
		}
		t.Fatalf("go list in %s/: %v", dir, err)
	}
	var pkgs []listedPackage
	for dec := json.NewDecoder(bytes.NewReader(out)); ; {
		var p listedPackage
		if err := dec.Decode(&p); err == io.EOF {
			return pkgs
		} else if err != nil {
			t.Fatalf("go list in %s/: %v", dir, err)
		}
		pkgs = append(pkgs, p)
	}
}

// importsOf returns the import paths of one Go file.
func importsOf(t *testing.T, path string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
	if err != nil {
		t.Fatal(err)
	}
	var imps []string
	for _, s := range f.Imports {
		imp, err := strconv.Unquote(s.Path.Value)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		imps = append(imps, imp)
	}
	return imps
}

// relative returns an import path of this repository relative to its root.
func relative(importPath string) (string, bool) {
	if importPath == module {
		return "", true
	}
	rel, ok := strings.CutPrefix(importPath, module+"/")
	return rel, ok
}

func governing(pkg string) (rule, bool) {
	for _, r := range rules {
		if match(r.governs, pkg, pkg) {
			return r, true
		}
	}
	return rule{}, false
}

func (r rule) allows(importer, dep string, test bool) bool {
	if dep == importer {
		return true // an external test package imports the package it tests
	}
	return matchAny(r.may, dep, importer) || test && matchAny(r.tests, dep, importer)
}

func matchAny(patterns []string, pkg, importer string) bool {
	for _, p := range patterns {
		if match(p, pkg, importer) {
			return true
		}
	}
	return false
}

// match reports whether pkg is pattern: "..." is every package, "x/..." is x
// and everything under it, "{own}" is the importer's first two path elements.
func match(pattern, pkg, importer string) bool {
	if own, ok := strings.CutPrefix(pattern, "{own}"); ok {
		parts := strings.SplitN(importer, "/", 3)
		pattern = strings.Join(parts[:min(2, len(parts))], "/") + own
	}
	if pattern == "..." {
		return true
	}
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return pkg == base || strings.HasPrefix(pkg, base+"/")
	}
	return pkg == pattern
}
