package config

import (
	"math/big"
	"slices"
	"testing"
	"time"
)

const syncPlatforms = `data_dir = "/x"
platform "taobao" "main-shop" {}
platform "shopify" "eu-store" {}
`

// TestSyncDecode reads the sync block of the production example and one
// that leaves everything to its default.
func TestSyncDecode(t *testing.T) {
	t.Setenv("MARKETSYNC_TOKEN", "t")
	prod := mustLoad(t, "testdata/production.hcl")
	inDir(t, map[string]string{"a.hcl": syncPlatforms + `
sync "every-hour" {
  source = "main-shop"
  target = "eu-store"
  every  = "1h"
}
`})
	cfg := mustLoad(t, "a.hcl")
	cfg.PluginDirs = []string{pluginDir(t, "taobao", "shopify")}
	checkDiags(t, cfg.Validate(), nil)
	prod.PluginDirs = []string{pluginDir(t, "taobao", "1688", "shopify")}
	checkDiags(t, prod.Validate(), nil)
	if len(cfg.Syncs) != 1 || len(prod.Syncs) != 1 {
		t.Fatalf("%d and %d syncs, want 1 each", len(prod.Syncs), len(cfg.Syncs))
	}
	s := prod.Syncs[0]
	rat := func(r *big.Rat) string {
		if r == nil {
			return "nil"
		}
		return r.RatString()
	}
	for what, got := range map[string][2]string{
		"name":       {s.Name, "taobao-to-eu"},
		"source":     {s.Source + ">" + s.Target, "main-shop>eu-store"},
		"schedule":   {s.Schedule, "0 */6 * * *"},
		"rate":       {rat(s.Price.Rate), "277/2000"}, // exactly 0.1385
		"below":      {rat(s.Price.Rules[0].Below), "50"},
		"multiply":   {rat(s.Price.Rules[0].Multiply), "5/2"},
		"catch-all":  {rat(s.Price.Rules[1].Below) + " " + rat(s.Price.Rules[1].Multiply) + " " + rat(s.Price.Rules[1].Add), "nil 9/5 3"},
		"round":      {rat(s.Price.Round), "99/100"},
		"compare_at": {rat(s.Price.CompareAt), "13/10"},
		"stock":      {s.Stock.OutOfStock, "draft"},
		"removed":    {s.OnVariantRemoved, "zero"},
		"conflicts":  {s.Conflicts.Default + " " + s.Conflicts.Fields["title"] + " " + s.Conflicts.Fields["price"], "newest_wins manual "},
	} {
		if got[0] != got[1] {
			t.Errorf("%s = %q, want %q", what, got[0], got[1])
		}
	}
	if s.Stock.Reserve != 2 || !slices.Equal(s.Fields.Description, []string{"en"}) || !slices.Equal(s.Conflicts.Overwrite, []string{"price"}) {
		t.Errorf("sync = %+v", s)
	}
	d := cfg.Syncs[0]
	if d.Every != time.Hour || !slices.Equal(d.Fields.Title, []string{"en", "zh-CN"}) || d.Stock.OutOfStock != "zero" ||
		d.OnVariantRemoved != "zero" || d.Conflicts.Default != "source_wins" || d.Price.Rules != nil {
		t.Errorf("defaults = %+v", d)
	}
}

