package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// PluginPrefix starts the file name of every plugin binary: plugin "taobao"
// is the executable marketsync-plugin-taobao.
const PluginPrefix = "marketsync-plugin-"

// PluginSearchPath is where plugin binaries are looked for, in order:
// PluginDirs, then the directory of the running marketsync executable.
func (c *Config) PluginSearchPath() []string { return SearchPath(c.PluginDirs) }

// SearchPath is dirs followed by the directory of the running executable,
// symlinks resolved, unless dirs already hold it: plugins built or
// installed beside marketsync are found wherever it is run from, and
// third-party plugins may live in directories of their own.
func SearchPath(dirs []string) []string {
	out := slices.Clone(dirs)
	if exe := executableDir(); exe != "" && !slices.ContainsFunc(out, func(d string) bool { return sameDir(d, exe) }) {
		out = append(out, exe)
	}
	return out
}

// PluginPath is the binary of plugin: the first marketsync-plugin-<plugin>
// on the search path, or where the first directory of the path would hold
// it when none does.
func (c *Config) PluginPath(plugin string) string {
	path := c.PluginSearchPath()
	for _, dir := range path {
		name := filepath.Join(dir, PluginPrefix+plugin)
		if _, err := os.Stat(name); err == nil {
			return name
		}
	}
	if len(path) == 0 {
		return PluginPrefix + plugin
	}
	return filepath.Join(path[0], PluginPrefix+plugin)
}

// InstalledPlugin is a plugin binary found on the search path.
type InstalledPlugin struct {
	Name string // what follows PluginPrefix, the first label of a platform block
	Path string
}

// InstalledPlugins lists the executable plugin binaries in dirs, sorted by
// name. A plugin found in two directories is listed once, from the first,
// as PluginPath would pick it.
func InstalledPlugins(dirs []string) []InstalledPlugin {
	var out []InstalledPlugin
	seen := map[string]bool{}
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue // a directory of the path that is not there holds nothing
		}
		for _, e := range entries {
			name, ok := strings.CutPrefix(e.Name(), PluginPrefix)
			if !ok || seen[name] || !validName.MatchString(name) {
				continue
			}
			path := filepath.Join(dir, e.Name())
			if info, err := os.Stat(path); err != nil || !info.Mode().IsRegular() || info.Mode().Perm()&0o111 == 0 {
				continue
			}
			seen[name] = true
			out = append(out, InstalledPlugin{Name: name, Path: path})
		}
	}
	slices.SortFunc(out, func(a, b InstalledPlugin) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// executableDir is the directory of the running executable, symlinks
// resolved; empty if the executable cannot be found.
func executableDir() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	if resolved, err := filepath.EvalSymlinks(exe); err == nil {
		exe = resolved
	}
	return filepath.Dir(exe)
}

// sameDir reports whether a and b name the same directory.
func sameDir(a, b string) bool {
	if filepath.Clean(a) == filepath.Clean(b) {
		return true
	}
	ai, errA := os.Stat(a)
	bi, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(ai, bi)
}
