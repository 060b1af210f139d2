//go:build unix && !linux

package host

import (
	"os"
	"os/exec"
	"syscall"
)

// setProcAttr starts the plugin in a process group of its own, so that
// killing the plugin kills what it started too (killGroup).
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// execThrough leaves cmd executing the binary's path: there is no
// /proc/self/fd to execute a descriptor through.
func execThrough(*exec.Cmd, *os.File) {}
