package config

import (
	"cmp"
	"encoding/hex"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// attr is one attribute of a file struct: nil while the file does not set
// it, else its value and where the value was written. The pointer is what
// lets "unset" differ from a zero value when files are merged.
type attr[T any] struct {
	val T
	rng hcl.Range
	bad bool // the value was written but could not be decoded
}

// setting is what the decoder and merge need from an *attr[T] whatever T.
type setting interface {
	decode(name string, expr hcl.Expression, ctx *hcl.EvalContext) (bool, hcl.Diagnostics)
	value() reflect.Value
	where() hcl.Range
	// failed reports a value that was written but did not decode: it
	// was reported, and checks of its value would only repeat that.
	failed() bool
}

func (a *attr[T]) decode(name string, expr hcl.Expression, ctx *hcl.EvalContext) (bool, hcl.Diagnostics) {
	a.rng = expr.Range()
	_, sensitive := any(a.val).(Secret)
	set, diags := decodeValue(name, expr, ctx, &a.val, sensitive)
	a.bad = !set && diags.HasErrors()
	return set, diags
}

func (a *attr[T]) value() reflect.Value { return reflect.ValueOf(a.val) }
func (a *attr[T]) where() hcl.Range     { return a.rng }
func (a *attr[T]) failed() bool         { return a.bad }

// sha256Pin is a SHA-256 digest written as 64 hex digits.
type sha256Pin []byte

// searchPath is a list of directories, written as a list of strings or,
// for one directory, as a single string.
type searchPath []string

var (
	settingType = reflect.TypeFor[setting]()
	bodyType    = reflect.TypeFor[hcl.Body]()
)

// maxWhole bounds whole numbers to what a float64, and so JSON, holds
// exactly: plugin config travels to plugins as JSON.
const maxWhole = 1 << 53

// decodeValue evaluates expr and stores the result in dst, which points to
// one of the types a setting can have. It reports false, with no error, for
// null: an attribute set to null is treated as unset. name is the
// attribute's, for messages; every diagnostic points at expr. Messages quote
// a value that does not parse, since it may come from env() or file() and
// not be visible in the source, unless the attribute is sensitive.
func decodeValue(name string, expr hcl.Expression, ctx *hcl.EvalContext, dst any, sensitive bool) (bool, hcl.Diagnostics) {
	v, diags := expr.Value(ctx)
	if diags.HasErrors() || v.IsNull() || !v.IsWhollyKnown() {
		return false, diags
	}
	want := cty.String
	switch dst.(type) {
	case *int, *int64, *float64:
		want = cty.Number
	case *bool:
		want = cty.Bool
	case *[]string:
		want = cty.List(cty.String)
	case *searchPath:
		want = cty.List(cty.String)
		if v.Type() == cty.String {
			v = cty.ListVal([]cty.Value{v})
		}
	}
	v, err := convert.Convert(v, want)
	if err != nil {
		return false, append(diags, invalidValue("Incorrect attribute value type", name, expr, err.Error()))
	}
	summary, problem := "Incorrect attribute value type", ""
	quoted := func(s string) string {
		if sensitive {
			return "the " + redacted + " value"
		}
		return strconv.Quote(s)
	}
	switch d := dst.(type) {
	case *string:
		*d = v.AsString()
	case *Secret:
		*d = Secret(v.AsString())
	case *bool:
		*d = v.True()
	case *float64:
		f, _ := v.AsBigFloat().Float64()
		if math.IsInf(f, 0) {
			problem = "a finite number is required"
		}
		*d = f
	case *int:
		var n int64
		n, problem = wholeNumber(v)
		*d = int(n)
	case *int64:
		*d, problem = wholeNumber(v)
	case *time.Duration:
		s := v.AsString()
		if *d, err = time.ParseDuration(s); err != nil {
			summary, problem = "Invalid duration", quoted(s)+
				` is not a duration. Write a number followed by a unit, such as "250ms", "10s" or "1m30s" (units: ns, us, ms, s, m, h)`
		}
	case *[]string:
		list := make([]string, 0, v.LengthInt())
		for _, e := range v.AsValueSlice() {
			if e.IsNull() {
				problem = "the list must not hold null"
				break
			}
			list = append(list, e.AsString())
		}
		*d = list
	case *searchPath:
		for _, e := range v.AsValueSlice() {
			if e.IsNull() || e.AsString() == "" {
				problem = "a directory must not be null or empty"
				break
			}
			*d = append(*d, e.AsString())
		}
	case *ByteSize:
		if *d, err = parseByteSize(v.AsString()); err != nil {
			summary, problem = "Invalid size", quoted(v.AsString())+` is not a size. Write a whole number of bytes with an optional unit, such as "64MiB", "512KB" or "1048576" (units: B, KB, MB, GB, KiB, MiB, GiB)`
		}
	case *sha256Pin:
		s := v.AsString()
		b, err := hex.DecodeString(s)
		if err != nil || len(b) != 32 {
			summary, problem = "Invalid SHA-256 digest",
				`want the 64 hexadecimal digits that "sha256sum <plugin binary>" prints, not `+quoted(s)
		}
		*d = b
	default:
		panic(fmt.Sprintf("config: no decoder for %T", dst))
	}
	if problem != "" {
		return false, append(diags, invalidValue(summary, name, expr, problem))
	}
	return true, diags
}

func wholeNumber(v cty.Value) (int64, string) {
	f := v.AsBigFloat()
	n, acc := f.Int64()
	switch {
	case !f.IsInt():
		return 0, "a whole number is required"
	case acc != big.Exact || n > maxWhole || n < -maxWhole:
		return 0, fmt.Sprintf("a whole number between %d and %d is required", -maxWhole, maxWhole)
	}
	return n, ""
}

// invalidValue is an error about the value of attribute name, in the words
// hcldec uses, pointing at the whole expression.
func invalidValue(summary, name string, expr hcl.Expression, problem string) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf("Inappropriate value for attribute %q: %s.", name, problem),
		Subject:  expr.Range().Ptr(),
	}
}

