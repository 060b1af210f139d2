package main

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/marketsync/marketsync/plugins/sandbox/market"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/host"
	"github.com/marketsync/marketsync/sdk/model"
	"github.com/marketsync/marketsync/sdk/plugintest"
)

// binary is the sandbox plugin built once for the package's tests, so they
// exercise the real process, handshake and gRPC transport.
var binary string

func TestMain(m *testing.M) { plugintest.Main(m, "sandbox", &binary) }

// target is the conformance kit's view of the sandbox, as the built
// binary and served in-process, over a catalogue of 20 products. The
// sandbox is its own platform: it has no credentials (the AUTH check is
// skipped) and no HTTP to put faults on (so is the faults check); its
// quota is a config knob.
func target(t *testing.T) plugintest.Target {
	catalog := market.Catalog{Seed: 1, Count: 20}
	var products []sdk.Product
	var listed []string
	for i := range catalog.Count {
		listed = append(listed, fmt.Sprint(100001+i))
	}
	for _, id := range []string{"100001", "100002"} {
		p, err := catalog.Product(id)
		if err != nil {
			t.Fatal(err)
		}
		products = append(products, *p)
	}
	return plugintest.Target{
		Binary:     binary,
		New:        func() sdk.Plugin { return market.New() },
		Config:     `{"products": 20}`,
		KnownIDs:   []string{"100001", "100002", "100020"},
		UnknownIDs: []string{"100021", "not-an-id"},
		Declared: &plugintest.Declared{
			Name:         "sandbox",
			Capabilities: []sdk.Capability{sdk.CapabilityCollect, sdk.CapabilityPublish},
			MaxBatch:     map[sdk.Operation]int{sdk.OpFetchProducts: 50},
			Fields:       []sdk.ConfigField{{Name: "latency", Type: sdk.FieldDuration, Default: "0s"}},
		},
		BadConfigs: map[string]string{
			"out of range":  `{"error_rate": 2}`,
			"bad duration":  `{"latency": "soon"}`,
			"not an object": `[1]`,
		},
		RateLimit: &plugintest.RateLimit{
			// One call every thousand seconds with a burst of one: the
			// second call is refused with a retry-after.
			Config: `{"products": 20, "rate_limit": 0.001, "burst": 1}`,
			Code:   "SANDBOX_429",
			Wait:   1000 * time.Second,
			Slack:  10 * time.Second,
		},
		Expect: &plugintest.Expect{
			// The generated catalogue, and an id past its end.
			IDs: []string{"100001", "100011", "100010", "100020", "100021"},
			Check: func(id string, p *sdk.Product, e *sdk.Error) error {
				want, err := catalog.Product(id)
				switch {
				case err != nil && (e == nil || e.Kind != sdk.KindNotFound):
					return fmt.Errorf("not in the catalogue (%v): got %v, want NOT_FOUND", err, e)
				case err == nil && p == nil:
					return fmt.Errorf("got %v, want the product", e)
				case err == nil && (p.Title["zh-CN"] == "" || p.Title["zh-CN"] != want.Title["zh-CN"]):
					return fmt.Errorf("zh-CN title %q, want %q", p.Title["zh-CN"], want.Title["zh-CN"])
				}
				return nil
			},
		},
		Listed:  listed,
		Publish: &plugintest.Publish{Products: products},
		ProductURLs: map[string]string{
			"https://item.sandbox.marketsync.invalid/item/100002.html": "100002",
			"https://m.sandbox.marketsync.invalid/item.html?id=100020": "100020",
		},
	}
}

func TestConformance(t *testing.T) {
	plugintest.Run(t, target(t))
}

// The sandbox can crash its process on purpose; the call that crashed it
// is UNAVAILABLE and the process is gone.
func TestCrashIsAnUnavailableCall(t *testing.T) {
	p := plugintest.Launch(t, target(t), `{"crash_after": 2}`)
	req := &model.FetchProductsRequest{Ids: []string{"100001"}}
	if _, err := host.Call[*model.FetchProductsResponse](context.Background(), p, req); err != nil {
		t.Fatalf("first call: %v", err)
	}
	_, err := host.Call[*model.FetchProductsResponse](context.Background(), p, req)
	if !errors.Is(err, &model.Error{Kind: model.KindUnavailable}) {
		t.Fatalf("call that crashed the plugin: got %v, want UNAVAILABLE", err)
	}
	if err := p.Ping(); err == nil && !p.Exited() {
		t.Error("plugin still answers after crashing")
	}
}
