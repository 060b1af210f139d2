package plugintest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Build compiles the plugin's main package in dir (usually ".") to
// marketsync-plugin-<name> in a new temporary directory, for a TestMain to
// build the binary once. It returns the binary's path and a func that
// removes it.
func Build(dir, name string) (path string, cleanup func(), err error) {
	tmp, err := os.MkdirTemp("", "plugintest-")
	if err != nil {
		return "", nil, err
	}
	cleanup = func() { os.RemoveAll(tmp) }
	path = filepath.Join(tmp, "marketsync-plugin-"+name)
	cmd := exec.Command("go", "build", "-o", path, ".")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("go build %s: %v\n%s", dir, err, out)
	}
	return path, cleanup, nil
}

// Main is a plugin package's whole TestMain: it builds the plugin in the
// current directory as marketsync-plugin-<name>, stores the binary's path
// in *binary for the tests, runs them, removes the binary and exits with
// their code.
//
//	var binary string
//
//	func TestMain(m *testing.M) { plugintest.Main(m, "feed", &binary) }
func Main(m *testing.M, name string, binary *string) {
	path, cleanup, err := Build(".", name)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	*binary = path
	code := m.Run()
	cleanup()
	os.Exit(code)
}