// field is one tagged field of a file struct. The tags are:
//
//	hcl:"name"           an optional attribute, on an *attr[T]
//	hcl:"name,required"  a required attribute, on an *attr[T]
//	hcl:"name,block"     a nested block: *struct for at most one, []*struct
//	                     for any number, hcl.Body to keep its body raw
//	hcl:"name,label"     the next label of the block, on a string
//	hcl:",def_range"     the block's header, on an hcl.Range
type field struct {
	index int
	name  string
	kind  string // "attr", "required", "block", "label" or "def_range"
}

func fieldsOf(t reflect.Type) []field {
	var out []field
	for i := range t.NumField() {
		tag, ok := t.Field(i).Tag.Lookup("hcl")
		if !ok {
			continue
		}
		name, kind, _ := strings.Cut(tag, ",")
		out = append(out, field{index: i, name: name, kind: cmp.Or(kind, "attr")})
	}
	return out
}

// schemaOf derives the body schema of a file struct from its tags, so that
// the schema and the struct cannot disagree.
func schemaOf(t reflect.Type) *hcl.BodySchema {
	schema := &hcl.BodySchema{}
	for _, f := range fieldsOf(t) {
		switch f.kind {
		case "attr", "required":
			schema.Attributes = append(schema.Attributes, hcl.AttributeSchema{Name: f.name, Required: f.kind == "required"})
		case "block":
			var labels []string
			if elem := blockStruct(t.Field(f.index).Type); elem != nil {
				for _, l := range fieldsOf(elem) {
					if l.kind == "label" {
						labels = append(labels, l.name)
					}
				}
			}
			schema.Blocks = append(schema.Blocks, hcl.BlockHeaderSchema{Type: f.name, LabelNames: labels})
		}
	}
	return schema
}

// schemaNames lists the attributes and block types schema takes.
func schemaNames(schema *hcl.BodySchema) []string {
	var names []string
	for _, a := range schema.Attributes {
		names = append(names, a.Name)
	}
	for _, b := range schema.Blocks {
		names = append(names, b.Type)
	}
	return names
}

