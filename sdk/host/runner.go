package host

import (
	"context"
	"errors"
	"io"
	"os/exec"
	"strconv"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin/runner"
)

// waitDelay bounds how long the host waits, once a plugin has exited, for
// its standard output and error to close (exec.Cmd.WaitDelay). A process
// the plugin started and detached from its group keeps them open; without
// the bound, that process would keep the plugin "running" for the host,
// and Kill, and the agent's shutdown, waiting for it.
const waitDelay = 3 * time.Second

// processRunner runs a plugin process for go-plugin (ClientConfig.RunnerFunc)
// where go-plugin's own runner would not do: the plugin runs in a process
// group of its own and Kill kills the group, so that what a plugin started
// dies with it; and the output pipes are exec.Cmd's, bounded by WaitDelay.
//
// cmd.Wait is called as soon as the process starts, not when go-plugin
// asks, because go-plugin first reads standard output and error to their
// end, which a left-over child may postpone forever. The pipes go-plugin
// reads are closed when cmd.Wait returns: by then exec has copied
// everything the plugin wrote.
type processRunner struct {
	cmd            *exec.Cmd
	name           string
	log            hclog.Logger
	stdout, stderr *io.PipeReader
	outW, errW     *io.PipeWriter
	done           chan struct{}
	err            error
}

var _ runner.Runner = (*processRunner)(nil)

func newProcessRunner(log hclog.Logger, cmd *exec.Cmd, name string) *processRunner {
	r := &processRunner{cmd: cmd, name: name, log: log, done: make(chan struct{})}
	r.stdout, r.outW = io.Pipe()
	r.stderr, r.errW = io.Pipe()
	cmd.Stdout, cmd.Stderr = r.outW, r.errW
	cmd.WaitDelay = waitDelay
	setProcAttr(cmd)
	return r
}

func (r *processRunner) Start(context.Context) error {
	if err := r.cmd.Start(); err != nil {
		r.outW.Close()
		r.errW.Close()
		close(r.done)
		return err
	}
	// The line go-plugin's own runner logs, which operators (and tests)
	// read to tell a plugin's process.
	r.log.Debug("plugin started", "path", r.name, "pid", r.cmd.Process.Pid)
	go r.wait()
	return nil
}

func (r *processRunner) wait() {
	err := r.cmd.Wait()
	if errors.Is(err, exec.ErrWaitDelay) {
		r.log.Warn("plugin exited but processes it started kept its output open; closed it", "after", waitDelay)
		err = nil
	}
	// The plugin is gone: so is anything it left in its group.
	_ = killGroup(r.cmd.Process.Pid)
	r.err = err
	r.outW.Close()
	r.errW.Close()
	close(r.done)
}

func (r *processRunner) Wait(context.Context) error {
	<-r.done
	return r.err
}

// Kill kills the plugin's process group. go-plugin calls it once a
// graceful shutdown has failed or timed out, which is also when a plugin
// that did exit has left a child behind.
func (r *processRunner) Kill(context.Context) error {
	select {
	case <-r.done:
		return nil // the group was killed when the plugin exited
	default:
	}
	if r.cmd.Process == nil {
		return nil
	}
	return killGroup(r.cmd.Process.Pid)
}

func (r *processRunner) Stdout() io.ReadCloser { return r.stdout }
func (r *processRunner) Stderr() io.ReadCloser { return r.stderr }
func (r *processRunner) Name() string          { return r.name }

func (r *processRunner) ID() string {
	if r.cmd.Process == nil {
		return ""
	}
	return strconv.Itoa(r.cmd.Process.Pid)
}

func (r *processRunner) Diagnose(context.Context) string {
	return "the plugin at " + r.name + " did not complete go-plugin's handshake: it may be built for another system, not be a marketsync plugin, or have failed at start-up (see its log lines above)"
}

func (r *processRunner) PluginToHost(network, addr string) (string, string, error) {
	return network, addr, nil
}

func (r *processRunner) HostToPlugin(network, addr string) (string, string, error) {
	return network, addr, nil
}
