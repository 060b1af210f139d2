package config

import (
	"fmt"
	"net"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
)

var (
	logLevels  = []string{"debug", "info", "warn", "error"}
	logFormats = []string{"text", "json"}

	// validName is what plugin and platform names may look like. A plugin
	// name becomes part of a file path and a platform name part of storage
	// keys, metric labels and URLs, so neither may hold a separator.
	validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)
	// envName is what plugin_pass_env may name.
	envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// Validate checks what decoding a single file cannot: allowed values,
// ranges, relations between settings, platform names that are unique
// across all files, and that every platform's plugin binary exists. Each
// diagnostic points at the setting concerned when it came from a file, or
// at the platform block, or at the start of the first file.
func (c *Config) Validate() hcl.Diagnostics {
	var diags hcl.Diagnostics
	if c.DataDir == "" && !c.InMemory && !c.unparsed {
		diags = append(diags, diagnostic("Missing data_dir", c.rangeOf("data_dir"),
			"Set data_dir to the directory where the agent keeps its state, or run the agent with -dev to keep state in memory."))
	}
	diags = append(diags, oneOf("log_level", c.LogLevel, logLevels, c.rangeOf("log_level"))...)
	diags = append(diags, oneOf("log_format", c.LogFormat, logFormats, c.rangeOf("log_format"))...)
	if err := checkAddress(c.API.Address); err != nil {
		diags = append(diags, diagnostic("Invalid api.address", c.rangeOf("api.address"),
			"api.address must be host:port, such as %q or \":8787\": %s.", DefaultAPIAddress, err))
	} else if !c.API.Loopback() && !c.API.Guarded() && !c.API.InsecureBind {
		diags = append(diags, diagnostic("Unprotected api.address", c.rangeOf("api.address"),
			"api.address %q listens beyond this machine, but the api block sets no token: anyone who reaches the port could start and cancel jobs. Set api.token, or listen on %q, or, on a network you trust, set api.insecure_bind = true.",
			c.API.Address, DefaultAPIAddress))
	}
	for _, d := range []struct {
		key string
		v   time.Duration
	}{{"api.read_header_timeout", c.API.ReadHeaderTimeout}, {"api.read_timeout", c.API.ReadTimeout}, {"api.idle_timeout", c.API.IdleTimeout}} {
		if d.v <= 0 {
			diags = append(diags, diagnostic("Invalid "+d.key, c.rangeOf(d.key),
				"%s must be more than 0, not %s: without it a client that stalls holds its connection forever.", d.key, d.v))
		}
	}
	if c.API.ReadTimeout > 0 && c.API.ReadHeaderTimeout > c.API.ReadTimeout {
		diags = append(diags, diagnostic("Invalid api.read_header_timeout", c.rangeOf("api.read_header_timeout"),
			"api.read_header_timeout (%s) must not be more than api.read_timeout (%s), which bounds the header and the body together.", c.API.ReadHeaderTimeout, c.API.ReadTimeout))
	}
	if c.API.MaxConns < 1 {
		diags = append(diags, diagnostic("Invalid api.max_conns", c.rangeOf("api.max_conns"),
			"api.max_conns must be at least 1, not %d.", c.API.MaxConns))
	}
	diags = append(diags, c.validateTLS()...)
	diags = append(diags, c.validateTokens()...)
	if m, err := strconv.ParseUint(c.API.UnixSocketMode, 8, 32); err != nil || m > 0o777 || !strings.HasPrefix(c.API.UnixSocketMode, "0") {
		diags = append(diags, diagnostic("Invalid api.unix_socket_mode", c.rangeOf("api.unix_socket_mode"),
			"api.unix_socket_mode must be a file mode in octal, written with its leading 0, such as \"0660\", not %q.", c.API.UnixSocketMode))
	}
	if c.Stats.Retention < time.Minute {
		diags = append(diags, diagnostic("Invalid stats.retention", c.rangeOf("stats.retention"),
			"stats.retention must be at least a minute (statistics are kept per minute), not %s.", c.Stats.Retention))
	}
	diags = append(diags, c.validateCache()...)
	diags = append(diags, c.validateCluster()...)
	first := map[string]*Platform{}
	for i := range c.Platforms {
		p := &c.Platforms[i]
		if prev, ok := first[p.Name]; ok {
			diags = append(diags, diagnostic("Duplicate platform name", p.rangeOf(""),
				"A platform named %q is already defined at %s. Each platform block needs a name (its second label) of its own: the name identifies the account in jobs, metrics and the API.",
				p.Name, prev.DeclRange))
		} else {
			first[p.Name] = p
		}
		diags = append(diags, p.validate()...)
		diags = append(diags, c.checkPlugin(p)...)
	}
	diags = append(diags, c.validateSyncs()...)
	diags = append(diags, c.validateEventSinks()...)
	diags = append(diags, c.validateAlerting()...)
	return withoutFailed(diags, c.failed)
}

