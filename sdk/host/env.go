package host

import "strings"

// pluginEnv is the environment a plugin process starts with. go-plugin is
// told to skip the host's environment (ClientConfig.SkipHostEnv), because
// the agent's holds what no plugin should read: the API token, other
// platforms' credentials given through env(). A plugin gets, from the
// host's environment, only what a process needs to run and to format
// times and text (baseEnv and the LC_* locale variables), plus the names
// the operator passes on purpose (Options.PassEnv, such as HTTPS_PROXY);
// then Options.Env; then go-plugin adds its handshake variables.
//
// It is the model Vault's plugin catalogue follows: a plugin is given the
// environment it needs, never the one it happens to run in.
func pluginEnv(host []string, pass, extra []string) []string {
	var env []string
	for _, kv := range host {
		name, _, ok := strings.Cut(kv, "=")
		if ok && passes(name, pass) {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// baseEnv are the host variables every plugin gets.
var baseEnv = []string{"PATH", "HOME", "TMPDIR", "TZ", "LANG", "LANGUAGE"}

func passes(name string, pass []string) bool {
	if strings.HasPrefix(name, "LC_") {
		return true
	}
	for _, n := range baseEnv {
		if name == n {
			return true
		}
	}
	for _, n := range pass {
		if name == n {
			return true
		}
	}
	return false
}
