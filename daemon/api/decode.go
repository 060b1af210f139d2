package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/marketsync/marketsync/daemon/client"
)

// MaxBodyBytes is the largest request body the API reads: 1 MiB, room for
// MaxCollectIDs ids of several dozen characters each.
const MaxBodyBytes = 1 << 20

func bodyTooLarge() *Error {
	return &Error{Status: http.StatusRequestEntityTooLarge, Code: client.CodeBodyTooLarge,
		Message: fmt.Sprintf("the request body is over the limit of %d bytes (1 MiB); send fewer ids per request", MaxBodyBytes)}
}

// decodeJSON reads r's body into dst: a single JSON object of dst's fields
// and nothing after it. shape describes the expected body for messages.
func decodeJSON(w http.ResponseWriter, r *http.Request, dst any, shape string) error {
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		got := "none"
		if ct != "" {
			got = strconv.Quote(ct)
		}
		return &Error{Status: http.StatusUnsupportedMediaType, Code: client.CodeUnsupportedMediaType,
			Message: "Content-Type must be application/json, got " + got}
	}
	if r.ContentLength > MaxBodyBytes {
		return bodyTooLarge()
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err, shape)
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return bodyTooLarge()
		}
		return malformed(fmt.Sprintf("unexpected data after the JSON object, which ends at byte offset %d; send one object %s", end, shape))
	}
	return nil
}

func malformed(msg string) *Error { return BadRequest(client.CodeMalformedJSON, msg) }

// jsonError says what is wrong with a body and where.
func jsonError(err error, shape string) error {
	var (
		syntax    *json.SyntaxError
		typ       *json.UnmarshalTypeError
		tooLarge  *http.MaxBytesError
		unknownFn = "json: unknown field "
	)
	switch {
	case errors.As(err, &tooLarge):
		return bodyTooLarge()
	case errors.Is(err, io.EOF):
		return malformed("the request body is empty; send a JSON object " + shape)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return malformed("the JSON body ends in the middle of a value; send a complete object " + shape)
	case errors.As(err, &syntax):
		return malformed(fmt.Sprintf("malformed JSON at byte offset %d: %s", max(syntax.Offset-1, 0), strings.TrimPrefix(syntax.Error(), "json: ")))
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return malformed(fmt.Sprintf("the body must be a JSON object %s, got %s", shape, typ.Value))
		}
		return malformed(fmt.Sprintf("field %q: got %s where %s belongs (byte offset %d)", field, typ.Value, jsonKind(typ), typ.Offset))
	case strings.HasPrefix(err.Error(), unknownFn):
		return malformed(fmt.Sprintf("unknown field %s; the body takes %s", strings.TrimPrefix(err.Error(), unknownFn), shape))
	}
	return malformed(fmt.Sprintf("cannot read the JSON body: %v", err))
}

// jsonKind names the JSON type the Go type of a failed field takes.
func jsonKind(e *json.UnmarshalTypeError) string {
	switch e.Type.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Bool:
		return "true or false"
	}
	return "a number"
}

// queryInt reads an integer parameter from lo to hi; def when absent.
func queryInt(q url.Values, key string, def, lo, hi int) (int, error) {
	raw := q.Get(key)
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		return 0, BadRequest(client.CodeInvalidQuery, fmt.Sprintf("%s must be a whole number from %d to %d, got %q", key, lo, hi, raw))
	}
	return n, nil
}

// Blocking queries: a wait with no duration given lasts DefaultWait, and
// none lasts more than MaxWait, so proxies and clients with idle timeouts
// are not left hanging.
const (
	DefaultWait = time.Minute
	MaxWait     = 5 * time.Minute
)

// queryWait reads the index and wait parameters of a blocking query.
func queryWait(q url.Values) (client.WaitOptions, error) {
	var w client.WaitOptions
	if raw := q.Get("index"); raw != "" {
		// The index as the answer's "index" string or X-Marketsync-Index
		// header gives it, bare or still in its JSON quotes; the bare
		// digits are also what clients sent when "index" was a number.
		n, err := client.ParseIndex(raw)
		if err != nil {
			return w, BadRequest(client.CodeInvalidQuery, fmt.Sprintf("index must be the decimal digits of a previous answer's index (its \"index\" string or %s header), got %q", client.HeaderIndex, raw))
		}
		w.Index, w.Wait = n, DefaultWait
	}
	if raw := q.Get("wait"); raw != "" {
		d, err := time.ParseDuration(raw)
		if err != nil || d < 0 {
			return w, BadRequest(client.CodeInvalidQuery, fmt.Sprintf("wait must be a duration such as \"30s\", got %q", raw))
		}
		w.Wait = min(d, MaxWait)
	}
	return w, nil
}

// queryEnum reads a parameter that must be one of allowed; "" when absent.
func queryEnum[T ~string](q url.Values, key string, allowed []T) (T, error) {
	raw := T(q.Get(key))
	if raw == "" || slices.Contains(allowed, raw) {
		return raw, nil
	}
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	return "", BadRequest(client.CodeInvalidQuery, fmt.Sprintf("%s must be one of %s, got %q", key, strings.Join(names, ", "), raw))
}
