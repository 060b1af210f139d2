package host

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// binary is a plugin executable opened once: the file that was checked and
// hashed is the file that runs.
//
// go-plugin's SecureConfig hashes the file at a path and then executes
// that path, so whoever can replace the file between the two runs code of
// his choice under a valid pin. Here the binary is opened once, its
// owner and mode are checked on the descriptor (fstat), the descriptor
// is hashed, and on Linux the plugin is executed through that same
// descriptor: the child inherits it as fd 3 and execve opens
// /proc/self/fd/3, which is the inode that was hashed even if the path
// has been renamed over since. Copying the binary to a private 0700
// directory and running the copy closes the same gap, but costs a copy
// of tens of megabytes per launch and a directory to clean up after a
// crash; the descriptor costs nothing. The plugin keeps a read-only
// descriptor of its own executable, which gives it nothing new.
//
// A descriptor pins the inode, not its bytes: someone allowed to write
// the file could still change it in place. That is why a binary that
// others may write is refused (checkWriters), as is a directory where
// others may put another file under the name. Elsewhere than Linux the
// path is executed after the checks, which leaves the rename gap open.
type binary struct {
	path string
	file *os.File
	sum  []byte
}

// openBinary opens the plugin at path, refuses it if users other than
// root, the agent's user and group may change it, hashes it and checks
// the hash against pin when there is one.
func openBinary(path string, pin []byte) (*binary, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("plugin binary: %w", err)
	}
	b, err := checkBinary(f, path, pin)
	if err != nil {
		f.Close()
		return nil, err
	}
	return b, nil
}

func checkBinary(f *os.File, path string, pin []byte) (*binary, error) {
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("plugin binary: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("plugin binary %s is not a regular file", path)
	}
	if err := checkWriters(path, info); err != nil {
		return nil, err
	}
	dirs := []string{filepath.Dir(path)}
	if target, err := filepath.EvalSymlinks(path); err == nil && filepath.Dir(target) != dirs[0] {
		dirs = append(dirs, filepath.Dir(target))
	}
	for _, dir := range dirs {
		dinfo, err := os.Stat(dir)
		if err != nil {
			return nil, fmt.Errorf("plugin directory: %w", err)
		}
		if err := checkWriters(dir, dinfo); err != nil {
			return nil, err
		}
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, fmt.Errorf("plugin binary %s: %w", path, err)
	}
	sum := h.Sum(nil)
	if len(pin) > 0 && subtle.ConstantTimeCompare(sum, pin) != 1 {
		return nil, fmt.Errorf("plugin binary %s does not match its sha256 pin: %w: expected %x, actual %x", path, ErrChecksum, pin, sum)
	}
	return &binary{path: path, file: f, sum: sum}, nil
}
