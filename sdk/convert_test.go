package sdk

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/marketsync/marketsync/sdk/internal/rpc"
	"github.com/marketsync/marketsync/sdk/model"
	"google.golang.org/protobuf/proto"
)

func TestProductRoundTrip(t *testing.T) {
	p := validProduct()
	p.Description = map[string]string{"en": "soft"}
	p.Attributes = []Attribute{{Name: "Brand", Value: "X", Locale: "en"}}
	p.Images[0].Alt = map[string]string{"en": "front"}
	p.Variants[0].Barcode = "6901234567892"
	p.URL = "https://item.taobao.com/item.htm?id=100001"
	p.UpdatedAt = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	p.Status = StatusDraft
	p.Variants[1].CompareAt = &Money{3990, "CNY"}
	got := productFromModel(productToModel(p))
	if !reflect.DeepEqual(&got, p) {
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
			// The adapter's conversion, then both ends of the wire.
			got := rpc.FromStatus(rpc.ToStatus(modelError(tc.sent)))
			if e, ok := tc.want.(*Error); ok {
				tc.want = errorToModel(e)
			}
			if same := reflect.DeepEqual(got, tc.want) || (asMessage(got) != nil && proto.Equal(asMessage(got), asMessage(tc.want))); !same {
				t.Errorf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}

// asMessage returns err as a protobuf message when it is a model error.
func asMessage(err error) proto.Message {
	if e, ok := model.AsError(err); ok {
		return e
	}
	return nil
}
