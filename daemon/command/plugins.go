package command

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/marketsync/marketsync/config"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/host"
)

// PluginsCommand lists the plugins installed on the plugin search path.
type PluginsCommand struct {
	Meta
}

func (c *PluginsCommand) Synopsis() string { return "List the installed plugins" }

func (c *PluginsCommand) Help() string {
	return strings.TrimSpace(`
Usage: marketsync plugins [-plugin-dir DIR]... [-json]

  Lists the plugins on the plugin search path, the first label of a
  platform block: name, version, capabilities and binary. Each is started
  to describe itself, then stopped. "marketsync plugin NAME" shows one
  plugin's limits and settings.

` + pluginDirHelp)
}

// pluginDirHelp is the help of -plugin-dir and -json, which plugins and
// plugin share.
const pluginDirHelp = `Options:

  -plugin-dir DIR
    Search DIR for plugins, as plugin_dir does; repeat for a search path.
    The directory of the marketsync executable is searched last.

  -json
    Print JSON instead of text.`

// pluginListing is one line of marketsync plugins -json.
type pluginListing struct {
	Name         string   `json:"name"`
	Version      string   `json:"version,omitempty"`
	Capabilities []string `json:"capabilities"`
	Path         string   `json:"path"`
	// Error says why the plugin did not describe itself.
	Error string `json:"error,omitempty"`
}

func (c *PluginsCommand) Run(args []string) int {
	var dirs stringList
	f := c.FlagSet("plugins", false)
	f.Var(&dirs, "plugin-dir", "")
	if _, err := c.parse(f, args, noArgs("plugins")); err != nil {
		return c.exit(err)
	}
	path := config.SearchPath(dirs)
	installed := config.InstalledPlugins(path)
	out := make([]pluginListing, len(installed))
	var wg sync.WaitGroup
	for i, ip := range installed {
		wg.Go(func() {
			out[i] = pluginListing{Name: ip.Name, Path: ip.Path, Capabilities: []string{}}
			desc, err := describePlugin(ip.Path)
			if err != nil {
				out[i].Error = err.Error()
				return
			}
			out[i].Version, out[i].Capabilities = desc.Version, capabilityNames(desc)
		})
	}
	wg.Wait()
	if c.json {
		return c.printJSON(out)
	}
	if len(out) == 0 {
		c.Ui.Output(fmt.Sprintf("No plugins on the search path (%s): build the first-party ones with \"make build\".", strings.Join(path, ", ")))
		return 0
	}
	rows := [][]string{{"NAME", "VERSION", "CAPABILITIES", "PATH"}}
	var failed []string
	for _, p := range out {
		rows = append(rows, []string{p.Name, orDash(p.Version), orDash(strings.Join(p.Capabilities, ",")), p.Path})
		if p.Error != "" {
			failed = append(failed, fmt.Sprintf("  %s: %s", p.Name, p.Error))
		}
	}
	c.Ui.Output(table(rows))
	if len(failed) > 0 {
		c.Ui.Output("\nDid not describe themselves")
		c.Ui.Output(strings.Join(failed, "\n"))
	}
	return 0
}

// capabilityNames lists what a plugin can do, by name ("collect").
func capabilityNames(d sdk.Description) []string {
	out := make([]string, len(d.Capabilities))
	for i, c := range d.Capabilities {
		out[i] = c.String()
	}
	return out
}

// describeTimeout bounds starting a plugin and asking it to describe
// itself.
const describeTimeout = 30 * time.Second

// describePlugin starts the plugin binary at path, asks what it is, and
// stops it.
func describePlugin(path string) (sdk.Description, error) {
	ctx, cancel := context.WithTimeout(context.Background(), describeTimeout)
	defer cancel()
	p, err := host.Launch(ctx, host.Options{Path: path, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return sdk.Description{}, err
	}
	defer p.Kill()
	return p.Description(), nil
}
