package api_test

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/marketsync/marketsync"

// importRules say what of the agent's module each package under
// daemon/api may import; the standard library is always allowed, nothing
// else is. The server sees the wire types of package client and its
// Backend, never the actors, the stores or the plugin protocol; the SDK
// comes in only through the types client embeds (sdk.Product, sdk.Error),
// which the fakes and tests build. Outside the module, the server uses
// x/net's netutil to cap its connections. The TLS tests make their
// certificates with config/certtest, which imports the standard library
// alone.
var importRules = map[string]struct{ code, tests []string }{
	module + "/daemon/api": {
		code:  []string{"/daemon/client", "golang.org/x/net/netutil"},
		tests: []string{"/daemon/api", "/daemon/api/apitest", "/daemon/client", "/sdk", "/config/certtest"},
	},
	module + "/daemon/api/apitest": {
		code:  []string{"/daemon/api", "/daemon/client", "/sdk"},
		tests: []string{"/daemon/api", "/daemon/api/apitest", "/daemon/client", "/sdk"},
	},
}

// listed is what `go list -json` says of a package.
type listed struct {
	ImportPath   string
	Standard     bool
	Imports      []string
	TestImports  []string
	XTestImports []string
}

func TestImports(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command to list the imports with")
	}
	out, err := exec.Command("go", "list", "-deps", "-test", "-json", "./...").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	standard := map[string]bool{}
	var pkgs []listed
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p listed
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		standard[plain(p.ImportPath)] = p.Standard
		pkgs = append(pkgs, p)
	}
	checked := map[string]bool{}
	check := func(p listed, imports, allowed []string) {
		for _, imp := range imports {
			imp = plain(imp)
			if !standard[imp] && !slices.Contains(allowed, strings.TrimPrefix(imp, module)) {
				t.Errorf("%s imports %s; it may import only the standard library and %s of this module",
					p.ImportPath, imp, strings.Join(allowed, ", "))
			}
		}
	}
	for _, p := range pkgs {
		path := strings.TrimSuffix(plain(p.ImportPath), "_test")
		rules, ok := importRules[path]
		if !ok {
			continue
		}
		checked[path] = true
		if p.ImportPath == path {
			check(p, p.Imports, rules.code)
			check(p, append(p.TestImports, p.XTestImports...), rules.tests)
		} else {
			// Built for a test, its imports include the test files'.
			check(p, p.Imports, rules.tests)
		}
	}
	for path := range importRules {
		if !checked[path] {
			t.Errorf("go list did not list %s", path)
		}
	}
}

// plain drops the " [pkg.test]" that go list adds to packages built for a
// test.
func plain(path string) string {
	path, _, _ = strings.Cut(path, " ")
	return path
}