func TestSyncValidate(t *testing.T) {
	for name, tc := range map[string]struct {
		sync string
		want []string
	}{
		"unknown platform and same source and target": {
			sync: "sync \"s\" {\n  source = \"tmall\"\n  target = \"main-shop\"\n}\n",
			want: []string{`a.hcl:5,12-19: Unknown platform: source = "tmall" names no platform block. Define platform "<plugin>" "tmall", or name one that exists.`},
		},
		"missing target": {
			sync: "sync \"s\" {\n  source = \"main-shop\"\n}\n",
			want: []string{`a.hcl:4,1-9: Missing target: The sync block needs target, the name of a platform block.`},
		},
		"bad cron, bad locale": {
			sync: "sync \"s\" {\n  source = \"main-shop\"\n  target = \"eu-store\"\n  schedule = \"*/5 * * *\"\n  fields {\n    title = [\"en\", \"zh_CN!\"]\n  }\n}\n",
			want: []string{
				`a.hcl:7,14-25: Invalid schedule: "*/5 * * *" is not a cron schedule: expected exactly 5 fields, found 4: [*/5 * * *]. Write five fields (minute hour day-of-month month day-of-week), such as "0 */6 * * *", or a descriptor such as "@hourly".`,
				`a.hcl:9,13-29: Invalid fields.title: "zh_CN!" is not a BCP 47 locale, such as "en", "zh-CN" or "pt-BR".`,
			},
		},
		"schedule and every": {
			sync: "sync \"s\" {\n  source = \"main-shop\"\n  target = \"eu-store\"\n  schedule = \"@hourly\"\n  every = \"1h\"\n}\n",
			want: []string{`a.hcl:8,11-15: Invalid every: Set schedule or every, not both: both say when the pipeline runs.`},
		},
		"overlapping ranges": {
			sync: `sync "s" {
  source = "main-shop"
  target = "eu-store"
  price {
    rule {
      below = 100
    }
    rule {
      below = 50
    }
    rule {
      multiply = 2
    }
    rule {
      multiply = 3
    }
  }
}
`,
			want: []string{
				`a.hcl:12,15-17: Overlapping price ranges: below = 50.00 is not above the previous rule's below = 100.00 (at a.hcl:8,5-9), so this rule never applies. Rules are tried in order: their below must increase.`,
				`a.hcl:17,5-9: Overlapping price ranges: The rule at a.hcl:14,5-9 has no "below", so it covers every cost and this rule never applies. Rules are tried in order: give each but the last a below, in increasing order.`,
			},
		},
		"no catch-all is a warning": {
			sync: "sync \"s\" {\n  source = \"main-shop\"\n  target = \"eu-store\"\n  price {\n    rule {\n      below = 50\n    }\n  }\n}\n",
			want: []string{`warning: a.hcl:8,5-9: No catch-all price rule: Every price rule has a below, so a product costing 50.00 or more matches none and fails to sync. Add a last rule without below to cover it.`},
		},
		"bad rounding and currency": {
			sync: "sync \"s\" {\n  source = \"main-shop\"\n  target = \"eu-store\"\n  price {\n    currency = \"JPY\"\n    round = \"0.99\"\n  }\n}\n",
			want: []string{
				`a.hcl:9,13-19: Invalid price.round: price.round = "0.99" has more decimals than JPY has (0): use an ending such as "9" or "99" for a currency without cents.`,
			},
		},
		"bad currency, rate, enums": {
			sync: "sync \"s\" {\n  source = \"main-shop\"\n  target = \"eu-store\"\n  on_variant_removed = \"hide\"\n  price {\n    currency = \"usd\"\n    rate = 0\n  }\n  conflicts {\n    title = \"ask\"\n  }\n}\n",
			want: []string{
				`a.hcl:7,24-30: Invalid on_variant_removed: on_variant_removed must be one of "zero", "delete", "keep", not "hide".`,
				`a.hcl:9,16-21: Invalid price.currency: "usd" is not an ISO 4217 currency code, such as "USD", "EUR" or "JPY" (upper case).`,
				`a.hcl:10,12-13: Invalid price.rate: price.rate must be greater than 0, not 0.`,
				`a.hcl:13,13-18: Invalid conflicts.title: conflicts.title must be one of "source_wins", "remote_wins", "newest_wins", "manual", not "ask".`,
			},
		},
		"duplicate name": {
			sync: "sync \"s\" {\n  source = \"main-shop\"\n  target = \"eu-store\"\n}\nsync \"s\" {\n  source = \"main-shop\"\n  target = \"eu-store\"\n}\n",
			want: []string{`a.hcl:8,1-9: Duplicate sync name: A sync named "s" is already defined at a.hcl:4,1-9. Each sync block needs a name of its own: it keys the pipeline's snapshots.`},
		},
	} {
		t.Run(name, func(t *testing.T) {
			inDir(t, map[string]string{"a.hcl": syncPlatforms + tc.sync})
			cfg := mustLoad(t, "a.hcl")
			cfg.PluginDirs = []string{pluginDir(t, "taobao", "shopify")}
			checkDiags(t, cfg.Validate(), tc.want)
		})
	}
}

func TestSyncDecodeErrors(t *testing.T) {
	inDir(t, map[string]string{"a.hcl": syncPlatforms + "sync \"s\" {\n  source = \"main-shop\"\n  colour = 1\n  price {\n    rate = \"lots\"\n    compare_at = \"1.3\"\n  }\n}\n"})
	_, _, diags := Load("a.hcl")
	checkDiags(t, diags, []string{
		`a.hcl:6,3-9: Unsupported argument: An argument named "colour" is not expected here.`,
		`a.hcl:8,12-18: Incorrect attribute value type: Inappropriate value for attribute "rate": a number is required.`,
		`a.hcl:9,18-23: Invalid price.compare_at: price.compare_at must be a decimal number written as a string, such as "1.3x", not "1.3".`,
	})
}
