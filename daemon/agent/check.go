package agent

import (
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/marketsync/marketsync/config"
	"github.com/marketsync/marketsync/sdk/host"
)

// CheckPlugins launches the plugin of every platform block, checks the
// block's config against the schema the plugin describes and lets the
// plugin check the values itself (Configure must not call the platform),
// then stops the plugins. It is what `marketsync validate` adds to the
// config's own checks, and it runs on a config that failed them too, so
// that one run reports everything: it skips the platforms whose plugin
// cannot be started (cfg.Validate says why) and checks every other block,
// duplicates included.
func CheckPlugins(ctx context.Context, cfg *config.Config, logger *slog.Logger) hcl.Diagnostics {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	a := &Agent{cfg: cfg, log: logger}
	diags := make([]hcl.Diagnostics, len(cfg.Platforms))
	var wg sync.WaitGroup
	for i, p := range cfg.Platforms {
		if !cfg.Launchable(&p) {
			continue
		}
		wg.Go(func() {
			plugin, err := a.launch(ctx, p)
			if err != nil {
				diags[i] = hcl.Diagnostics{{
					Severity: hcl.DiagError,
					Summary:  "Plugin did not start",
					Detail:   fmt.Sprintf("Plugin %s for platform %q: %v", p.Plugin, p.Name, err),
					Subject:  p.DeclRange.Ptr(),
				}}
				return
			}
			defer plugin.Kill()
			_, diags[i] = checkBlock(ctx, cfg, p, plugin)
			if p.PluginSHA256 == nil {
				diags[i] = append(diags[i], unpinned(cfg, p, plugin.SHA256()))
			}
		})
	}
	wg.Wait()
	var all hcl.Diagnostics
	for _, d := range diags {
		all = append(all, d...)
	}
	return all
}

// checkBlock checks that plugin is the one p names, decodes p's config
// block against the schema the plugin describes and hands it to the plugin,
// which may refuse it. It returns nil with diagnostics when any step fails.
func checkBlock(ctx context.Context, cfg *config.Config, p config.Platform, plugin *host.Plugin) (*config.PluginConfig, hcl.Diagnostics) {
	desc := plugin.Description()
	if d := checkIdentity(cfg, p, desc.Name); d != nil {
		return nil, hcl.Diagnostics{d}
	}
	pc, diags := config.DecodePluginConfig(p.Config, desc.Config)
	if diags.HasErrors() {
		return nil, diags
	}
	if err := plugin.Configure(ctx, pc.JSON()); err != nil {
		return nil, append(diags, refused(p, err))
	}
	return pc, diags
}

// unpinned warns that p runs whatever file is at its plugin's path, and
// gives the pin of the file there now.
func unpinned(cfg *config.Config, p config.Platform, sum []byte) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagWarning,
		Summary:  "Plugin binary not pinned",
		Detail: fmt.Sprintf("Platform %q runs whatever file is at %s. To run only the file there now, add plugin_sha256 = %q to the block.",
			p.Name, cfg.PluginPath(p.Plugin), hex.EncodeToString(sum)),
		Subject: p.DeclRange.Ptr(),
	}
}

// checkIdentity refuses a binary that is another plugin than the block
// names.
func checkIdentity(cfg *config.Config, p config.Platform, described string) *hcl.Diagnostic {
	if described == p.Plugin {
		return nil
	}
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Wrong plugin binary",
		Detail:   fmt.Sprintf("%s says it is plugin %q, not %q.", cfg.PluginPath(p.Plugin), described, p.Plugin),
		Subject:  p.DeclRange.Ptr(),
	}
}

// refused is the diagnostic of a config block the plugin refused.
func refused(p config.Platform, err error) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Plugin refused its config",
		Detail:   fmt.Sprintf("Plugin %s refused the config block of platform %q: %v", p.Plugin, p.Name, err),
		Subject:  p.DeclRange.Ptr(),
	}
}
