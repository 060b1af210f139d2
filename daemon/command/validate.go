package command

import (
	"context"
	"flag"
	"io"
	"log/slog"
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
  order, and prints every problem with its file, line and column. It then
  starts each platform's plugin to check the platform's config block
  against the plugin's own schema. Exits 1 when anything is wrong.

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
	cfg, sources, diags := load(paths...)
	if !diags.HasErrors() {
		diags = append(diags, cfg.Validate()...)
	}
	if !diags.HasErrors() && plugins {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		diags = append(diags, agent.CheckPlugins(ctx, cfg, slog.New(slog.DiscardHandler))...)
	}
	if code := c.diagnostics(sources, diags); code != 0 {
		return code
	}
	c.Ui.Output("The configuration is valid.")
	return 0
}
