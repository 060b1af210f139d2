package sdk

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
)

// CodeBadCursor is the code of the INVALID error BadCursor makes.
const CodeBadCursor = "bad_cursor"

// EncodeCursor makes a ListProducts NextCursor of v, the plugin's own
// record of where the listing resumes: v's JSON, base64url without
// padding, so the host and its users treat it as opaque and it survives
// being passed in a URL or a shell. Keep in v everything a resumed
// listing needs (the scope, the page, the page size it was counted in),
// so that a listing resumes after a restart of anything.
func EncodeCursor(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("sdk: a cursor of %T cannot be encoded: %v", v, err))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor reads into v a cursor EncodeCursor made. It fails on
// anything else; the plugin checks v's values itself and answers a bad
// cursor with BadCursor.
func DecodeCursor(s string, v any) error {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return err
	}
	if len(raw) == 0 || raw[0] != '{' {
		return errors.New("not a cursor object")
	}
	return json.Unmarshal(raw, v)
}

// BadCursor is the INVALID error for a cursor this plugin did not issue
// or cannot resume from.
func BadCursor(cursor string) *Error {
	return Invalid(CodeBadCursor, fmt.Sprintf("cursor %q was not issued by this plugin", cursor))
}
