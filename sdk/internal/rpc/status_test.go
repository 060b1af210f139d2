package rpc

import (
	"context"
	"errors"
	"testing"

	"github.com/marketsync/marketsync/sdk/model"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestFromStatusWithoutDetail(t *testing.T) {
	for code, want := range map[codes.Code]model.ErrorKind{
		codes.Unavailable:       model.KindUnavailable,
		codes.Internal:          model.KindUnavailable,
		codes.Unimplemented:     model.KindInvalid,
		codes.Unauthenticated:   model.KindAuth,
		codes.ResourceExhausted: model.KindRateLimited,
	} {
		e, ok := model.AsError(FromStatus(status.Error(code, "x")))
		if !ok || e.GetKind() != want {
			t.Errorf("%v: got %v, want kind %v", code, e, want)
		}
	}
	if err := FromStatus(status.Error(codes.DeadlineExceeded, "x")); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("DeadlineExceeded: got %v", err)
	}
}

func TestUnknownKindIsRetryable(t *testing.T) {
	err := FromStatus(ToStatus(&model.Error{Kind: model.ErrorKind(42), Code: "new", Message: "from a newer plugin"}))
	if e, ok := model.AsError(err); !ok || e.GetKind() != model.KindUnavailable || e.GetCode() != "new" {
		t.Errorf("got %v, want UNAVAILABLE new", err)
	}
}

func TestUnimplementedTravelsAsInvalid(t *testing.T) {
	err := FromStatus(ToStatus(errors.Join(ErrUnimplemented, errors.New("no URLs"))))
	if !errors.Is(err, &model.Error{Kind: model.KindInvalid, Code: model.CodePluginUnimplemented}) {
		t.Errorf("got %v", err)
	}
}
