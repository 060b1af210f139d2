package agenttest

import (
	"bufio"
	"io"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/marketsync/marketsync/daemon/client"
)

// Process is the agent binary running as a process of its own.
type Process struct {
	Cmd    *exec.Cmd
	Addr   string // the API's host:port
	Client *client.Client
	// Exited receives the process's end (cmd.Wait) once.
	Exited chan error
}

var listening = regexp.MustCompile(`msg="API listening" address=(\S+)`)

// StartProcess runs `marketsync agent args...` from the binaries in dir (see
// Build) and returns once its API listens, which it reads from the agent's
// log; args should ask for "-api-addr 127.0.0.1:0" and a text log at
// info. Every log line goes to watch when it is not nil. The process is
// killed at the end of the test if it still runs.
func StartProcess(t testing.TB, dir string, watch func(line string), args ...string) *Process {
	t.Helper()
	cmd := exec.Command(filepath.Join(dir, "marketsync"), append([]string{"agent"}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &Process{Cmd: cmd, Exited: make(chan error, 1)}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			line := sc.Text()
			if watch != nil {
				watch(line)
			}
			if m := listening.FindStringSubmatch(line); m != nil {
				addr <- m[1]
			}
		}
		close(addr)
		p.Exited <- cmd.Wait()
	}()
	a, ok := <-addr
	if !ok {
		t.Fatalf("agent exited before listening: %v", <-p.Exited)
	}
	p.Addr = a
	if p.Client, err = client.New(client.Config{Address: "http://" + a}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-p.Exited
		}
	})
	return p
}
