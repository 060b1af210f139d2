package main

import (
	"strconv"
	"testing"

	"github.com/marketsync/marketsync/plugins/taobao/collector"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/plugintest"
)

// conformanceTarget describes the plugin against a small simulated shop:
// small enough that walking the listing three ids a page stays quick.
func conformanceTarget(t *testing.T) plugintest.Target {
	gw := startPlatform(t, 60)
	var known, unknown []string
	for _, id := range gw.IDs() {
		switch e := gw.Expect(id); {
		case e.Found && len(known) < 12:
			known = append(known, id)
		case !e.Found:
			unknown = append(unknown, id) // deleted and off-shelf items
		}
	}
	unknown = append(unknown, "1", "999999999999")
	// More distinct real-looking ids than the batch cap, so that the
	// batch checks send item ids the platform could hold.
	for i := 0; len(known)+len(unknown) <= 21; i++ {
		unknown = append(unknown, strconv.Itoa(700000000000+i))
	}
	urls := map[string]string{}
	for _, id := range known[:3] {
		urls["https://item.taobao.com/item.htm?id="+id] = id
		urls["https://a.m.taobao.com/i"+id+".htm"] = id
	}
	return plugintest.Target{
		Config:      string(gw.config(nil)),
		KnownIDs:    known,
		UnknownIDs:  unknown,
		AuthConfig:  string(gw.config(map[string]any{"session": "6100revoked"})),
		ProductURLs: urls,
		Scope:       gw.ShopID,
		RateLimit: &plugintest.RateLimit{
			Start: func(testing.TB) func() {
				gw.SetRateLimit(0.5, 0)
				return func() { gw.SetRateLimit(0, 0) }
			},
			RetryAfter: true,
		},
	}
}

func TestConformanceBinary(t *testing.T) {
	target := conformanceTarget(t)
	target.Binary = binary
	plugintest.Run(t, target)
}

func TestConformanceInProcess(t *testing.T) {
	target := conformanceTarget(t)
	target.New = func() sdk.Plugin { return collector.New() }
	plugintest.Run(t, target)
}
