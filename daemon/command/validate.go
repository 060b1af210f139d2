package command

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/marketsync/marketsync/config"
	"github.com/marketsync/marketsync/daemon/agent"
)

// ValidateCommand checks config files.
type ValidateCommand struct {
	Meta
}

func (c *ValidateCommand) Synopsis() string { return "Check agent config files" }

func (c *ValidateCommand) Help() string {
	return strings.TrimSpace(`
Usage: marketsync validate [-dev] [-plugins=false] PATH...

  Loads the config files and directories as the agent would, merged in
  order, and prints every problem with its file, line and column: syntax,
  names and types, values, and each platform's config block checked
  against the schema of its plugin, which it starts for the purpose. All
  are reported in one run. Exits 1 when anything is wrong.

  "marketsync plugin NAME" lists the settings a plugin's config block
  takes.

Options:

  -dev
    Check the files as merged onto the -dev configuration, as
    "marketsync agent -dev -config PATH" would load them.

  -plugins=false
    Skip starting the plugins: check the agent's own settings only.`)
}

func (c *ValidateCommand) Run(args []string) int {
	plugins, dev := true, false
	f := flag.NewFlagSet("validate", flag.ContinueOnError)
	f.SetOutput(io.Discard)
	f.BoolVar(&plugins, "plugins", true, "")
	f.BoolVar(&dev, "dev", false, "")
	paths, err := c.parse(f, args, func(rest []string) error {
		if len(rest) == 0 {
			return usageError("validate needs at least one config file or directory")
		}
		return nil
	})
	if err != nil {
		return c.exit(err)
	}
	load := config.Load
	if dev {
		load = config.LoadDev
	}
	// Every check runs whatever the earlier ones found, on what decoded,
	// so that one run reports every problem of the files.
	cfg, sources, diags := load(paths...)
	diags = append(diags, cfg.Validate()...)
	if plugins {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		diags = append(diags, agent.CheckPlugins(ctx, cfg, slog.New(slog.DiscardHandler))...)
	}
	if len(diags) > 0 {
		var b strings.Builder
		_ = sources.WriteDiagnostics(&b, diags, isTerminal(os.Stderr))
		c.Ui.Error(strings.TrimRight(b.String(), "\n"))
	}
	if diags.HasErrors() {
		return 1
	}
	c.Ui.Output("The configuration is valid.")
	return 0
}
