package sdk

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestProductRoundTrip(t *testing.T) {
	p := validProduct()
	p.Description = map[string]string{"en": "soft"}
	p.Attributes = []Attribute{{Name: "Brand", Value: "X", Locale: "en"}}
	p.Images[0].Alt = map[string]string{"en": "front"}
	p.Variants[0].Barcode = "6901234567892"
	p.URL = "https://item.taobao.com/item.htm?id=100001"
	p.UpdatedAt = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	got := ProductFromProto(ProductToProto(p))
	if !reflect.DeepEqual(got, p) {
		t.Errorf("round trip changed the product:\n got %+v\nwant %+v", got, p)
	}
}

func TestErrorsCrossTheWire(t *testing.T) {
	for name, tc := range map[string]struct {
		sent error
		want error
	}{
		"rate limited": {RateLimited(7*time.Second, "7", "This ban will last for 7 more seconds"), RateLimited(7*time.Second, "7", "This ban will last for 7 more seconds")},
		"auth":         {Auth("27", "Invalid session"), Auth("27", "Invalid session")},
		"wrapped":      {fmt.Errorf("calling gateway: %w", NotFound("isv.item-not-exist", "gone")), NotFound("isv.item-not-exist", "gone")},
		"plain error":  {errors.New("connection reset by peer"), Unavailable("plugin_error", "connection reset by peer")},
		"deadline":     {context.DeadlineExceeded, Unavailable("timeout", "context deadline exceeded")},
		"canceled":     {context.Canceled, context.Canceled},
	} {
		t.Run(name, func(t *testing.T) {
			got := FromStatus(ToStatus(tc.sent))
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}

func TestFromStatusWithoutDetail(t *testing.T) {
	for code, want := range map[codes.Code]ErrorKind{
		codes.Unavailable:       KindUnavailable,
		codes.Internal:          KindUnavailable,
		codes.Unimplemented:     KindInvalid,
		codes.Unauthenticated:   KindAuth,
		codes.ResourceExhausted: KindRateLimited,
	} {
		e, ok := AsError(FromStatus(status.Error(code, "x")))
		if !ok || e.Kind != want {
			t.Errorf("%v: got %v, want kind %v", code, e, want)
		}
	}
	if err := FromStatus(status.Error(codes.DeadlineExceeded, "x")); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("DeadlineExceeded: got %v", err)
	}
}

func TestDescriptionRoundTrip(t *testing.T) {
	d := Description{
		Name: "taobao", Version: "1.2.3", Summary: "Taobao TOP",
		Capabilities: []Capability{CapabilityCollect},
		Limits: Limits{Rate: 40, Burst: 10, Operations: map[Operation]OperationLimit{
			OpFetchProducts: {MaxBatch: 20, Cost: 1}, OpListProducts: {MaxBatch: 100},
		}},
		Config: testSpec,
	}
	pd, err := DescriptionToProto(d)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DescriptionFromProto(pd)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != d.Name || got.Limits.MaxBatch(OpFetchProducts, 0) != 20 || !got.Has(CapabilityCollect) || got.Has(CapabilityPublish) {
		t.Errorf("round trip: %+v", got)
	}
	// Defaults travel as JSON and must still satisfy the spec.
	cfg, err := NewConfig(got.Config, map[string]any{"app_key": "k", "app_secret": "s"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Int("page_size") != 40 || cfg.Duration("timeout") != 3*time.Second || cfg.StringList("regions")[0] != "CN" {
		t.Errorf("defaults after the wire: %+v", cfg.values)
	}
}
