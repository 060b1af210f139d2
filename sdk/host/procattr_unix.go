//go:build unix

package host

import (
	"fmt"
	"os"
	"syscall"
)

// checkWriters refuses a plugin binary, or a directory holding one, that
// users the agent does not trust may change. Trusted are root and the
// agent's own user (as owners) and, for group write, root's group and the
// agent's own group: a service account's group is its own, and on
// systems that give each user a private group (umask 002) a developer's
// build directory is group-writable by that group alone. Any other
// owner, any other writable group, and world write are refused: each of
// them lets another account swap the plugin, which runs with the agent's
// credentials and is handed its platforms' secrets.
func checkWriters(path string, info os.FileInfo) error {
	perm := info.Mode().Perm()
	if perm&0o002 != 0 {
		return fmt.Errorf("%s is world-writable (mode %s): refusing to run a plugin anyone can replace; chmod o-w it", path, perm)
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if uid := int(st.Uid); uid != 0 && uid != os.Getuid() {
		return fmt.Errorf("%s is owned by uid %d, neither root nor the agent's user (uid %d): refusing to run a plugin another user can replace", path, uid, os.Getuid())
	}
	if gid := int(st.Gid); perm&0o020 != 0 && gid != 0 && gid != os.Getgid() {
		return fmt.Errorf("%s is writable by group %d, neither root's nor the agent's (gid %d): refusing to run a plugin that group can replace; chmod g-w it", path, gid, os.Getgid())
	}
	return nil
}

// killGroup kills the plugin's process group: the plugin and every process
// it started that stayed in the group (see setProcAttr).
func killGroup(pid int) error {
	err := syscall.Kill(-pid, syscall.SIGKILL)
	if err == syscall.ESRCH {
		return nil
	}
	return err
}
