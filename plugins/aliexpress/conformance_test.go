package main

import (
	"slices"
	"testing"
	"time"

	"github.com/marketsync/marketsync/plugins/aliexpress/collector"
	"github.com/marketsync/marketsync/plugins/aliexpress/sim"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/faultinject"
	"github.com/marketsync/marketsync/sdk/plugintest"
)

// TestConformance runs the SDK's conformance kit against the plugin, as
// the built binary and served in-process, with the simulator as the
// platform.
func TestConformance(t *testing.T) {
	s := sim.ServeTest(t, sim.Options{Products: 60, Seed: 3})
	listed := s.ListedIDs()
	var gone []string // off-shelf and deleted ids, which the platform still names
	for _, id := range s.IDs() {
		if !slices.Contains(listed, id) {
			gone = append(gone, id)
		}
	}
	var known []string
	for _, id := range listed {
		if !s.Expect(id).NotFound && len(known) < 3 {
			known = append(known, id)
		}
	}
	target := plugintest.Target{
		Config:     string(config(s, nil)),
		KnownIDs:   known,
		UnknownIDs: append([]string{"999", "not-an-id"}, gone[:2]...),
		AuthConfig: string(config(s, func(v map[string]any) { v[collector.FieldAccessToken] = "revoked-token" })),
		RateLimit: &plugintest.RateLimit{
			// The gateway's own refusal, ApiCallLimit with "this ban will
			// last 2 seconds", for as long as the check wants it.
			Start: func(testing.TB) func() {
				s.Injector().Add(faultinject.Rule{Name: "conformance-ban", Fault: sim.BanFault(2 * time.Second)})
				return func() { s.Injector().Remove("conformance-ban") }
			},
			RetryAfter: true,
		},
		ProductURLs: map[string]string{
			"https://www.aliexpress.com/item/" + known[0] + ".html":              known[0],
			"https://m.aliexpress.com/item/" + known[1] + ".html?spm=x":          known[1],
			"https://www.aliexpress.us/item/" + known[2] + ".html":               known[2],
			"https://aliexpress.ru/item/" + known[0] + ".html#nav-specification": known[0],
		},
		Scope: s.ShopID(),
	}
	t.Run("binary", func(t *testing.T) {
		target := target
		target.Binary = binary
		plugintest.Collector(t, target)
	})
	t.Run("in-process", func(t *testing.T) {
		target := target
		target.New = func() sdk.Plugin { return collector.New() }
		plugintest.Collector(t, target)
	})
}