// withoutFailed drops the diagnostics about settings whose values did not
// decode: decoding said what is wrong with them, and a check of the
// default they kept would only confuse.
func withoutFailed(diags hcl.Diagnostics, failed []hcl.Range) hcl.Diagnostics {
	if len(failed) == 0 {
		return diags
	}
	return slices.DeleteFunc(diags, func(d *hcl.Diagnostic) bool {
		return d.Subject != nil && slices.Contains(failed, *d.Subject)
	})
}

func (p *Platform) validate() hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, label := range []struct{ what, value string }{{"plugin", p.Plugin}, {"platform", p.Name}} {
		if !validName.MatchString(label.value) {
			diags = append(diags, diagnostic("Invalid "+label.what+" name", p.rangeOf(""),
				"%q is not a valid %s name: use letters, digits, '-', '_' and '.', starting with a letter or digit.", label.value, label.what))
		}
	}
	atLeast := func(key string, value, least int) {
		if value < least {
			diags = append(diags, diagnostic("Invalid "+key, p.rangeOf(key), "%s must be at least %d, not %d.", key, least, value))
		}
	}
	atLeast("concurrency", p.Concurrency, 1)
	atLeast("retry.max_attempts", p.Retry.MaxAttempts, 1)
	atLeast("circuit_breaker.min_calls", p.CircuitBreaker.MinCalls, 1)
	atLeast("circuit_breaker.probes", p.CircuitBreaker.Probes, 1)
	atLeast("restart.attempts", p.Restart.Attempts, 1)
	if m := p.Restart.Mode; m != RestartDelay && m != RestartFail {
		diags = append(diags, diagnostic("Invalid restart.mode", p.rangeOf("restart.mode"),
			"restart.mode is %q or %q, not %q.", RestartDelay, RestartFail, m))
	}
	share := func(key string, value float64, zeroOK bool) {
		if value > 1 || value < 0 || (!zeroOK && value == 0) {
			low := "greater than 0"
			if zeroOK {
				low = "at least 0"
			}
			diags = append(diags, diagnostic("Invalid "+key, p.rangeOf(key), "%s is a share: it must be %s and at most 1, not %v.", key, low, value))
		}
	}
	share("retry.budget_percent", p.Retry.BudgetPercent, true)
	share("circuit_breaker.failure_ratio", p.CircuitBreaker.FailureRatio, false)
	if p.Retry.BudgetMinPerSec < 0 {
		diags = append(diags, diagnostic("Invalid retry.budget_min_per_sec", p.rangeOf("retry.budget_min_per_sec"),
			"retry.budget_min_per_sec must not be negative, not %v.", p.Retry.BudgetMinPerSec))
	}
	for key, d := range map[string]time.Duration{
		"circuit_breaker.window": p.CircuitBreaker.Window, "circuit_breaker.cooldown": p.CircuitBreaker.Cooldown,
		"restart.interval": p.Restart.Interval, "restart.delay": p.Restart.Delay,
	} {
		if d <= 0 {
			diags = append(diags, diagnostic("Invalid "+key, p.rangeOf(key), "%s must be longer than 0, not %s.", key, d))
		}
	}
	if p.RateLimit != nil {
		if !(p.RateLimit.Rate > 0) {
			diags = append(diags, diagnostic("Invalid rate_limit.rate", p.rangeOf("rate_limit.rate"),
				"rate_limit.rate is calls per second and must be greater than 0, not %v.", p.RateLimit.Rate))
		}
		atLeast("rate_limit.burst", p.RateLimit.Burst, 1)
	}
	for _, name := range p.PluginPassEnv {
		switch {
		case !envName.MatchString(name):
			diags = append(diags, diagnostic("Invalid plugin_pass_env", p.rangeOf("plugin_pass_env"),
				"%q is not an environment variable name: use letters, digits and '_', not starting with a digit.", name))
		case strings.HasPrefix(strings.ToUpper(name), "MARKETSYNC_"):
			diags = append(diags, diagnostic("Invalid plugin_pass_env", p.rangeOf("plugin_pass_env"),
				"%s is the agent's own setting, not a plugin's: plugins never get MARKETSYNC_* variables.", name))
		}
	}
	if p.Timeout <= 0 {
		diags = append(diags, diagnostic("Invalid timeout", p.rangeOf("timeout"), "timeout must be longer than 0, not %s.", p.Timeout))
	}
	if p.Retry.BaseDelay <= 0 {
		diags = append(diags, diagnostic("Invalid retry.base_delay", p.rangeOf("retry.base_delay"),
			"retry.base_delay must be longer than 0, not %s.", p.Retry.BaseDelay))
	} else if p.Retry.BaseDelay > p.Retry.MaxDelay {
		diags = append(diags, diagnostic("Invalid retry delays", p.rangeOf("retry.base_delay"),
			"retry.base_delay (%s) is longer than retry.max_delay (%s): the first retry would wait longer than any retry may.",
			p.Retry.BaseDelay, p.Retry.MaxDelay))
	}
	sortDiagnostics(diags) // a block lies in one file, so offsets compare
	return withoutFailed(diags, p.failed)
}

