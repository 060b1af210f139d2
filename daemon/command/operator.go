package command

import (
	"flag"
	"fmt"
	"strings"

	"github.com/hashicorp/cli"
	"github.com/marketsync/marketsync/config"
)

// OperatorCommand groups the commands that work on an agent's data
// directory rather than through its API.
type OperatorCommand struct {
	Meta
}

func (c *OperatorCommand) Synopsis() string { return "Work on an agent's state (snapshots)" }

func (c *OperatorCommand) Help() string {
	return strings.TrimSpace(`
Usage: marketsync operator <subcommand> [options] [args]

  Commands for the operator of an agent's state: snapshots, saved from the
  running agent or a stopped one's data_dir, inspected and restored:

      $ marketsync operator snapshot save backup.snap
      $ marketsync operator snapshot restore -data-dir /var/lib/marketsync backup.snap

  Run "marketsync operator <subcommand> -h" for a subcommand's help.`)
}

func (c *OperatorCommand) Run([]string) int { return cli.RunResultHelp }

// dataDirFlags are the flags that say which data directory a command
// works on: -data-dir, or the data_dir of the agent's -config files.
type dataDirFlags struct {
	dir   string
	paths stringList
}

func (d *dataDirFlags) register(f *flag.FlagSet) {
	f.StringVar(&d.dir, "data-dir", "", "")
	f.Var(&d.paths, "config", "")
}

func (d *dataDirFlags) resolve() (string, error) {
	if d.dir != "" {
		return d.dir, nil
	}
	if len(d.paths) == 0 {
		return "", usageError("give -data-dir DIR, or the agent's -config PATH")
	}
	cfg, _, diags := config.Load(d.paths...)
	if diags.HasErrors() {
		return "", fmt.Errorf("config: %s", diags.Error())
	}
	if cfg.DataDir == "" {
		return "", usageError("the config sets no data_dir")
	}
	return cfg.DataDir, nil
}

// dataDirOptions is the help of dataDirFlags.
const dataDirOptions = `  -data-dir DIR
    The agent's data_dir.

  -config PATH
    Read data_dir from the agent's config file or directory instead;
    repeat to merge several, as the agent does.`
