package rpc

import (
	"context"
	"errors"

	"github.com/marketsync/marketsync/sdk/model"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ErrUnimplemented is wrapped by a Handler's error when the plugin does
// not serve the operation; it travels as codes.Unimplemented.
var ErrUnimplemented = errors.New("not implemented by this plugin")

var kindToCode = map[model.ErrorKind]codes.Code{
	model.KindRateLimited: codes.ResourceExhausted,
	model.KindUnavailable: codes.Unavailable,
	model.KindInvalid:     codes.InvalidArgument,
	model.KindAuth:        codes.Unauthenticated,
	model.KindNotFound:    codes.NotFound,
	model.KindConflict:    codes.Aborted,
}

// ToStatus turns an error of a whole call into a gRPC status error with the
// typed Error attached as a detail. An error that is not a *model.Error is
// sent as UNAVAILABLE (retryable): plain errors from plugins are mostly
// network failures, and a plugin signals permanent ones with the typed
// constructors.
func ToStatus(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, ErrUnimplemented) {
		return status.Error(codes.Unimplemented, err.Error())
	}
	e, ok := model.AsError(err)
	if !ok {
		switch {
		case errors.Is(err, context.Canceled):
			return status.Error(codes.Canceled, err.Error())
		case errors.Is(err, context.DeadlineExceeded):
			e = model.Unavailable(model.CodeTimeout, err.Error())
		default:
			e = model.Unavailable(model.CodePluginError, err.Error())
		}
	}
	code, ok := kindToCode[e.GetKind()]
	if !ok {
		code = codes.Unknown
	}
	st := status.New(code, e.Error())
	if withDetail, derr := st.WithDetails(e); derr == nil {
		st = withDetail
	}
	return st.Err()
}

// FromStatus reads the typed Error out of a gRPC error returned by a
// plugin. Errors without a detail are classified by their gRPC code: a
// plugin process that died or a connection that broke is UNAVAILABLE,
// a method the plugin does not serve is INVALID. Context cancellation is
// returned as is, so callers can tell their own deadline from the
// platform's.
func FromStatus(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	st, ok := status.FromError(err)
	if !ok {
		return model.Unavailable(model.CodePluginUnreachable, err.Error())
	}
	for _, d := range st.Details() {
		if e, ok := d.(*model.Error); ok {
			if _, known := model.ErrorKind_name[int32(e.GetKind())]; !known || e.GetKind() == model.KindUnknown {
				// An unknown kind from a newer plugin: retryable, so that
				// a protocol mismatch costs retries rather than data.
				e.Kind = model.KindUnavailable
			}
			return e
		}
	}
	switch st.Code() {
	case codes.Unavailable:
		return model.Unavailable(model.CodePluginUnreachable, st.Message())
	case codes.Canceled:
		return context.Canceled
	case codes.DeadlineExceeded:
		return context.DeadlineExceeded
	case codes.Unimplemented:
		return model.Invalid(model.CodePluginUnimplemented, st.Message())
	case codes.InvalidArgument:
		return model.Invalid(model.CodePluginInvalidArg, st.Message())
	case codes.Unauthenticated, codes.PermissionDenied:
		return model.Auth(model.CodePluginAuth, st.Message())
	case codes.NotFound:
		return model.NotFound(model.CodePluginNotFound, st.Message())
	case codes.ResourceExhausted:
		return model.RateLimited(0, model.CodePluginExhausted, st.Message())
	}
	return model.Unavailable("plugin_"+st.Code().String(), st.Message())
}
