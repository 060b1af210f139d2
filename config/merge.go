package config

import (
	"fmt"
	"reflect"

	"github.com/hashicorp/hcl/v2"
)

// recorder is a runtime struct that keeps where its settings were written:
// Config, and each Platform for the settings inside its block.
type recorder interface {
	setRange(key string, r hcl.Range)
	// setFailed records a setting written at r that did not decode.
	setFailed(key string, r hcl.Range)
}

// defaulter is a runtime struct that a repeated block creates, which needs
// its defaults before the block is merged onto it.
type defaulter interface {
	setDefaults()
}

// merge lays the file struct src over the runtime struct dst. It is the
// only merge there is: files, the dev overrides and (later) command-line
// flags all go through it, so a new setting needs a field in the file
// struct and one in the runtime struct of the same Go name, and nothing
// else. The rules follow the kind of the src field:
//
//   - an attribute (*attr[T]) that is set replaces dst's value, and its
//     range is recorded under its path (prefix + name); one whose value
//     did not decode leaves dst's value and is recorded as failed;
//   - a single block (*struct) merges field by field into dst's struct,
//     allocating dst when it is a nil pointer;
//   - a repeated block ([]*struct) appends one new element per block,
//     defaults first, so blocks accumulate across files;
//   - anything else (labels, ranges, raw bodies) is copied when non-zero.
//
// A src field without a dst field of the same name is a programming error
// and panics; every load exercises every field, so tests catch it.
func merge(dst, src reflect.Value, rec recorder, prefix string) {
	for _, f := range fieldsOf(src.Type()) {
		sv := src.Field(f.index)
		if sv.IsZero() {
			continue // unset: the file said nothing, dst keeps its value
		}
		goName := src.Type().Field(f.index).Name
		dv := dst.FieldByName(goName)
		if !dv.IsValid() {
			panic(fmt.Sprintf("config: %s has no field %s to merge %s into", dst.Type(), goName, src.Type()))
		}
		switch {
		case sv.Type().Implements(settingType):
			s := sv.Interface().(setting)
			if s.failed() {
				rec.setFailed(prefix+f.name, s.where())
				continue
			}
			dv.Set(s.value().Convert(dv.Type()))
			rec.setRange(prefix+f.name, s.where())
		case f.kind == "block" && sv.Kind() == reflect.Pointer:
			if dv.Kind() == reflect.Pointer {
				if dv.IsNil() {
					dv.Set(reflect.New(dv.Type().Elem()))
				}
				dv = dv.Elem()
			}
			merge(dv, sv.Elem(), rec, prefix+f.name+".")
		case f.kind == "block" && sv.Kind() == reflect.Slice:
			for i := range sv.Len() {
				elem := reflect.New(dv.Type().Elem())
				elemRec, elemPrefix := rec, prefix+f.name+"."
				if d, ok := elem.Interface().(defaulter); ok {
					d.setDefaults()
				}
				if r, ok := elem.Interface().(recorder); ok {
					elemRec, elemPrefix = r, ""
				}
				merge(elem.Elem(), sv.Index(i).Elem(), elemRec, elemPrefix)
				dv.Set(reflect.Append(dv, elem.Elem()))
			}
		default:
			dv.Set(sv)
		}
	}
}
