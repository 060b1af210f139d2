package config

import (
	"bytes"
	"reflect"
	"slices"

	"github.com/hashicorp/hcl/v2"
)

// reloadable are the agent settings, by path, that a running agent takes
// on a reload. Every other agent setting needs a restart: a new one is
// frozen unless it is added here, which is the safe default. Platform
// blocks are compared one by one (Platform.SameSettings) and each is
// restarted on its own; the alerting configuration is taken as it is, and
// the agent replaces its alert manager when Alerting.SameAs says it
// changed.
var reloadable = map[string]bool{"log_level": true, "platform": true, "event_sink": true}

// Reloadable returns next as an agent running on c can take it without a
// restart: every agent setting that needs a restart keeps c's value. It
// also returns the paths of those that next changes ("data_dir",
// "api.address"), sorted as the file structs declare them, so the caller
// can say they wait for a restart. Neither c nor next is modified.
func (c *Config) Reloadable(next *Config) (*Config, []string) {
	out := *next
	var frozen []string
	keepFrozen(reflect.ValueOf(&out).Elem(), reflect.ValueOf(c).Elem(), reflect.TypeFor[fileConfig](), "", &frozen)
	if !sameSyncs(c.Syncs, next.Syncs) {
		frozen, out.Syncs = append(frozen, "sync"), c.Syncs
	}
	return &out, frozen
}

// keepFrozen walks the file struct type, which names every setting, and
// copies old's value of each frozen one into dst. It pairs fields by Go
// name as merge does, so a new setting cannot be forgotten here.
func keepFrozen(dst, old reflect.Value, file reflect.Type, prefix string, frozen *[]string) {
	for _, f := range fieldsOf(file) {
		path := prefix + f.name
		if reloadable[path] {
			continue
		}
		goName := file.Field(f.index).Name
		d, o := dst.FieldByName(goName), old.FieldByName(goName)
		if f.kind == "block" && d.Kind() == reflect.Struct {
			keepFrozen(d, o, blockStruct(file.Field(f.index).Type), path+".", frozen)
			continue
		}
		if !reflect.DeepEqual(d.Interface(), o.Interface()) {
			*frozen = append(*frozen, path)
			d.Set(o)
		}
	}
}

// SameSettings reports whether p and q set every setting alike, their
// config {} bodies aside: a body is raw HCL that only the plugin's schema
// can decode, so callers compare the decoded PluginConfigs. Where the
// block was written does not count: moving it to another file changes
// nothing.
func (p Platform) SameSettings(q Platform) bool {
	for _, x := range []*Platform{&p, &q} {
		x.Config, x.DeclRange, x.ranges = nil, hcl.Range{}, nil
	}
	return reflect.DeepEqual(p, q)
}

// Equal reports whether c and o give the plugin the same config: the same
// JSON, secrets included, so a rotated secret read with file() or env()
// counts as a change.
func (c *PluginConfig) Equal(o *PluginConfig) bool {
	if c == nil || o == nil {
		return c == o
	}
	return bytes.Equal(c.JSON(), o.JSON())
}

// sameSyncs reports whether two lists of sync blocks set every setting
// alike, wherever in the files they were written.
func sameSyncs(a, b []Sync) bool {
	strip := func(in []Sync) []Sync {
		out := slices.Clone(in)
		for i := range out {
			out[i].DeclRange, out[i].ranges = hcl.Range{}, nil
		}
		return out
	}
	return reflect.DeepEqual(strip(a), strip(b))
}
