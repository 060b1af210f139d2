package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/robfig/cron/v3"
)

// Cache configures the two-level cache of platform reads.
type Cache struct {
	// Cleanup and ResetStats are cron expressions (five fields or a
	// descriptor such as "@daily", local time unless CRON_TZ=<zone>
	// prefixes them): when expired entries are deleted from disk and the
	// memory level emptied, and when the hit statistics restart. Empty
	// never runs.
	Cleanup    string
	ResetStats string
	// L1MaxCost bounds the memory level, in bytes of cached values.
	L1MaxCost ByteSize
	// NegativeTTL keeps a failed platform read's error in memory that
	// long; zero (the default) caches no errors.
	NegativeTTL time.Duration
	TTL         CacheTTL
}

// CacheTTL is how long each type of cached read lives.
type CacheTTL struct {
	ProductInfo   time.Duration
	Price         time.Duration
	Stock         time.Duration
	RemoteProduct time.Duration
}

// ByName returns the TTLs by cache type name (product_info, ...), the
// names the cache registers.
func (t CacheTTL) ByName() map[string]time.Duration {
	return map[string]time.Duration{
		"product_info":   t.ProductInfo,
		"price":          t.Price,
		"stock":          t.Stock,
		"remote_product": t.RemoteProduct,
	}
}

type (
	fileCache struct {
		Cleanup     *attr[string]        `hcl:"cleanup"`
		ResetStats  *attr[string]        `hcl:"reset_stats"`
		L1MaxCost   *attr[ByteSize]      `hcl:"l1_max_cost"`
		NegativeTTL *attr[time.Duration] `hcl:"negative_ttl"`
		TTL         *fileCacheTTL        `hcl:"ttl,block"`
	}
	fileCacheTTL struct {
		ProductInfo   *attr[time.Duration] `hcl:"product_info"`
		Price         *attr[time.Duration] `hcl:"price"`
		Stock         *attr[time.Duration] `hcl:"stock"`
		RemoteProduct *attr[time.Duration] `hcl:"remote_product"`
	}
)

func defaultCache() Cache {
	return Cache{
		Cleanup:    "0 3 * * *",
		ResetStats: "0 0 * * *",
		L1MaxCost:  64 << 20,
		TTL:        CacheTTL{ProductInfo: 10 * time.Minute, Price: time.Minute, Stock: 30 * time.Second, RemoteProduct: 5 * time.Minute},
	}
}

// minL1MaxCost is the smallest memory level that holds a useful number of
// products of a few KB.
const minL1MaxCost = 1 << 20

func (c *Config) validateCache() hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, s := range []struct{ key, spec string }{{"cache.cleanup", c.Cache.Cleanup}, {"cache.reset_stats", c.Cache.ResetStats}} {
		if s.spec == "" {
			continue
		}
		if _, err := cron.ParseStandard(s.spec); err != nil {
			diags = append(diags, diagnostic("Invalid "+s.key, c.rangeOf(s.key),
				`%s must be a cron expression with five fields (minute hour day-of-month month day-of-week, such as "0 3 * * *") or a descriptor such as "@daily", or "" for never; %q is not: %s.`,
				s.key, s.spec, err))
		}
	}
	if c.Cache.L1MaxCost < minL1MaxCost {
		diags = append(diags, diagnostic("Invalid cache.l1_max_cost", c.rangeOf("cache.l1_max_cost"),
			`cache.l1_max_cost must be at least 1MiB, not %s.`, c.Cache.L1MaxCost))
	}
	if c.Cache.NegativeTTL < 0 {
		diags = append(diags, diagnostic("Invalid cache.negative_ttl", c.rangeOf("cache.negative_ttl"),
			"cache.negative_ttl must not be negative; 0 caches no errors."))
	}
	for name, ttl := range c.Cache.TTL.ByName() {
		if key := "cache.ttl." + name; ttl < time.Second {
			diags = append(diags, diagnostic("Invalid "+key, c.rangeOf(key), "%s must be at least 1s, not %s.", key, ttl))
		}
	}
	return diags
}

// ByteSize is a size in bytes, written as a number with an optional unit:
// B, KB, MB, GB (powers of 1000) or KiB, MiB, GiB (powers of 1024).
type ByteSize int64

var byteUnits = []struct {
	suffix string
	size   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1},
}

// parseByteSize reads "64MiB", "512KB" or "1048576".
func parseByteSize(s string) (ByteSize, error) {
	num, unit := strings.TrimSpace(s), int64(1)
	for _, u := range byteUnits {
		if rest, ok := strings.CutSuffix(num, u.suffix); ok {
			num, unit = strings.TrimSpace(rest), u.size
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/unit {
		return 0, fmt.Errorf("%q is not a size", s)
	}
	return ByteSize(n * unit), nil
}

// String writes the size with the largest binary unit that divides it.
func (b ByteSize) String() string {
	for _, u := range []struct {
		suffix string
		size   ByteSize
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if b != 0 && b%u.size == 0 {
			return strconv.FormatInt(int64(b/u.size), 10) + u.suffix
		}
	}
	return strconv.FormatInt(int64(b), 10) + "B"
}
