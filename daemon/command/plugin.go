package command

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/marketsync/marketsync/config"
	"github.com/marketsync/marketsync/sdk"
)

// PluginCommand describes one installed plugin: what it talks to, its
// limits and every setting of its config block.
type PluginCommand struct {
	Meta
}

func (c *PluginCommand) Synopsis() string { return "Show a plugin's limits and config settings" }

func (c *PluginCommand) Help() string {
	return strings.TrimSpace(`
Usage: marketsync plugin [-plugin-dir DIR]... [-json | -markdown] NAME

  Starts the plugin NAME from the plugin search path, asks it to describe
  itself and prints what it said: the platform it talks to, its version and
  capabilities, the platform's documented limits the agent applies unless
  a rate_limit block says otherwise, and every setting its config {} block
  takes, with type, whether it is required or sensitive, its default and
  what it means.

` + pluginDirHelp + `

  -markdown
    Print the settings as the Markdown table of the plugin's README.`)
}

// pluginInfo is marketsync plugin -json.
type pluginInfo struct {
	Name         string        `json:"name"`
	Version      string        `json:"version"`
	Summary      string        `json:"summary"`
	Path         string        `json:"path"`
	Capabilities []string      `json:"capabilities"`
	Limits       pluginLimits  `json:"limits"`
	Config       []pluginField `json:"config"`
}

type pluginLimits struct {
	Rate       float64                    `json:"rate"`
	Burst      int                        `json:"burst"`
	Operations map[string]operationLimits `json:"operations,omitempty"`
}

type operationLimits struct {
	MaxBatch int     `json:"max_batch,omitempty"`
	Cost     float64 `json:"cost,omitempty"`
}

// pluginField is one setting of a plugin's config block. Default is as a
// file would write it (durations as strings), nil when there is none.
type pluginField struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Required    bool   `json:"required"`
	Sensitive   bool   `json:"sensitive"`
	Default     any    `json:"default,omitempty"`
	Description string `json:"description"`
}

func (c *PluginCommand) Run(args []string) int {
	var (
		dirs     stringList
		markdown bool
	)
	f := c.FlagSet("plugin", false)
	f.Var(&dirs, "plugin-dir", "")
	f.BoolVar(&markdown, "markdown", false, "")
	rest, err := c.parse(f, args, oneArg("plugin needs the name of one plugin"))
	if err != nil {
		return c.exit(err)
	}
	name := rest[0]
	cfg := &config.Config{PluginDirs: dirs}
	path := cfg.PluginPath(name)
	if _, err := os.Stat(path); err != nil {
		var names []string
		for _, ip := range config.InstalledPlugins(cfg.PluginSearchPath()) {
			names = append(names, ip.Name)
		}
		return c.exit(fmt.Errorf("no plugin %q on the search path (%s); the plugins there are: %s",
			name, strings.Join(cfg.PluginSearchPath(), ", "), orDash(strings.Join(names, ", "))))
	}
	desc, err := describePlugin(path)
	if err != nil {
		return c.exit(fmt.Errorf("plugin %s: %w", path, err))
	}
	info := describeInfo(desc, path)
	switch {
	case c.json:
		return c.printJSON(info)
	case markdown:
		c.Ui.Output(fieldsMarkdown(info.Config))
	default:
		c.Ui.Output(info.text())
	}
	return 0
}

func describeInfo(d sdk.Description, path string) pluginInfo {
	info := pluginInfo{
		Name: d.Name, Version: d.Version, Summary: d.Summary, Path: path,
		Capabilities: capabilityNames(d),
		Limits:       pluginLimits{Rate: d.Limits.Rate, Burst: d.Limits.Burst},
		Config:       []pluginField{},
	}
	for op, l := range d.Limits.Operations {
		if info.Limits.Operations == nil {
			info.Limits.Operations = map[string]operationLimits{}
		}
		info.Limits.Operations[op.String()] = operationLimits{MaxBatch: l.MaxBatch, Cost: l.Cost}
	}
	for _, f := range d.Config {
		info.Config = append(info.Config, pluginField{
			Name: f.Name, Type: f.Type.String(), Required: f.Required, Sensitive: f.Sensitive,
			Default: defaultValue(f), Description: f.Description,
		})
	}
	return info
}

