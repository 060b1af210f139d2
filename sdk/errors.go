package sdk

import (
	"errors"
	"fmt"
	"time"
)

// ErrorKind classifies a failure by what the caller should do about it.
type ErrorKind int

const (
	KindUnknown ErrorKind = iota
	// KindRateLimited: over quota; retry after RetryAfter.
	KindRateLimited
	// KindUnavailable: transient (platform down, 5xx, timeout); retry with backoff.
	KindUnavailable
	// KindInvalid: the request or item is wrong; retrying will not help.
	KindInvalid
	// KindAuth: credentials missing, expired or refused.
	KindAuth
	// KindNotFound: the item does not exist, is deleted or off-shelf.
	KindNotFound
	// KindConflict: the remote state changed under us.
	KindConflict
)

var kindNames = [...]string{
	KindUnknown:     "UNKNOWN",
	KindRateLimited: "RATE_LIMITED",
	KindUnavailable: "UNAVAILABLE",
	KindInvalid:     "INVALID",
	KindAuth:        "AUTH",
	KindNotFound:    "NOT_FOUND",
	KindConflict:    "CONFLICT",
}

func (k ErrorKind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return fmt.Sprintf("ErrorKind(%d)", int(k))
	}
	return kindNames[k]
}

// MarshalText writes the kind's name, so JSON shows "RATE_LIMITED".
func (k ErrorKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads a kind's name.
func (k *ErrorKind) UnmarshalText(b []byte) error {
	for i, name := range kindNames {
		if name == string(b) {
			*k = ErrorKind(i)
			return nil
		}
	}
	return fmt.Errorf("unknown error kind %q", b)
}

// Retryable says whether the same request may succeed later: only rate
// limiting and transient unavailability are worth another attempt.
func (k ErrorKind) Retryable() bool { return k == KindRateLimited || k == KindUnavailable }

// Error is a typed failure of a whole call or of one item. Code and Message
// are the platform's own, kept verbatim so operators can look them up.
type Error struct {
	Kind       ErrorKind     `json:"kind"`
	Code       string        `json:"code,omitempty"`
	Message    string        `json:"message,omitempty"`
	RetryAfter time.Duration `json:"retry_after,omitempty"`
}

func (e *Error) Error() string {
	s := e.Kind.String()
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	return s
}

// Is makes errors.Is(err, &sdk.Error{Kind: k}) match any error of kind k.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Kind == e.Kind && (t.Code == "" || t.Code == e.Code)
}

// RateLimited reports that the platform refused the call for quota; after is
// how long it asked us to wait (zero when it did not say).
func RateLimited(after time.Duration, code, message string) *Error {
	return &Error{Kind: KindRateLimited, Code: code, Message: message, RetryAfter: after}
}

// Unavailable reports a transient failure worth retrying with backoff.
func Unavailable(code, message string) *Error {
	return &Error{Kind: KindUnavailable, Code: code, Message: message}
}

// Invalid reports a request or item the platform will never accept as is.
func Invalid(code, message string) *Error {
	return &Error{Kind: KindInvalid, Code: code, Message: message}
}

// Auth reports missing, expired or refused credentials.
func Auth(code, message string) *Error {
	return &Error{Kind: KindAuth, Code: code, Message: message}
}

// NotFound reports an item that does not exist, is deleted or off-shelf.
func NotFound(code, message string) *Error {
	return &Error{Kind: KindNotFound, Code: code, Message: message}
}

// Conflict reports that the remote state changed under the write.
func Conflict(code, message string) *Error {
	return &Error{Kind: KindConflict, Code: code, Message: message}
}

// AsError returns err as an *Error when it is or wraps one.
func AsError(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}
