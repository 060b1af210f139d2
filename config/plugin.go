package config

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/marketsync/marketsync/sdk"
)

// PluginConfig is a platform's config {} block decoded against its
// plugin's schema: types checked, defaults applied. It prints and logs
// with sensitive fields redacted; only JSON carries them, for the plugin.
type PluginConfig struct {
	spec   sdk.ConfigSpec
	values *sdk.Config
}

// DecodePluginConfig decodes body, a Platform's Config, against spec, the
// schema the plugin described. Unknown attributes, missing required ones,
// wrong types and bad durations come back as diagnostics pointing into the
// operator's file, before the plugin sees anything. Expressions may call
// env() and file(), relative to the file body came from. On errors the
// PluginConfig is nil. A nil body, from a Platform built in Go without
// NewPlatform, reads as an empty block.
func DecodePluginConfig(body hcl.Body, spec sdk.ConfigSpec) (*PluginConfig, hcl.Diagnostics) {
	if body == nil {
		body = hcl.EmptyBody()
	}
	missing := body.MissingItemRange()
	if err := spec.Validate(); err != nil {
		return nil, hcl.Diagnostics{diagnostic("Invalid plugin schema", missing.Ptr(),
			"The plugin describes its config block with an invalid schema, so the block cannot be checked: %s. This is a bug in the plugin.", err)}
	}
	schema := &hcl.BodySchema{}
	names := make([]string, 0, len(spec))
	for _, f := range spec {
		schema.Attributes = append(schema.Attributes, hcl.AttributeSchema{Name: f.Name, Required: f.Required})
		names = append(names, f.Name)
	}
	content, diags := body.Content(schema)
	hint := "The plugin takes no settings."
	if len(names) > 0 {
		hint = "The plugin's settings are " + strings.Join(names, ", ") + "."
	}
	suggestNames(diags, names, hint)
	ctx := evalContext(missing.Filename)
	values := map[string]any{}
	for _, f := range spec {
		a := content.Attributes[f.Name]
		if a == nil {
			continue
		}
		dst := reflect.New(fieldTypes[f.Type]) // spec.Validate vouched for f.Type
		set, d := decodeValue(f.Name, a.Expr, ctx, dst.Interface(), f.Sensitive)
		diags = append(diags, d...)
		switch {
		case set:
			values[f.Name] = dst.Elem().Interface()
		case f.Required && !d.HasErrors():
			diags = append(diags, diagnostic("Missing required argument", a.Expr.Range().Ptr(),
				"The argument %q is required, but it is null.", f.Name))
		}
	}
	sortDiagnostics(diags)
	if diags.HasErrors() {
		return nil, diags
	}
	// NewConfig applies the defaults. The values were checked above, so it
	// can only fail if the SDK and this decoder disagree on a type.
	cfg, err := sdk.NewConfig(spec, values)
	if err != nil {
		return nil, append(diags, diagnostic("Invalid plugin config", missing.Ptr(), "%s.", err))
	}
	return &PluginConfig{spec: slices.Clone(spec), values: cfg}, diags
}

// fieldTypes are the Go types sdk.NewConfig takes for each field type.
var fieldTypes = map[sdk.FieldType]reflect.Type{
	sdk.FieldString:     reflect.TypeFor[string](),
	sdk.FieldInt:        reflect.TypeFor[int64](),
	sdk.FieldFloat:      reflect.TypeFor[float64](),
	sdk.FieldBool:       reflect.TypeFor[bool](),
	sdk.FieldDuration:   reflect.TypeFor[time.Duration](),
	sdk.FieldStringList: reflect.TypeFor[[]string](),
}

// JSON is the object the plugin receives: every field that is set or has a
// default, durations as Go duration strings, lists as arrays. The plugin's
// side reads it with sdk.ParseConfigJSON.
func (c PluginConfig) JSON() []byte {
	data, err := json.Marshal(c.fields(false))
	if err != nil {
		// Strings, whole numbers, finite floats, bools and string lists
		// always marshal.
		panic("config: plugin config does not marshal: " + err.Error())
	}
	return data
}

// Redacted is the config as JSON() has it with every sensitive field
// replaced by "(sensitive)": for logs and the API.
func (c PluginConfig) Redacted() map[string]any { return c.fields(true) }

func (c PluginConfig) fields(redact bool) map[string]any {
	out := map[string]any{}
	for _, f := range c.spec {
		if !c.values.IsSet(f.Name) {
			continue
		}
		var v any
		switch f.Type {
		case sdk.FieldString:
			v = c.values.String(f.Name)
		case sdk.FieldInt:
			v = c.values.Int(f.Name)
		case sdk.FieldFloat:
			v = c.values.Float(f.Name)
		case sdk.FieldBool:
			v = c.values.Bool(f.Name)
		case sdk.FieldDuration:
			v = c.values.Duration(f.Name).String()
		case sdk.FieldStringList:
			v = c.values.StringList(f.Name)
		}
		if redact && f.Sensitive {
			v = redacted
		}
		out[f.Name] = v
	}
	return out
}

// String prints the redacted fields.
func (c PluginConfig) String() string { return fmt.Sprint(c.Redacted()) }

// GoString prints the redacted fields.
func (c PluginConfig) GoString() string { return fmt.Sprintf("config.PluginConfig%#v", c.Redacted()) }

// Format prints the redacted fields for every verb, so that no verb
// reaches the unexported values.
func (c PluginConfig) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, c.GoString())
		return
	}
	_, _ = io.WriteString(f, c.String())
}

// LogValue logs the redacted fields, sorted by name.
func (c PluginConfig) LogValue() slog.Value {
	fields := c.Redacted()
	attrs := make([]slog.Attr, 0, len(fields))
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		attrs = append(attrs, slog.Any(name, fields[name]))
	}
	return slog.GroupValue(attrs...)
}
