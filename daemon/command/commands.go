package command

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/agext/levenshtein"
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
//
// Exit codes: 0 for help asked for (`help`, `-h`, `help <command>`), 1 for
// no command or an unknown one (with the nearest command suggested); a
// command's own codes otherwise. The cli library's 127 is never returned:
// scripts read 127 as "marketsync is not installed".
func run(args []string, meta Meta, stdout, stderr io.Writer) int {
	commands := Commands(meta)
	help := cli.BasicHelpFunc("marketsync")
	switch {
	case len(args) == 0:
		fmt.Fprintln(stderr, help(commands))
		return 1
	case args[0] == "help" || args[0] == "-h" || args[0] == "-help" || args[0] == "--help":
		if len(args) == 1 {
			fmt.Fprintln(stdout, help(commands))
			return 0
		}
		args = append(args[1:2], "-h")
	case args[0] == "-v" || args[0] == "-version" || args[0] == "--version":
	default:
		if _, ok := commands[args[0]]; !ok {
			fmt.Fprintf(stderr, "Unknown command %q.%s Run \"marketsync help\" for the list of commands.\n", args[0], suggest(args[0], commands))
			return 1
		}
	}
	c := &cli.CLI{
		Name:        "marketsync",
		Version:     version.String(),
		Args:        args,
		Commands:    commands,
		HelpFunc:    help,
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

// suggest names the command closest to name, when one is close enough to
// be a typo ("colect" → "collect").
func suggest(name string, commands map[string]cli.CommandFactory) string {
	best, bestDist := "", 3
	for c := range commands {
		if d := levenshtein.Distance(name, c, nil); d < bestDist || (d == bestDist && c < best) {
			best, bestDist = c, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" Did you mean %q?", best)
}

// Commands returns the factories of every command, each given a copy of
// meta.
func Commands(meta Meta) map[string]cli.CommandFactory {
	return map[string]cli.CommandFactory{
		// Talking to a running agent.
		"alerts":         func() (cli.Command, error) { return &AlertsCommand{Meta: meta}, nil },
		"alerts history": func() (cli.Command, error) { return &AlertsHistoryCommand{Meta: meta}, nil },
		"alerts test":    func() (cli.Command, error) { return &AlertsTestCommand{Meta: meta}, nil },
		"silence":        func() (cli.Command, error) { return &SilenceCommand{Meta: meta}, nil },
		"silence add":    func() (cli.Command, error) { return &SilenceAddCommand{Meta: meta}, nil },
		"silence list":   func() (cli.Command, error) { return &SilenceListCommand{Meta: meta}, nil },
		"silence expire": func() (cli.Command, error) { return &SilenceExpireCommand{Meta: meta}, nil },
		"cancel": func() (cli.Command, error) {
			return &CancelCommand{Meta: meta}, nil
		},
		"collect": func() (cli.Command, error) {
			return &CollectCommand{Meta: meta}, nil
		},
		"events": func() (cli.Command, error) {
			return &EventsCommand{Meta: meta}, nil
		},
		"job": func() (cli.Command, error) {
			return &JobCommand{Meta: meta}, nil
		},
		"jobs": func() (cli.Command, error) {
			return &JobsCommand{Meta: meta}, nil
		},
		"lock":         func() (cli.Command, error) { return &LockCommand{Meta: meta}, nil },
		"lock list":    func() (cli.Command, error) { return &LockListCommand{Meta: meta}, nil },
		"lock acquire": func() (cli.Command, error) { return &LockAcquireCommand{Meta: meta}, nil },
		"lock release": func() (cli.Command, error) { return &LockReleaseCommand{Meta: meta}, nil },
		"members":      func() (cli.Command, error) { return &MembersCommand{Meta: meta}, nil },
		"platforms": func() (cli.Command, error) {
			return &PlatformsCommand{Meta: meta}, nil
		},
		"product": func() (cli.Command, error) {
			return &ProductCommand{Meta: meta}, nil
		},
		"products": func() (cli.Command, error) {
			return &ProductsCommand{Meta: meta}, nil
		},
		"stats": func() (cli.Command, error) {
			return &StatsCommand{Meta: meta}, nil
		},
		"sync":              func() (cli.Command, error) { return &SyncCommand{Meta: meta}, nil },
		"sync list":         func() (cli.Command, error) { return &SyncListCommand{Meta: meta}, nil },
		"sync status":       func() (cli.Command, error) { return &SyncListCommand{Meta: meta, status: true}, nil },
		"sync run":          func() (cli.Command, error) { return &SyncRunCommand{Meta: meta}, nil },
		"bindings":          func() (cli.Command, error) { return &BindingsCommand{Meta: meta}, nil },
		"conflicts":         func() (cli.Command, error) { return &ConflictsCommand{Meta: meta}, nil },
		"conflicts list":    func() (cli.Command, error) { return &ConflictsListCommand{Meta: meta}, nil },
		"conflicts show":    func() (cli.Command, error) { return &ConflictsShowCommand{Meta: meta}, nil },
		"conflicts resolve": func() (cli.Command, error) { return &ConflictsResolveCommand{Meta: meta}, nil },

		// Local commands.
		"agent": func() (cli.Command, error) {
			return &AgentCommand{Meta: meta}, nil
		},
		"operator": func() (cli.Command, error) {
			return &OperatorCommand{Meta: meta}, nil
		},
		"operator raft list-peers": func() (cli.Command, error) { return &OperatorRaftListPeersCommand{Meta: meta}, nil },
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
		"plugin": func() (cli.Command, error) {
			return &PluginCommand{Meta: meta}, nil
		},
		"plugins": func() (cli.Command, error) {
			return &PluginsCommand{Meta: meta}, nil
		},
		"sim": func() (cli.Command, error) {
			return &SimCommand{Meta: meta}, nil
		},
		"validate": func() (cli.Command, error) {
			return &ValidateCommand{Meta: meta}, nil
		},
		"version": func() (cli.Command, error) {
			return &VersionCommand{Meta: meta}, nil
		},
	}
}
