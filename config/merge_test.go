package config

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
)

func TestMergeOrder(t *testing.T) {
	for name, tc := range map[string]struct {
		paths     []string
		logLevel  string
		platforms []string
	}{
		// 10-agent sets info, 30-override debug, local.hcl error.
		"directory then file": {
			paths:     []string{"testdata/conf.d", "testdata/local.hcl"},
			logLevel:  "error",
			platforms: []string{"main-shop", "store"},
		},
		// nested/40-nested.hcl would win here if subdirectories were read.
		"file then directory": {
			paths:     []string{"testdata/local.hcl", "testdata/conf.d"},
			logLevel:  "debug",
			platforms: []string{"store", "main-shop"},
		},
		"files of a directory named one by one, out of order": {
			paths:     []string{"testdata/conf.d/30-override.hcl", "testdata/conf.d/10-agent.hcl"},
			logLevel:  "info",
			platforms: nil,
		},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := mustLoad(t, tc.paths...)
			if cfg.LogLevel != tc.logLevel {
				t.Errorf("log_level = %q, want %q", cfg.LogLevel, tc.logLevel)
			}
			var names []string
			for _, p := range cfg.Platforms {
				names = append(names, p.Name)
			}
			if !slices.Equal(names, tc.platforms) {
				t.Errorf("platforms = %q, want %q", names, tc.platforms)
			}
			// The api block is merged setting by setting: the address from
			// 10-agent.hcl survives the token from 30-override.hcl.
			if cfg.API.Address != "127.0.0.1:9000" || cfg.API.Token.Reveal() != "from-30-override" {
				t.Errorf("api = %q, %q; want both files' settings", cfg.API.Address, cfg.API.Token.Reveal())
			}
		})
	}
}

func TestMergeKeepsDefaultsAndRanges(t *testing.T) {
	cfg := mustLoad(t, "testdata/conf.d", "testdata/local.hcl")
	if cfg.DataDir != "/var/lib/marketsync" || cfg.LogFormat != "json" || cfg.PluginDirs != nil {
		t.Errorf("data_dir, log_format, plugin_dir = %q, %q, %q", cfg.DataDir, cfg.LogFormat, cfg.PluginDirs)
	}
	shop := cfg.Platforms[0]
	if shop.Concurrency != 2 || shop.Timeout != 30*time.Second || shop.Retry.MaxAttempts != 5 {
		t.Errorf("main-shop = concurrency %d, timeout %s, %d attempts; want 2 and the defaults",
			shop.Concurrency, shop.Timeout, shop.Retry.MaxAttempts)
	}
	for key, want := range map[string]string{
		"log_level":   "testdata/local.hcl:1,14-21",
		"api.address": "testdata/conf.d/10-agent.hcl:5,13-29",
		"api.token":   "testdata/conf.d/30-override.hcl:5,11-29",
	} {
		if got := cfg.rangeOf(key).String(); got != want {
			t.Errorf("%s was set at %s, want %s", key, got, want)
		}
	}
	if got, want := shop.rangeOf("concurrency").String(), "testdata/conf.d/20-taobao.hcl:2,17-18"; got != want {
		t.Errorf("concurrency was set at %s, want %s", got, want)
	}
	if got, want := shop.rangeOf("timeout").String(), "testdata/conf.d/20-taobao.hcl:1,1-30"; got != want {
		t.Errorf("an unset timeout points at %s, want the block header %s", got, want)
	}
}

