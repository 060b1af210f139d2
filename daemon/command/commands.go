package command

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/hashicorp/cli"
	"github.com/marketsync/marketsync/daemon/version"
)

// defaultWatchWait is the longest one blocking query of collect -wait
// waits for its job to change.
const defaultWatchWait = 30 * time.Second

// Run runs the command line args (without the program name) and returns
// the exit code.
func Run(args []string) int {
	meta := Meta{
		Ui:        &cli.BasicUi{Reader: os.Stdin, Writer: os.Stdout, ErrorWriter: os.Stderr},
		Stdout:    os.Stdout,
		Stdin:     os.Stdin,
		WatchWait: defaultWatchWait,
	}
	return run(args, meta, os.Stdout, os.Stderr)
}

// run is Run with its outputs given, for tests.
func run(args []string, meta Meta, stdout, stderr io.Writer) int {
	c := &cli.CLI{
		Name:        "marketsync",
		Version:     version.String(),
		Args:        args,
		Commands:    Commands(meta),
		HelpFunc:    cli.BasicHelpFunc("marketsync"),
		HelpWriter:  stdout,
		ErrorWriter: stderr,
	}
	code, err := c.Run()
	if err != nil {
		fmt.Fprintf(stderr, "Error: %v\n", err)
		return 1
	}
	return code
}

// Commands returns the factories of every command, each given a copy of
// meta.
func Commands(meta Meta) map[string]cli.CommandFactory {
	return map[string]cli.CommandFactory{
		// Talking to a running agent.
		"cancel": func() (cli.Command, error) {
			return &CancelCommand{Meta: meta}, nil
		},
		"collect": func() (cli.Command, error) {
			return &CollectCommand{Meta: meta}, nil
		},
		"job": func() (cli.Command, error) {
			return &JobCommand{Meta: meta}, nil
		},
		"jobs": func() (cli.Command, error) {
			return &JobsCommand{Meta: meta}, nil
		},
		"platforms": func() (cli.Command, error) {
			return &PlatformsCommand{Meta: meta}, nil
		},
		"product": func() (cli.Command, error) {
			return &ProductCommand{Meta: meta}, nil
		},
		"stats": func() (cli.Command, error) {
			return &StatsCommand{Meta: meta}, nil
		},

		// Local commands.
		"agent": func() (cli.Command, error) {
			return &AgentCommand{Meta: meta}, nil
		},
		"operator": func() (cli.Command, error) {
			return &OperatorCommand{Meta: meta}, nil
		},
		"operator snapshot": func() (cli.Command, error) {
			return &OperatorSnapshotCommand{Meta: meta}, nil
		},
		"operator snapshot inspect": func() (cli.Command, error) {
			return &OperatorSnapshotInspectCommand{Meta: meta}, nil
		},
		"operator snapshot restore": func() (cli.Command, error) {
			return &OperatorSnapshotRestoreCommand{Meta: meta}, nil
		},
		"operator snapshot save": func() (cli.Command, error) {
			return &OperatorSnapshotSaveCommand{Meta: meta}, nil
		},
		"fmt": func() (cli.Command, error) {
			return &FmtCommand{Meta: meta}, nil
		},
		"validate": func() (cli.Command, error) {
			return &ValidateCommand{Meta: meta}, nil
		},
		"version": func() (cli.Command, error) {
			return &VersionCommand{Meta: meta}, nil
		},
	}
}
