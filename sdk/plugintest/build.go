package plugintest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
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
