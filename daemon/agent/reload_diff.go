package agent

import (
	"slices"

	"github.com/hashicorp/hcl/v2"
	"github.com/marketsync/marketsync/config"
)

// platformDiff says, by name, what a new configuration does to each
// platform: blocks to start, blocks to stop, blocks whose settings changed
// and whose actor and plugin restart, and blocks left running. Each list
// is sorted.
type platformDiff struct {
	added, removed, restarted, unchanged []string
}

// diffPlatforms compares the running platforms with the blocks of a new
// configuration. A block changed when any of its settings did or when its
// config {} block, decoded against the schema the running plugin
// described, gives the plugin other values; a block only moved or
// reformatted did not. A config block that no longer decodes is an error.
func diffPlatforms(running map[string]*platformEntry, next []config.Platform) (platformDiff, hcl.Diagnostics) {
	var d platformDiff
	var diags hcl.Diagnostics
	seen := make(map[string]bool, len(next))
	for _, p := range next {
		seen[p.Name] = true
		e, ok := running[p.Name]
		if !ok {
			d.added = append(d.added, p.Name)
			continue
		}
		if !e.cfg.SameSettings(p) {
			d.restarted = append(d.restarted, p.Name)
			continue
		}
		pc, pd := config.DecodePluginConfig(p.Config, e.desc.Config)
		diags = append(diags, pd...)
		switch {
		case pd.HasErrors():
		case pc.Equal(e.config):
			d.unchanged = append(d.unchanged, p.Name)
		default:
			d.restarted = append(d.restarted, p.Name)
		}
	}
	for name := range running {
		if !seen[name] {
			d.removed = append(d.removed, name)
		}
	}
	for _, l := range []*[]string{&d.added, &d.removed, &d.restarted, &d.unchanged} {
		slices.Sort(*l)
	}
	return d, diags
}
