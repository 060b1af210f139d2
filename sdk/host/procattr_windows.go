package host

import (
	"os"
	"os/exec"
)

func setProcAttr(*exec.Cmd)                  {}
func execThrough(*exec.Cmd, *os.File)        {}
func checkWriters(string, os.FileInfo) error { return nil }

// killGroup kills the plugin alone: there are no process groups to kill.
func killGroup(pid int) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return nil
	}
	return p.Kill()
}