// TestEverySettingReachesConfig loads a file that sets every setting to a
// value other than its default and checks that every field of the runtime
// structs changed: a file field that merge does not carry over, or a
// runtime field that no file field feeds, fails here.
func TestEverySettingReachesConfig(t *testing.T) {
	t.Setenv("MARKETSYNC_TOKEN", "token")
	cfg := mustLoad(t, "testdata/production.hcl")
	def := NewPlatform("", "")
	unchanged := func(what string, got, base any, except ...string) {
		gv, bv := reflect.ValueOf(got), reflect.ValueOf(base)
		for i := range gv.NumField() {
			f := gv.Type().Field(i)
			if !f.IsExported() || slices.Contains(except, f.Name) {
				continue
			}
			if reflect.DeepEqual(gv.Field(i).Interface(), bv.Field(i).Interface()) {
				t.Errorf("%s.%s is still %v: production.hcl sets it", what, f.Name, gv.Field(i))
			}
		}
	}
	// InMemory and AcceptDataLoss have no setting: only the agent's
	// flags (-dev, -accept-data-loss) turn them on.
	unchanged("Config", *cfg, *Default(), "InMemory", "AcceptDataLoss")
	unchanged("API", cfg.API, Default().API)
	p := cfg.Platforms[0]
	// The file turns adaptation off on its Shopify store, not here.
	unchanged("Platform", p, def, "AdaptiveRate")
	if cfg.Platforms[2].AdaptiveRate {
		t.Error("Platform.AdaptiveRate is still true on eu-store: production.hcl sets it")
	}
	unchanged("Retry", p.Retry, def.Retry)
	unchanged("RateLimit", *p.RateLimit, RateLimit{})
	unchanged("CircuitBreaker", p.CircuitBreaker, def.CircuitBreaker)
	unchanged("Restart", p.Restart, def.Restart)
	unchanged("Stats", cfg.Stats, Default().Stats)
	unchanged("Cache", cfg.Cache, Default().Cache)
	unchanged("CacheTTL", cfg.Cache.TTL, Default().Cache.TTL)
	// validate reads the cluster tls block's files, which production.hcl's
	// paths do not reach; TestClusterTLSValidation decodes the block.
	unchanged("Cluster", *cfg.Cluster, *loadText(t, "cluster {}").Cluster, "TLS")
}

