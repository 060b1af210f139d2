package config

import (
	"strings"
	"testing"
	"time"
)

func TestCacheBlock(t *testing.T) {
	inDir(t, map[string]string{"a.hcl": `data_dir = "/x"
cache {
  cleanup     = "30 4 * * *"
  reset_stats = "@weekly"
  l1_max_cost = "128MiB"
  ttl {
    stock = "10s"
  }
}
`})
	cfg := mustLoad(t, "a.hcl")
	want := defaultCache()
	want.Cleanup, want.ResetStats, want.L1MaxCost, want.TTL.Stock = "30 4 * * *", "@weekly", 128<<20, 10*time.Second
	if cfg.Cache != want {
		t.Fatalf("cache\n got %+v\nwant %+v", cfg.Cache, want)
	}
	if diags := cfg.Validate(); diags.HasErrors() {
		t.Fatal(diags)
	}
	if got := Default().Cache; got != defaultCache() || got.TTL.ByName()["remote_product"] != 5*time.Minute {
		t.Fatalf("default cache %+v", got)
	}
}

func TestCacheDiagnostics(t *testing.T) {
	for name, tc := range map[string]struct {
		body string
		want []string
	}{
		"bad cron": {
			body: `cleanup = "0 3 * *"`,
			want: []string{`a.hcl:3,13-22: Invalid cache.cleanup: cache.cleanup must be a cron expression with five fields (minute hour day-of-month month day-of-week, such as "0 3 * * *") or a descriptor such as "@daily", or "" for never; "0 3 * *" is not: expected exactly 5 fields, found 4: [0 3 * *].`},
		},
		"small l1": {
			body: `l1_max_cost = "512KiB"`,
			want: []string{`a.hcl:3,17-25: Invalid cache.l1_max_cost: cache.l1_max_cost must be at least 1MiB, not 512KiB.`},
		},
		"ttl under a second": {
			body: "ttl {\n    price = \"100ms\"\n  }",
			want: []string{`a.hcl:4,13-20: Invalid cache.ttl.price: cache.ttl.price must be at least 1s, not 100ms.`},
		},
		"negative negative_ttl": {
			body: `negative_ttl = "-1s"`,
			want: []string{`a.hcl:3,18-23: Invalid cache.negative_ttl: cache.negative_ttl must not be negative; 0 caches no errors.`},
		},
	} {
		t.Run(name, func(t *testing.T) {
			inDir(t, map[string]string{"a.hcl": "data_dir = \"/x\"\ncache {\n  " + tc.body + "\n}\n"})
			checkDiags(t, mustLoad(t, "a.hcl").Validate(), tc.want)
		})
	}
}

func TestCacheDecodeDiagnostics(t *testing.T) {
	for name, tc := range map[string]struct {
		body string
		want string
	}{
		"not a size":   {`l1_max_cost = "lots"`, `Invalid size`},
		"unknown type": {"ttl {\n    colour = \"1m\"\n  }", `An argument named "colour" is not expected here.`},
	} {
		t.Run(name, func(t *testing.T) {
			inDir(t, map[string]string{"a.hcl": "cache {\n  " + tc.body + "\n}\n"})
			_, _, diags := Load("a.hcl")
			if !diags.HasErrors() || !strings.Contains(diags.Error(), tc.want) {
				t.Fatalf("diagnostics %v, want one with %q", diags, tc.want)
			}
		})
	}
}

func TestParseByteSize(t *testing.T) {
	for in, want := range map[string]ByteSize{"64MiB": 64 << 20, "512KB": 512_000, "1048576": 1 << 20, "2 GiB": 2 << 30, "10B": 10} {
		if got, err := parseByteSize(in); err != nil || got != want {
			t.Errorf("%q: %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MiB", "-1KB", "1.5MiB", "9999999999GiB"} {
		if _, err := parseByteSize(in); err == nil {
			t.Errorf("%q parsed", in)
		}
	}
	if s := ByteSize(64 << 20).String(); s != "64MiB" {
		t.Errorf("String: %s", s)
	}
}
