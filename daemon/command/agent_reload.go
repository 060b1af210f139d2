package command

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/marketsync/marketsync/config"
	"github.com/marketsync/marketsync/daemon/agent"
)

// reloadTimeout bounds a reload: starting the plugins of new and changed
// platforms and draining the old ones.
const reloadTimeout = 2 * time.Minute

// reload re-reads the config as at start-up and puts it in force, as
// Nomad's agent does on SIGHUP. Anything wrong is logged at ERROR and the
// agent runs on as it was, log level included.
func reload(a *agent.Agent, load func() (*config.Config, *config.Sources, hcl.Diagnostics), level *slog.LevelVar, logger *slog.Logger) {
	logger.Info("reloading config")
	cfg, _, diags := load()
	if diags.HasErrors() {
		logRejected(logger, diags)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), reloadTimeout)
	defer cancel()
	_, err := a.Reload(ctx, cfg)
	var cerr *agent.ConfigError
	switch {
	case errors.As(err, &cerr):
		logRejected(logger, append(diags, cerr.Diags...))
		return
	case err != nil:
		logger.Error("config reload failed; still running on the previous config", "error", err)
		return
	}
	// Validate vouched for the name.
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
}

// logRejected logs each diagnostic, errors at ERROR, with where it points.
func logRejected(logger *slog.Logger, diags hcl.Diagnostics) {
	for _, d := range diags {
		lv := slog.LevelError
		if d.Severity == hcl.DiagWarning {
			lv = slog.LevelWarn
		}
		attrs := []any{"detail", d.Detail}
		if d.Subject != nil {
			attrs = append(attrs, "at", d.Subject.String())
		}
		logger.Log(context.Background(), lv, "config: "+d.Summary, attrs...)
	}
	logger.Error("config reload failed; still running on the previous config")
}
