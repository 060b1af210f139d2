package sdk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"
)

// FieldType is the type of one field of a plugin's config block.
type FieldType int

const (
	FieldString FieldType = iota + 1
	FieldInt
	FieldFloat
	FieldBool
	// FieldDuration is written as a Go duration string: "250ms", "1m30s".
	FieldDuration
	FieldStringList
)

func (t FieldType) String() string {
	switch t {
	case FieldString:
		return "string"
	case FieldInt:
		return "int"
	case FieldFloat:
		return "float"
	case FieldBool:
		return "bool"
	case FieldDuration:
		return "duration"
	case FieldStringList:
		return "list(string)"
	}
	return "unknown"
}

// ConfigField describes one attribute of a plugin's config {} block.
type ConfigField struct {
	Name string
	Type FieldType
	// Required fields have no default and must be set by the operator.
	Required bool
	// Sensitive values (secrets, tokens) never appear in the host's logs or
	// API output.
	Sensitive   bool
	Description string
	// Default is used when the operator leaves the field out: a string,
	// int, int64, float64, bool, time.Duration or []string matching Type.
	Default any
}

// ConfigSpec is the schema of a plugin's config block. The host decodes the
// operator's HCL against it, with file:line:column diagnostics, before the
// plugin sees a value; Serve checks it again so a plugin never receives a
// config that breaks its own spec.
type ConfigSpec []ConfigField

// Field returns the field called name.
func (s ConfigSpec) Field(name string) (ConfigField, bool) {
	for _, f := range s {
		if f.Name == name {
			return f, true
		}
	}
	return ConfigField{}, false
}

// Sensitive lists the names of the sensitive fields.
func (s ConfigSpec) Sensitive() []string {
	var out []string
	for _, f := range s {
		if f.Sensitive {
			out = append(out, f.Name)
		}
	}
	return out
}

// Validate checks the spec itself: names unique and non-empty, types known,
// defaults of the declared type, no required field with a default.
func (s ConfigSpec) Validate() error {
	var errs []error
	seen := map[string]bool{}
	for i, f := range s {
		switch {
		case f.Name == "":
			errs = append(errs, fmt.Errorf("config field %d has no name", i))
		case seen[f.Name]:
			errs = append(errs, fmt.Errorf("config field %q is declared twice", f.Name))
		}
		seen[f.Name] = true
		if f.Type < FieldString || f.Type > FieldStringList {
			errs = append(errs, fmt.Errorf("config field %q has unknown type %d", f.Name, f.Type))
			continue
		}
		if f.Default != nil {
			if f.Required {
				errs = append(errs, fmt.Errorf("config field %q is required and has a default", f.Name))
			}
			if _, err := coerce(f, f.Default); err != nil {
				errs = append(errs, fmt.Errorf("config field %q default: %w", f.Name, err))
			}
		}
	}
	return errors.Join(errs...)
}

// Config is a plugin's decoded config block with typed getters. Values were
// checked against the spec, defaults applied, before the plugin sees them;
// a getter for a field that is unset and has no default returns the zero
// value.
type Config struct {
	values map[string]any
}

// NewConfig checks values against spec (unknown names, missing required
// fields, wrong types), applies defaults and returns the typed Config.
// Values may be Go values or what encoding/json produces.
func NewConfig(spec ConfigSpec, values map[string]any) (*Config, error) {
	out := make(map[string]any, len(spec))
	var errs []error
	names := make([]string, 0, len(values))
	for name := range values {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if _, ok := spec.Field(name); !ok {
			errs = append(errs, fmt.Errorf("%s: unknown field", name))
		}
	}
	for _, f := range spec {
		v, set := values[f.Name]
		if !set || v == nil {
			if f.Required {
				errs = append(errs, fmt.Errorf("%s: required field is missing", f.Name))
				continue
			}
			if f.Default == nil {
				continue
			}
			v = f.Default
		}
		cv, err := coerce(f, v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.Name, err))
			continue
		}
		out[f.Name] = cv
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &Config{values: out}, nil
}

// ParseConfigJSON decodes a JSON object (what the host sends to Configure)
// and checks it against spec.
func ParseConfigJSON(spec ConfigSpec, data []byte) (*Config, error) {
	values := map[string]any{}
	if len(bytes.TrimSpace(data)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if err := dec.Decode(&values); err != nil {
			return nil, fmt.Errorf("config is not a JSON object: %w", err)
		}
	}
	return NewConfig(spec, values)
}

// IsSet reports whether name has a value (set by the operator or defaulted).
func (c *Config) IsSet(name string) bool { _, ok := c.values[name]; return ok }

// String returns a string field.
func (c *Config) String(name string) string { v, _ := c.values[name].(string); return v }

// Int returns an int field.
func (c *Config) Int(name string) int64 { v, _ := c.values[name].(int64); return v }

// Float returns a float field.
func (c *Config) Float(name string) float64 { v, _ := c.values[name].(float64); return v }

// Bool returns a bool field.
func (c *Config) Bool(name string) bool { v, _ := c.values[name].(bool); return v }

// Duration returns a duration field.
func (c *Config) Duration(name string) time.Duration {
	v, _ := c.values[name].(time.Duration)
	return v
}

// StringList returns a list(string) field.
func (c *Config) StringList(name string) []string {
	v, _ := c.values[name].([]string)
	return slices.Clone(v)
}

// coerce converts v to the canonical Go type for f.Type: string, int64,
// float64, bool, time.Duration or []string.
func coerce(f ConfigField, v any) (any, error) {
	switch f.Type {
	case FieldString:
		if s, ok := v.(string); ok {
			return s, nil
		}
	case FieldBool:
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case FieldInt:
		if n, ok := toFloat(v); ok {
			if n != math.Trunc(n) || math.Abs(n) > 1<<53 {
				return nil, fmt.Errorf("want a whole number, got %v", v)
			}
			return int64(n), nil
		}
	case FieldFloat:
		if n, ok := toFloat(v); ok {
			return n, nil
		}
	case FieldDuration:
		switch d := v.(type) {
		case time.Duration:
			return d, nil
		case string:
			parsed, err := time.ParseDuration(d)
			if err != nil {
				return nil, fmt.Errorf("want a duration such as \"250ms\" or \"1m30s\", got %q", d)
			}
			return parsed, nil
		}
	case FieldStringList:
		switch l := v.(type) {
		case []string:
			return slices.Clone(l), nil
		case []any:
			out := make([]string, len(l))
			for i, e := range l {
				s, ok := e.(string)
				if !ok {
					return nil, fmt.Errorf("element %d: want a string, got %T", i, e)
				}
				out[i] = s
			}
			return out, nil
		}
	}
	return nil, fmt.Errorf("want %s, got %T", f.Type, v)
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case float64:
		return n, true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}