// defaultValue is a field's default as a file would write it.
func defaultValue(f sdk.ConfigField) any {
	switch d := f.Default.(type) {
	case time.Duration:
		return d.String()
	case []string:
		return slices.Clone(d)
	}
	return f.Default
}

// hclText writes a default as HCL does.
func hclText(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return strconv.Quote(v)
	case []string:
		quoted := make([]string, len(v))
		for i, s := range v {
			quoted[i] = strconv.Quote(s)
		}
		return "[" + strings.Join(quoted, ", ") + "]"
	}
	return fmt.Sprint(v)
}

func (info pluginInfo) text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Plugin %s %s\n  %s\n\n", info.Name, info.Version, info.Summary)
	b.WriteString(fields("Path", info.Path, "Capabilities", orDash(strings.Join(info.Capabilities, ", ")),
		"Rate", rateLimitText(info.Limits)+" (unless the platform block's rate_limit says otherwise)"))
	for _, op := range slices.Sorted(maps.Keys(info.Limits.Operations)) {
		l := info.Limits.Operations[op]
		var parts []string
		if l.MaxBatch > 0 {
			parts = append(parts, fmt.Sprintf("at most %d items a call", l.MaxBatch))
		}
		if l.Cost > 0 {
			parts = append(parts, fmt.Sprintf("costs %g tokens", l.Cost))
		}
		if len(parts) > 0 {
			fmt.Fprintf(&b, "\n  %s: %s", op, strings.Join(parts, ", "))
		}
	}
	fmt.Fprintf(&b, "\n\nSettings of its config block (platform %q \"<name>\" { config { ... } }):\n", info.Name)
	if len(info.Config) == 0 {
		b.WriteString("\n  none")
	}
	for _, f := range info.Config {
		fmt.Fprintf(&b, "\n  %s (%s)\n", f.Name, strings.Join(f.traits(), ", "))
		if f.Description != "" {
			fmt.Fprintf(&b, "      %s\n", f.Description)
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// rateLimitText is a plugin's documented rate, with the daily quota it
// comes from when that is the clearer figure.
func rateLimitText(l pluginLimits) string {
	s := strconv.FormatFloat(l.Rate, 'g', 4, 64) + " calls/s"
	if l.Rate > 0 && l.Rate < 1 {
		s += fmt.Sprintf(" (%.0f a day)", l.Rate*86400)
	}
	return s + fmt.Sprintf(", burst %d", l.Burst)
}

// traits are a field's type, whether it is required or sensitive, and its
// default.
func (f pluginField) traits() []string {
	out := []string{f.Type}
	if f.Required {
		out = append(out, "required")
	}
	if f.Sensitive {
		out = append(out, "sensitive")
	}
	if d := hclText(f.Default); d != "" {
		out = append(out, "default "+d)
	}
	return out
}

// fieldsMarkdown is the table of settings the plugins' READMEs hold.
func fieldsMarkdown(fields []pluginField) string {
	var b strings.Builder
	b.WriteString("| field | type | required | sensitive | default | description |\n")
	b.WriteString("|---|---|---|---|---|---|\n")
	yes := func(v bool) string {
		if v {
			return "yes"
		}
		return ""
	}
	for _, f := range fields {
		def := "none"
		if d := hclText(f.Default); d != "" {
			def = "`" + d + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s |\n", f.Name, f.Type, yes(f.Required), yes(f.Sensitive), def,
			strings.ReplaceAll(f.Description, "|", `\|`))
	}
	if slices.ContainsFunc(fields, func(f pluginField) bool { return f.Name == sdk.FieldTimeout }) {
		b.WriteString("\n" + timeoutNote + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// timeoutNote tells the plugin's timeout from the platform block's.
const timeoutNote = "`timeout` here bounds one HTTP request from the plugin to the platform. " +
	"The platform block's own `timeout` (outside `config {}`) bounds one attempt of a call as the agent's platform actor sees it, " +
	"which may take several requests: keep it at least as long."
