package host

import (
	"os"
	"os/exec"
	"syscall"
)

// setProcAttr starts the plugin in a process group of its own, so that
// killing the plugin kills what it started too (killGroup), and makes the
// kernel kill the plugin when the agent dies, even by SIGKILL. sdk.Serve's
// parent watchdog covers other systems.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// execThrough makes cmd execute the opened binary f rather than its path:
// the child gets f as fd 3 (the first of ExtraFiles) and execve opens
// /proc/self/fd/3. See binary.
func execThrough(cmd *exec.Cmd, f *os.File) {
	cmd.Path = "/proc/self/fd/3"
	cmd.ExtraFiles = []*os.File{f}
}
