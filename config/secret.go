package config

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
)

// redacted is what every sensitive value prints as.
const redacted = "(sensitive)"

// Secret is a string that must not leak: it prints, logs and marshals as
// "(sensitive)" whatever the verb or encoder, and only Reveal returns the
// value. Sensitivity belongs to the field, not to where the value came from,
// so a token written inline and one read with env() or file() are handled
// alike.
type Secret string

// Reveal returns the secret itself, for the one place that needs it (an
// Authorization header, a plugin's Configure call).
func (s Secret) Reveal() string { return string(s) }

// String returns "(sensitive)".
func (Secret) String() string { return redacted }

// GoString returns "(sensitive)", so %#v does not print the value either.
func (Secret) GoString() string { return redacted }

// Format writes "(sensitive)" for every verb. Without it, verbs that fmt
// does not route through String (%d, %t, ...) would print the raw string.
func (Secret) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, redacted) }

// MarshalJSON writes "(sensitive)" as a JSON string.
func (Secret) MarshalJSON() ([]byte, error) { return json.Marshal(redacted) }

// MarshalText writes "(sensitive)".
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// LogValue makes slog write "(sensitive)".
func (Secret) LogValue() slog.Value { return slog.StringValue(redacted) }
