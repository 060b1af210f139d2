package command

import (
	"runtime"
	"strings"

	"github.com/marketsync/marketsync/daemon/version"
	"github.com/marketsync/marketsync/sdk/host"
)

// VersionCommand prints the build's version.
type VersionCommand struct {
	Meta
}

func (c *VersionCommand) Synopsis() string { return "Print the version of this build" }

func (c *VersionCommand) Help() string {
	return strings.TrimSpace(`
Usage: marketsync version [-json]

  Prints the version of marketsync, the plugin protocol it speaks and the Go
  release and platform it was built for.

Options:

  -json
    Print the same as a JSON object.`)
}

// versionInfo is what version -json prints.
type versionInfo struct {
	Version        string `json:"version"`
	PluginProtocol int    `json:"plugin_protocol"`
	Go             string `json:"go"`
	Platform       string `json:"platform"`
}

func (c *VersionCommand) Run(args []string) int {
	if _, err := c.parse(c.FlagSet("version", false), args, noArgs("version")); err != nil {
		return c.exit(err)
	}
	if c.json {
		return c.printJSON(versionInfo{
			Version:        version.Version,
			PluginProtocol: host.ProtocolVersion,
			Go:             runtime.Version(),
			Platform:       runtime.GOOS + "/" + runtime.GOARCH,
		})
	}
	c.Ui.Output(version.String())
	return 0
}