// Launchable reports whether p's plugin can be started: its name is valid
// and its binary is on the search path and executable. Validate reports
// why a platform's plugin is not; its config block cannot be checked
// against the plugin's schema.
func (c *Config) Launchable(p *Platform) bool {
	return validName.MatchString(p.Plugin) && c.checkPlugin(p) == nil
}

// checkPlugin reports a plugin binary that is missing from the search path
// or cannot be run, pointing at the platform block that needs it.
func (c *Config) checkPlugin(p *Platform) hcl.Diagnostics {
	if !validName.MatchString(p.Plugin) {
		return nil // already reported; the name does not make a path
	}
	path := c.PluginPath(p.Plugin)
	info, err := os.Stat(path)
	switch {
	case err != nil:
		return hcl.Diagnostics{diagnostic("Plugin not found", p.rangeOf(""),
			"Platform %q needs the plugin %q, but no %s%s is on the plugin search path (%s). %s",
			p.Name, p.Plugin, PluginPrefix, p.Plugin, strings.Join(c.PluginSearchPath(), ", "), c.installedHint(p.Plugin))}
	case !info.Mode().IsRegular() || info.Mode().Perm()&0o111 == 0:
		return hcl.Diagnostics{diagnostic("Plugin not executable", p.rangeOf(""),
			"Platform %q needs the plugin %q, but %s is not an executable file.", p.Name, p.Plugin, path)}
	}
	return nil
}

// installedHint says which plugins the search path holds, and which of
// them the operator may have meant instead of plugin.
func (c *Config) installedHint(plugin string) string {
	var names []string
	for _, ip := range InstalledPlugins(c.PluginSearchPath()) {
		names = append(names, ip.Name)
	}
	if len(names) == 0 {
		return fmt.Sprintf(`There is no plugin on it: build the first-party plugins with "make build" (into ./bin, beside marketsync), or add the directory that holds %s%s to plugin_dir.`, PluginPrefix, plugin)
	}
	hint := "The plugins on it are: " + strings.Join(names, ", ") + "."
	if s := suggest(plugin, names); s != "" {
		return hint + fmt.Sprintf(" Did you mean %q?", s)
	}
	return hint + " Add the directory that holds " + PluginPrefix + plugin + " to plugin_dir."
}

func oneOf(key, value string, allowed []string, subject *hcl.Range) hcl.Diagnostics {
	if slices.Contains(allowed, value) {
		return nil
	}
	quoted := make([]string, len(allowed))
	for i, a := range allowed {
		quoted[i] = strconv.Quote(a)
	}
	return hcl.Diagnostics{diagnostic("Invalid "+key, subject, "%s must be one of %s, not %q.", key, strings.Join(quoted, ", "), value)}
}

func checkAddress(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("port %q is not a number from 0 to 65535", port)
	}
	return nil
}

// diagnostic is an error about the setting at subject.
func diagnostic(summary string, subject *hcl.Range, format string, args ...any) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(format, args...),
		Subject:  subject,
	}
}

// validateTLS checks that a tls block names a certificate and its key.
// The files are read when the agent starts, which says what is wrong with
// them; a configuration is often checked on another machine than the one
// that holds them.
func (c *Config) validateTLS() hcl.Diagnostics {
	t := c.API.TLS
	if !t.Enabled() {
		return nil
	}
	at := c.rangeOf("api.tls.client_ca_file") // a missing file is reported at one that is set
	if t.CertFile != "" {
		at = c.rangeOf("api.tls.cert_file")
	} else if t.KeyFile != "" {
		at = c.rangeOf("api.tls.key_file")
	}
	var diags hcl.Diagnostics
	for _, f := range []struct{ key, path string }{{"api.tls.cert_file", t.CertFile}, {"api.tls.key_file", t.KeyFile}} {
		if key := f.key; f.path == "" {
			diags = append(diags, diagnostic("Missing "+key, at,
				"The tls block needs cert_file and key_file: the PEM files of the agent's certificate and its private key."))
		}
	}
	return diags
}

// validateTokens checks each scoped_token block: a secret, a known scope,
// and a secret no other token has (which scope would it have?).
func (c *Config) validateTokens() hcl.Diagnostics {
	var diags hcl.Diagnostics
	seen := map[Secret]bool{c.API.Token: c.API.Token != ""}
	for i := range c.API.Tokens {
		t := &c.API.Tokens[i]
		at := &t.DeclRange
		switch {
		case t.Secret == "":
			diags = append(diags, diagnostic("Missing scoped_token secret", at,
				"A scoped_token block needs a secret, such as secret = env(\"MARKETSYNC_READ_TOKEN\")."))
		case seen[t.Secret]:
			diags = append(diags, diagnostic("Duplicate token", at,
				"This scoped_token's secret is also another token's; each token needs a secret of its own, so that its scope is known."))
		}
		seen[t.Secret] = true
		diags = append(diags, oneOf("scoped_token.scope", t.Scope, TokenScopes, at)...)
	}
	return diags
}
