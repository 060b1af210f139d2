package model

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
)

// The error kinds under short names.
const (
	KindUnknown     = ErrorKind_ERROR_KIND_UNSPECIFIED
	KindRateLimited = ErrorKind_ERROR_KIND_RATE_LIMITED
	KindUnavailable = ErrorKind_ERROR_KIND_UNAVAILABLE
	KindInvalid     = ErrorKind_ERROR_KIND_INVALID
	KindAuth        = ErrorKind_ERROR_KIND_AUTH
	KindNotFound    = ErrorKind_ERROR_KIND_NOT_FOUND
	KindConflict    = ErrorKind_ERROR_KIND_CONFLICT
)

// Name is the kind's short name ("RATE_LIMITED"), as the API and metrics
// show it.
func (k ErrorKind) Name() string {
	if k == KindUnknown {
		return "UNKNOWN"
	}
	return strings.TrimPrefix(k.String(), "ERROR_KIND_")
}

// KindByName returns the kind whose Name is name.
func KindByName(name string) (ErrorKind, bool) {
	if name == "UNKNOWN" {
		return KindUnknown, true
	}
	v, ok := ErrorKind_value["ERROR_KIND_"+name]
	return ErrorKind(v), ok
}

// Retryable says whether the same request may succeed later: only rate
// limiting and transient unavailability are worth another attempt.
func (k ErrorKind) Retryable() bool { return k == KindRateLimited || k == KindUnavailable }

// Error makes *Error an error: "KIND code: message (retry after d)".
func (e *Error) Error() string {
	s := e.GetKind().Name()
	if e.GetCode() != "" {
		s += " " + e.GetCode()
	}
	if e.GetMessage() != "" {
		s += ": " + e.GetMessage()
	}
	if d := e.Wait(); d > 0 {
		s += fmt.Sprintf(" (retry after %s)", d)
	}
	return s
}

// Wait is how long the platform asked the caller to wait; zero when it did
// not say.
func (e *Error) Wait() time.Duration {
	if e.GetRetryAfter() == nil {
		return 0
	}
	return e.GetRetryAfter().AsDuration()
}

// Is makes errors.Is(err, &model.Error{Kind: k}) match any error of kind
// k, and of code c too when the target has one.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.GetKind() == e.GetKind() && (t.GetCode() == "" || t.GetCode() == e.GetCode())
}

// NewError returns an error of kind k; after is the platform's requested
// wait (zero when it did not say).
func NewError(k ErrorKind, code, message string, after time.Duration) *Error {
	e := &Error{Kind: k, Code: code, Message: message}
	if after > 0 {
		e.RetryAfter = durationpb.New(after)
	}
	return e
}

// RateLimited reports that the platform refused the call for quota.
func RateLimited(after time.Duration, code, message string) *Error {
	return NewError(KindRateLimited, code, message, after)
}

// Unavailable reports a transient failure worth retrying with backoff.
func Unavailable(code, message string) *Error { return NewError(KindUnavailable, code, message, 0) }

// Invalid reports a request or item the platform will never accept as is.
func Invalid(code, message string) *Error { return NewError(KindInvalid, code, message, 0) }

// Auth reports missing, expired or refused credentials.
func Auth(code, message string) *Error { return NewError(KindAuth, code, message, 0) }

// NotFound reports an item that does not exist, is deleted or off-shelf.
func NotFound(code, message string) *Error { return NewError(KindNotFound, code, message, 0) }

// Conflict reports that the remote state changed under the write.
func Conflict(code, message string) *Error { return NewError(KindConflict, code, message, 0) }

// AsError returns err as an *Error when it is or wraps one.
func AsError(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}