func TestProductionExample(t *testing.T) {
	t.Setenv("MARKETSYNC_TOKEN", "prod-token")
	cfg := mustLoad(t, "testdata/production.hcl")
	got := *cfg
	got.ranges = nil
	got.Platforms = nil
	got.Syncs = nil // sync_test.go checks sync blocks
	// events_test.go checks event_sink blocks.
	got.EventSinks = nil
	// alerting_test.go checks the alerting blocks.
	got.Alerting = Alerting{}
	got.API.Tokens = slices.Clone(got.API.Tokens)
	for i := range got.API.Tokens {
		got.API.Tokens[i].DeclRange = hcl.Range{}
	}
	want := Config{
		DataDir:    "/var/lib/marketsync",
		LogLevel:   "warn",
		LogFormat:  "json",
		PluginDirs: []string{"/usr/lib/marketsync/plugins"},
		API: API{Address: "0.0.0.0:8787", Token: "prod-token", ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 20 * time.Second,
			IdleTimeout: time.Minute, MaxConns: 256, InsecureBind: true, UnixSocket: "/run/marketsync/api.sock", UnixSocketMode: "0660",
			TLS:    APITLS{CertFile: "/etc/marketsync/tls/agent.pem", KeyFile: "/etc/marketsync/tls/agent-key.pem", ClientCAFile: "/etc/marketsync/tls/clients-ca.pem"},
			Tokens: []ScopedToken{{Secret: "dashboard-read-token", Scope: "read"}}},
		Stats: Stats{Retention: 72 * time.Hour},
		Cache: Cache{Cleanup: "30 2 * * *", ResetStats: "@weekly", L1MaxCost: 256 << 20, NegativeTTL: 5 * time.Second,
			TTL: CacheTTL{ProductInfo: 30 * time.Minute, Price: 2 * time.Minute, Stock: 15 * time.Second, RemoteProduct: 10 * time.Minute}},
		Cluster: &Cluster{Name: "prod-eu", NodeName: "sync-1", BindAddr: "10.0.0.11:7946", AdvertiseAddr: "10.0.0.11:7946", RaftAddr: "10.0.0.11:7947",
			Join: []string{"10.0.0.12:7946", "10.0.0.13:7946"}, Server: true, BootstrapExpect: 3,
			Encrypt: "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", EncryptPrevious: []string{"ZmVkY2JhOTg3NjU0MzIxMA=="},
			LockDelay: 3 * time.Second, DeadServerGrace: time.Minute, APICAFile: "/etc/marketsync/cluster-ca.pem",
			APICertFile: "/etc/marketsync/node.pem", APIKeyFile: "/etc/marketsync/node-key.pem"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("agent settings:\n got  %#v\n want %#v", got, want)
	}
	pin := []byte{0x9f, 0x86, 0xd0, 0x81, 0x88, 0x4c, 0x7d, 0x65, 0x9a, 0x2f, 0xea, 0xa0, 0xc5, 0x5a, 0xd0, 0x15,
		0xa3, 0xbf, 0x4f, 0x1b, 0x2b, 0x0b, 0x82, 0x2c, 0xd1, 0x5d, 0x6c, 0x15, 0xb0, 0xf0, 0x0a, 0x08}
	defaultRetry := Retry{MaxAttempts: 5, BaseDelay: 200 * time.Millisecond, MaxDelay: 30 * time.Second, BudgetPercent: 0.2, BudgetMinPerSec: 1}
	defaultBreaker := CircuitBreaker{Window: 30 * time.Second, MinCalls: 20, FailureRatio: 0.5, Cooldown: 30 * time.Second, Probes: 3}
	defaultRestart := Restart{Attempts: 5, Interval: 5 * time.Minute, Delay: 5 * time.Minute, Mode: RestartDelay}
	wantPlatforms := []Platform{
		{
			Plugin: "taobao", Name: "main-shop", PluginSHA256: pin, PluginPassEnv: []string{"HTTPS_PROXY", "NO_PROXY"},
			RateLimit:      &RateLimit{Rate: 40, Burst: 10},
			AdaptiveRate:   true,
			Retry:          Retry{MaxAttempts: 7, BaseDelay: 250 * time.Millisecond, MaxDelay: 20 * time.Second, BudgetPercent: 0.1, BudgetMinPerSec: 0.5},
			CircuitBreaker: CircuitBreaker{Window: time.Minute, MinCalls: 30, FailureRatio: 0.6, Cooldown: 45 * time.Second, Probes: 2},
			Restart:        Restart{Attempts: 3, Interval: 10 * time.Minute, Delay: time.Minute, Mode: RestartFail},
			Timeout:        10 * time.Second,
			Concurrency:    8,
		},
		{Plugin: "1688", Name: "wholesale", AdaptiveRate: true, Retry: defaultRetry, CircuitBreaker: defaultBreaker, Restart: defaultRestart, Timeout: 15 * time.Second, Concurrency: 4},
		{Plugin: "shopify", Name: "eu-store", RateLimit: &RateLimit{Rate: 2, Burst: 40}, Retry: defaultRetry, CircuitBreaker: defaultBreaker, Restart: defaultRestart, Timeout: 30 * time.Second, Concurrency: 2},
	}
	if len(cfg.Platforms) != len(wantPlatforms) {
		t.Fatalf("%d platforms, want %d", len(cfg.Platforms), len(wantPlatforms))
	}
	for i, p := range cfg.Platforms {
		if p.DeclRange.Filename != "testdata/production.hcl" {
			t.Errorf("platform %s declared in %q", p.Name, p.DeclRange.Filename)
		}
		if attrs, _ := p.Config.JustAttributes(); len(attrs) == 0 {
			t.Errorf("platform %s lost its config block", p.Name)
		}
		p.Config, p.DeclRange, p.ranges = nil, hcl.Range{}, nil
		if !reflect.DeepEqual(p, wantPlatforms[i]) {
			t.Errorf("platform %d:\n got  %#v\n want %#v", i, p, wantPlatforms[i])
		}
	}
}

func TestDev(t *testing.T) {
	cfg := Dev()
	def := Default()
	if !cfg.InMemory || cfg.DataDir != "" || cfg.LogLevel != "info" {
		t.Errorf("dev: in_memory %v, data_dir %q, log_level %q; want true, \"\", info", cfg.InMemory, cfg.DataDir, cfg.LogLevel)
	}
	if cfg.LogFormat != def.LogFormat || !slices.Equal(cfg.PluginDirs, def.PluginDirs) || !reflect.DeepEqual(cfg.API, def.API) {
		t.Errorf("dev changed a default it does not override: %+v", cfg)
	}
	want := NewPlatform("sandbox", "")
	for i, name := range []string{"sandbox", "sandbox-store"} {
		p := cfg.Platforms[i]
		if p.Plugin != "sandbox" || p.Name != name {
			t.Errorf("dev platform %d is %s/%s, want sandbox/%s", i, p.Plugin, p.Name, name)
		}
		if attrs, diags := p.Config.JustAttributes(); len(attrs) > 0 || diags.HasErrors() {
			t.Errorf("dev platform %s has config %v, %v; want an empty body", name, attrs, diags)
		}
		if p.Timeout != want.Timeout || p.Concurrency != want.Concurrency || p.Retry != want.Retry || p.RateLimit != nil || p.PluginSHA256 != nil {
			t.Errorf("dev platform %s does not have the defaults: %+v", name, p)
		}
	}
	if len(cfg.Platforms) != 2 {
		t.Errorf("dev has %d platforms, want 2", len(cfg.Platforms))
	}

	cfg.PluginDirs = []string{pluginDir(t)}
	path := strings.Join(cfg.PluginSearchPath(), ", ")
	checkDiags(t, cfg.Validate(), []string{
		`<dev>:6,1-29: Plugin not found: Platform "sandbox" needs the plugin "sandbox", but no marketsync-plugin-sandbox is on the plugin search path (` + path + `). There is no plugin on it: build the first-party plugins with "make build" (into ./bin, beside marketsync), or add the directory that holds marketsync-plugin-sandbox to plugin_dir.`,
		`<dev>:8,1-35: Plugin not found: Platform "sandbox-store" needs the plugin "sandbox", but no marketsync-plugin-sandbox is on the plugin search path (` + path + `). There is no plugin on it: build the first-party plugins with "make build" (into ./bin, beside marketsync), or add the directory that holds marketsync-plugin-sandbox to plugin_dir.`,
	})
	cfg.PluginDirs = []string{pluginDir(t, "sandbox")}
	checkDiags(t, cfg.Validate(), nil)
}

func TestLoadDevWithFiles(t *testing.T) {
	inDir(t, map[string]string{"dev.hcl": "log_level = \"info\"\nplatform \"taobao\" \"try-shop\" {}\n"})
	cfg, sources, diags := LoadDev("dev.hcl")
	checkDiags(t, diags, nil)
	if !cfg.InMemory || cfg.LogLevel != "info" || len(cfg.Platforms) != 3 || cfg.Platforms[2].Name != "try-shop" {
		t.Errorf("LoadDev: in_memory %v, log_level %q, %d platforms", cfg.InMemory, cfg.LogLevel, len(cfg.Platforms))
	}
	if sources.Files["<dev>"] == nil || sources.Files["dev.hcl"] == nil {
		t.Errorf("sources hold %d files, want the built-in overrides and dev.hcl", len(sources.Files))
	}
	cfg.PluginDirs = []string{pluginDir(t, "sandbox", "taobao")}
	checkDiags(t, cfg.Validate(), nil) // no data_dir needed in memory
}

// TestFileStructsMirrorRuntime checks that every field of the file structs
// has a runtime field of the same name that its value converts to, so that
// merge can never meet a setting it has nowhere to put.
func TestFileStructsMirrorRuntime(t *testing.T) {
	var walk func(file, runtime reflect.Type)
	walk = func(file, runtime reflect.Type) {
		for _, f := range fieldsOf(file) {
			sf := file.Field(f.index)
			df, ok := runtime.FieldByName(sf.Name)
			if !ok {
				t.Errorf("%s.%s has no field in %s", file, sf.Name, runtime)
				continue
			}
			switch {
			case sf.Type.Implements(settingType):
				val := reflect.New(sf.Type.Elem()).Interface().(setting).value()
				if !val.Type().ConvertibleTo(df.Type) {
					t.Errorf("%s.%s holds %s, which does not convert to %s", file, sf.Name, val.Type(), df.Type)
				}
			case f.kind == "block" && sf.Type != bodyType:
				dt := df.Type
				if dt.Kind() == reflect.Slice || dt.Kind() == reflect.Pointer {
					dt = dt.Elem()
				}
				walk(blockStruct(sf.Type), dt)
			case !sf.Type.AssignableTo(df.Type):
				t.Errorf("%s.%s is a %s, %s.%s a %s", file, sf.Name, sf.Type, runtime, sf.Name, df.Type)
			}
		}
	}
	walk(reflect.TypeFor[fileConfig](), reflect.TypeFor[Config]())
}
