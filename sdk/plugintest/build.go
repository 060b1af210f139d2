package plugintest

import (
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Build compiles the plugin's main package in dir (usually ".") to
// marketsync-plugin-<name> in a new temporary directory, for a TestMain to
// build the binary once. It returns the binary's path and a func that
// removes it. The build itself goes through BuildShared, so the test
// packages of one checkout that need the same plugin link it once.
func Build(dir, name string) (path string, cleanup func(), err error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", nil, err
	}
	root, err := ModuleRoot(abs)
	if err != nil {
		return "", nil, err
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil {
		return "", nil, err
	}
	tmp, err := os.MkdirTemp("", "plugintest-")
	if err != nil {
		return "", nil, err
	}
	cleanup = func() { os.RemoveAll(tmp) }
	path = filepath.Join(tmp, "marketsync-plugin-"+name)
	pkg := "./" + filepath.ToSlash(rel)
	err = BuildShared(root, []string{pkg}, func(out string) error {
		return CopyExecutable(filepath.Join(out, filepath.Base(abs)), path)
	})
	if err != nil {
		cleanup()
		return "", nil, err
	}
	return path, cleanup, nil
}

// BuildShared builds the main packages pkgs of the module in root (paths
// as go build takes them, relative to root) into a directory that every
// test process of this checkout and user shares, each binary named after
// the last element of its folder as go build names it, and calls use with
// that directory while it holds the directory's lock. use copies what it
// needs (CopyExecutable): a later build may relink the files.
//
// go build leaves a binary that is up to date alone, so the test packages
// that all need the agent or the same plugin link it once between them
// instead of once each; the lock keeps packages tested in parallel from
// building into the directory at once, and each checkout has a directory
// of its own, so two checkouts tested side by side never relink over each
// other. The binaries are linked without DWARF (-ldflags=-w): a fifth less
// link time, stack traces unchanged.
func BuildShared(root string, pkgs []string, use func(dir string) error) error {
	out := filepath.Join(os.TempDir(), fmt.Sprintf("marketsync-test-build-%d-%08x", os.Getuid(), crc32.ChecksumIEEE([]byte(root))))
	if err := os.MkdirAll(out, 0o700); err != nil {
		return err
	}
	unlock, err := lockDir(out)
	if err != nil {
		return err
	}
	defer unlock()
	args := []string{"build", "-ldflags=-w", "-o", out + string(filepath.Separator)}
	if len(pkgs) == 1 {
		// One package: go build -o <dir>/ names a package in the module's
		// root after the module path; name it after its folder like the rest.
		args[len(args)-1] = filepath.Join(out, filepath.Base(filepath.Join(root, pkgs[0])))
	}
	cmd := exec.Command("go", append(args, pkgs...)...)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", strings.Join(pkgs, " "), err, b)
	}
	return use(out)
}

// ModuleRoot is the directory of the go.mod that governs dir.
func ModuleRoot(dir string) (string, error) {
	cmd := exec.Command("go", "env", "GOMOD")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD in %s: %w", dir, err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("%s is not inside a Go module", dir)
	}
	return filepath.Dir(mod), nil
}

// CopyExecutable copies an executable: a copy, not a link, so that a later
// build into the shared directory never changes a binary a test runs.
func CopyExecutable(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
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
