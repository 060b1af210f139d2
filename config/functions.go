package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// evalContext is the context for every expression in the file filename:
// the functions env and file, and no variables. It depends on the file
// because file() reads paths relative to the file's directory, wherever
// the agent was started from.
func evalContext(filename string) *hcl.EvalContext {
	return &hcl.EvalContext{
		Functions: map[string]function.Function{
			"env":  envFunc,
			"file": fileFunc(filepath.Dir(filename)),
		},
	}
}

// envFunc is env(name) or env(name, default). An unset variable without a
// default is an error rather than "", because an empty token or key is a
// misconfiguration that would otherwise surface much later as an
// authentication failure far from its cause. A variable set to "" counts
// as set.
var envFunc = function.New(&function.Spec{
	Description: "Returns the value of an environment variable, or the default given as a second argument when it is unset.",
	Params:      []function.Parameter{{Name: "name", Type: cty.String}},
	VarParam:    &function.Parameter{Name: "default", Type: cty.String},
	Type:        function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		if len(args) > 2 {
			return cty.NilVal, function.NewArgErrorf(2, "env takes a variable name and at most one default")
		}
		name := args[0].AsString()
		if v, ok := os.LookupEnv(name); ok {
			return cty.StringVal(v), nil
		}
		if len(args) == 2 {
			return args[1], nil
		}
		return cty.NilVal, fmt.Errorf("the environment variable %s is not set; set it, or give a default as a second argument: env(%q, \"\")", name, name)
	},
})

// fileFunc is file(path): the text of a file, with trailing newlines
// trimmed because secrets are usually written with `echo` or an editor
// that adds one. A relative path is read from dir, the config file's
// directory.
func fileFunc(dir string) function.Function {
	return function.New(&function.Spec{
		Description: "Returns the text of a file, trailing newlines trimmed; a relative path is relative to the directory of the config file.",
		Params:      []function.Parameter{{Name: "path", Type: cty.String}},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			path := args[0].AsString()
			where := ""
			if !filepath.IsAbs(path) {
				where = fmt.Sprintf(" (%q is read relative to %s, the directory of this config file)", path, dir)
				path = filepath.Join(dir, path)
			}
			data, err := os.ReadFile(path)
			switch {
			case errors.Is(err, fs.ErrNotExist):
				return cty.NilVal, fmt.Errorf("there is no file at %s%s", path, where)
			case err != nil:
				return cty.NilVal, err
			case !utf8.Valid(data):
				return cty.NilVal, fmt.Errorf("%s is not UTF-8 text", path)
			}
			return cty.StringVal(strings.TrimRight(string(data), "\r\n")), nil
		},
	})
}