// blockStruct is the struct a block field decodes into, nil for a raw body.
func blockStruct(t reflect.Type) reflect.Type {
	if t == bodyType {
		return nil
	}
	if t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	return t.Elem()
}

// decodeBody decodes body into the file struct dst, following its tags.
// Unknown attributes and blocks, missing required ones, wrong label counts
// and bad values all come back as diagnostics with ranges; the decoder
// keeps going after an error so that one run reports them all.
func decodeBody(body hcl.Body, ctx *hcl.EvalContext, dst reflect.Value) hcl.Diagnostics {
	schema := schemaOf(dst.Type())
	content, diags := body.Content(schema)
	suggestNames(diags, schemaNames(schema), "")
	for _, f := range fieldsOf(dst.Type()) {
		fv := dst.Field(f.index)
		switch f.kind {
		case "attr", "required":
			a := content.Attributes[f.name]
			if a == nil {
				continue
			}
			s := reflect.New(fv.Type().Elem())
			set, d := s.Interface().(setting).decode(f.name, a.Expr, ctx)
			diags = append(diags, d...)
			if set || d.HasErrors() {
				fv.Set(s) // a value that failed is kept, marked, for merge
			}
		case "block":
			diags = append(diags, decodeBlocks(content.Blocks.OfType(f.name), body, ctx, fv)...)
		}
	}
	return diags
}

func decodeBlocks(blocks hcl.Blocks, parent hcl.Body, ctx *hcl.EvalContext, dst reflect.Value) hcl.Diagnostics {
	if dst.Kind() != reflect.Slice && len(blocks) > 1 {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  fmt.Sprintf("Duplicate %s block", blocks[1].Type),
			Detail:   fmt.Sprintf("Only one %s block is allowed here. Another was defined at %s.", blocks[1].Type, blocks[0].DefRange),
			Subject:  blocks[1].DefRange.Ptr(),
		}}
	}
	var diags hcl.Diagnostics
	switch {
	case dst.Type() == bodyType && len(blocks) == 0:
		// An absent block reads as an empty one that sits where the
		// parent's missing items do, so a "missing required argument" found
		// later still points into the right block.
		missing := parent.MissingItemRange()
		dst.Set(reflect.ValueOf(&hclsyntax.Body{SrcRange: missing, EndRange: missing}))
	case dst.Type() == bodyType:
		dst.Set(reflect.ValueOf(blocks[0].Body))
	case dst.Kind() == reflect.Slice:
		for _, b := range blocks {
			elem := reflect.New(dst.Type().Elem().Elem())
			diags = append(diags, decodeBlock(b, ctx, elem.Elem())...)
			dst.Set(reflect.Append(dst, elem))
		}
	case len(blocks) == 1:
		elem := reflect.New(dst.Type().Elem())
		diags = append(diags, decodeBlock(blocks[0], ctx, elem.Elem())...)
		dst.Set(elem)
	}
	return diags
}

func decodeBlock(b *hcl.Block, ctx *hcl.EvalContext, dst reflect.Value) hcl.Diagnostics {
	labels := b.Labels
	for _, f := range fieldsOf(dst.Type()) {
		switch {
		case f.kind == "label" && len(labels) > 0:
			dst.Field(f.index).SetString(labels[0])
			labels = labels[1:]
		case f.kind == "def_range":
			dst.Field(f.index).Set(reflect.ValueOf(b.DefRange))
		}
	}
	return decodeBody(b.Body, ctx, dst)
}

// sortDiagnostics puts diagnostics in source order, which is the order an
// operator reads the file in; those without a subject come first.
func sortDiagnostics(diags hcl.Diagnostics) {
	slices.SortStableFunc(diags, func(a, b *hcl.Diagnostic) int {
		return cmp.Compare(offset(a), offset(b))
	})
}

func offset(d *hcl.Diagnostic) int {
	if d.Subject == nil {
		return -1
	}
	return d.Subject.Start.Byte
}
