package main

import (
	"context"
	"errors"
	"testing"

	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/host"
	"github.com/marketsync/marketsync/sdk/model"
	"github.com/marketsync/marketsync/sdk/plugintest"
)

// binary is the sandbox plugin built once for the package's tests, so they
// exercise the real process, handshake and gRPC transport.
var binary string

func TestMain(m *testing.M) { plugintest.Main(m, "sandbox", &binary) }

func launch(t *testing.T, config string) *host.Plugin {
	t.Helper()
	ctx := context.Background()
	p, err := host.Launch(ctx, host.Options{Path: binary})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Kill)
	if err := p.Configure(ctx, []byte(config)); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDescribeOverTheWire(t *testing.T) {
	p := launch(t, `{}`)
	d := p.Description()
	if d.Name != "sandbox" || !d.Has(sdk.CapabilityCollect) || !d.Has(sdk.CapabilityPublish) {
		t.Fatalf("description %+v", d)
	}
	if got := d.Limits.MaxBatch(sdk.OpFetchProducts, 0); got != 50 {
		t.Errorf("fetch batch cap %d, want 50", got)
	}
	f, ok := d.Config.Field("latency")
	if !ok || f.Type != sdk.FieldDuration || f.Default != "0s" {
		t.Errorf("latency field %+v", f)
	}
}

func TestFetchOverTheWire(t *testing.T) {
	p := launch(t, `{"products": 10}`)
	resp, err := host.Call[*model.FetchProductsResponse](context.Background(), p, &model.FetchProductsRequest{Ids: []string{"100001", "100011", "100010"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Results[0].GetProduct().GetTitle()["zh-CN"]; got == "" {
		t.Errorf("first product has no zh-CN title")
	}
	if e := resp.Results[1].GetError(); e.GetKind() != model.ErrorKind_ERROR_KIND_NOT_FOUND {
		t.Errorf("id past the catalogue: %v, want NOT_FOUND", resp.Results[1])
	}
	if resp.Results[2].GetProduct().GetId() != "100010" {
		t.Errorf("last product: %v", resp.Results[2])
	}
}

func TestBadConfigIsRefused(t *testing.T) {
	p, err := host.Launch(context.Background(), host.Options{Path: binary})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Kill()
	for name, cfg := range map[string]string{
		"unknown field": `{"color": "red"}`,
		"wrong type":    `{"products": "many"}`,
		"out of range":  `{"error_rate": 2}`,
		"bad duration":  `{"latency": "soon"}`,
		"not an object": `[1]`,
	} {
		t.Run(name, func(t *testing.T) {
			err := p.Configure(context.Background(), []byte(cfg))
			if !errors.Is(err, &model.Error{Kind: model.KindInvalid}) {
				t.Errorf("got %v, want INVALID", err)
			}
		})
	}
}

func TestBatchCapIsEnforced(t *testing.T) {
	p := launch(t, `{}`)
	ids := make([]string, 51)
	for i := range ids {
		ids[i] = "100001"
	}
	_, err := host.Call[*model.FetchProductsResponse](context.Background(), p, &model.FetchProductsRequest{Ids: ids})
	if !errors.Is(err, &model.Error{Kind: model.KindInvalid, Code: "batch_too_large"}) {
		t.Errorf("got %v, want INVALID batch_too_large", err)
	}
}

func TestCrashIsAnUnavailableCall(t *testing.T) {
	p := launch(t, `{"crash_after": 2}`)
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
