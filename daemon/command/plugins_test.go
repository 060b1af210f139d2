package command

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestPluginsListsTheSearchPath(t *testing.T) {
	bin := builtDir(t)
	// A third-party plugin in a directory of its own, listed beside the
	// built-in ones; a copy of taobao there comes first on the path.
	acme := t.TempDir()
	for _, name := range []string{"sandbox", "taobao"} {
		b, err := os.ReadFile(filepath.Join(bin, "marketsync-plugin-"+name))
		if err != nil {
			t.Fatal(err)
		}
		to := map[string]string{"sandbox": "acme", "taobao": "taobao"}[name]
		if err := os.WriteFile(filepath.Join(acme, "marketsync-plugin-"+to), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	r := runCLI(t, "", "plugins", "-plugin-dir", acme, "-plugin-dir", bin, "-json")
	r.want(t, 0)
	var list []struct {
		Name, Version, Path, Error string
		Capabilities               []string
	}
	r.decodeJSON(t, &list)
	var got []string
	for _, p := range list {
		got = append(got, p.Name+" "+strings.Join(p.Capabilities, ",")+" "+filepath.Base(filepath.Dir(p.Path)))
		if p.Version == "" || p.Error != "" {
			t.Errorf("%s: version %q, error %q", p.Name, p.Version, p.Error)
		}
	}
	want := []string{
		"acme collect,publish " + filepath.Base(acme), // says it is sandbox; listed by its file name
		"alibaba1688 collect " + filepath.Base(bin),
		"aliexpress collect " + filepath.Base(bin),
		"pinduoduo collect " + filepath.Base(bin),
		"sandbox collect,publish " + filepath.Base(bin),
		"shopify publish,webhooks " + filepath.Base(bin),
		"taobao collect " + filepath.Base(acme),
		"woocommerce publish,webhooks " + filepath.Base(bin),
	}
	if !slices.Equal(got, want) {
		t.Errorf("plugins:\n got  %q\n want %q", got, want)
	}

	r = runCLI(t, "", "plugins", "-plugin-dir", bin)
	r.want(t, 0, "NAME", "alibaba1688", "collect,publish", filepath.Join(bin, "marketsync-plugin-taobao"))
}

func TestPluginDescribesItsSettings(t *testing.T) {
	bin := builtDir(t)
	r := runCLI(t, "", "plugin", "-plugin-dir", bin, "-json", "taobao")
	r.want(t, 0)
	var info pluginInfo
	r.decodeJSON(t, &info)
	if info.Name != "taobao" || info.Version == "" || info.Limits.Rate <= 0 || info.Limits.Operations["fetch_products"].MaxBatch != 20 {
		t.Errorf("taobao described as %+v", info)
	}
	byName := map[string]pluginField{}
	for _, f := range info.Config {
		byName[f.Name] = f
	}
	for name, want := range map[string]pluginField{
		"app_key":    {Name: "app_key", Type: "string", Required: true},
		"app_secret": {Name: "app_secret", Type: "string", Required: true, Sensitive: true},
		"timeout":    {Name: "timeout", Type: "duration", Default: "30s"},
	} {
		got := byName[name]
		got.Description = ""
		if got != want {
			t.Errorf("field %s = %+v, want %+v", name, got, want)
		}
		if byName[name].Description == "" {
			t.Errorf("field %s has no description", name)
		}
	}

	r = runCLI(t, "", "plugin", "-plugin-dir", bin, "pinduoduo")
	r.want(t, 0, "Plugin pinduoduo", "client_secret (string, required, sensitive)", `timeout (duration, default "30s")`, "fetch_products: at most")

	r = runCLI(t, "", "plugin", "-plugin-dir", bin, "1688")
	r.wantError(t, `no plugin "1688" on the search path`)
	if !strings.Contains(r.stderr, "alibaba1688, aliexpress, pinduoduo, sandbox, shopify, taobao, woocommerce") {
		t.Errorf("the error does not list the plugins there:\n%s", r.stderr)
	}
}
