package host

import (
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/model"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Redacted replaces a sensitive value in the text a plugin sends back.
const Redacted = "[redacted]"

// minRedactLen is the shortest sensitive value that is redacted. A value
// of one to three characters ("1", "CN", "abc") would turn every such run
// of characters in every error and log line into [redacted], destroying
// platform error codes and numbers, and it is no secret worth the name:
// an attacker guesses it faster than he reads a log. Such values are left
// as they are and Configure logs a warning naming the field.
const minRedactLen = 4

// redactor removes the values of a plugin's sensitive settings from the
// text it sends back: error codes and messages, and log lines. Platforms
// echo requests in their errors (Taobao puts the whole query, session
// included, in some messages), and plugins log what platforms say, so the
// host cannot count on a plugin to leave secrets out. It is empty until
// Configure, which is when the plugin first learns the values.
type redactor struct {
	r atomic.Pointer[strings.Replacer]
}

// set makes the values of the sensitive fields of spec in configJSON the
// ones to redact, and returns the names of the fields whose values are too
// short to be redacted. The values are redacted as written and as they
// appear escaped in a URL query or path and in a JSON string.
func (r *redactor) set(spec sdk.ConfigSpec, configJSON []byte) (short []string) {
	var values map[string]json.RawMessage
	if json.Unmarshal(configJSON, &values) != nil {
		return nil
	}
	var secrets []string
	for _, f := range spec {
		raw, ok := values[f.Name]
		if !f.Sensitive || !ok {
			continue
		}
		for _, v := range leaves(raw) {
			if len(v) < minRedactLen {
				short = append(short, f.Name)
				continue
			}
			quoted := strconv.Quote(v)
			secrets = append(secrets, v, url.QueryEscape(v), url.PathEscape(v), quoted[1:len(quoted)-1])
		}
	}
	if len(secrets) == 0 {
		r.r.Store(nil)
		return slices.Compact(short)
	}
	// Longest first, so that a value that contains another is replaced
	// whole (strings.Replacer tries its pairs in order).
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	secrets = slices.Compact(secrets)
	pairs := make([]string, 0, 2*len(secrets))
	for _, s := range secrets {
		pairs = append(pairs, s, Redacted)
	}
	r.r.Store(strings.NewReplacer(pairs...))
	return slices.Compact(short)
}

// leaves are the strings and numbers of a JSON value, as written.
func leaves(raw json.RawMessage) []string {
	var v any
	d := json.NewDecoder(strings.NewReader(string(raw)))
	d.UseNumber()
	if d.Decode(&v) != nil {
		return nil
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			out = append(out, v)
		case json.Number:
			out = append(out, v.String())
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

// text returns s with every sensitive value replaced.
func (r *redactor) text(s string) string {
	if rep := r.r.Load(); rep != nil {
		return rep.Replace(s)
	}
	return s
}

// error returns err with every sensitive value replaced in its text. A
// *model.Error keeps its kind and retry-after; another error that holds a
// value becomes a plain error with the redacted text.
func (r *redactor) error(err error) error {
	if err == nil || r.r.Load() == nil {
		return err
	}
	if e, ok := err.(*model.Error); ok {
		e = proto.Clone(e).(*model.Error)
		r.modelError(e)
		return e
	}
	if s := r.text(err.Error()); s != err.Error() {
		return errors.New(s)
	}
	return err
}

func (r *redactor) modelError(e *model.Error) {
	e.Code, e.Message = r.text(e.GetCode()), r.text(e.GetMessage())
}

// message redacts, in place, every model.Error that m holds, however deep:
// the per-item errors of a batch answer end up in job items and the store.
func (r *redactor) message(m proto.Message) {
	if m == nil || r.r.Load() == nil {
		return
	}
	r.walk(m.ProtoReflect())
}

var errorName = (*model.Error)(nil).ProtoReflect().Descriptor().FullName()

func (r *redactor) walk(m protoreflect.Message) {
	if m.Descriptor().FullName() == errorName {
		if e, ok := m.Interface().(*model.Error); ok {
			r.modelError(e)
		}
		return
	}
	if !mayHoldError(m.Descriptor()) {
		return // a product, say: nothing to redact in it
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsMap():
			if fd.MapValue().Message() != nil {
				v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
					r.walk(mv.Message())
					return true
				})
			}
		case fd.Message() == nil:
		case fd.IsList():
			for i := range v.List().Len() {
				r.walk(v.List().Get(i).Message())
			}
		default:
			r.walk(v.Message())
		}
		return true
	})
}

// holdsError caches, by message type, whether a message of that type can
// hold a model.Error at some depth.
var holdsError sync.Map // protoreflect.FullName → bool

func mayHoldError(md protoreflect.MessageDescriptor) bool {
	if v, ok := holdsError.Load(md.FullName()); ok {
		return v.(bool)
	}
	found := searchError(md, map[protoreflect.FullName]bool{})
	holdsError.Store(md.FullName(), found)
	return found
}

func searchError(md protoreflect.MessageDescriptor, seen map[protoreflect.FullName]bool) bool {
	if md.FullName() == errorName {
		return true
	}
	if seen[md.FullName()] {
		return false
	}
	seen[md.FullName()] = true
	fields := md.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if fd.IsMap() {
			fd = fd.MapValue()
		}
		if fd.Message() != nil && searchError(fd.Message(), seen) {
			return true
		}
	}
	return false
}
