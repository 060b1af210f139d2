package command

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/marketsync/marketsync/config"
)

// FmtCommand rewrites config files in the canonical HCL style.
type FmtCommand struct {
	Meta
}

func (c *FmtCommand) Synopsis() string { return "Rewrite config files in the canonical style" }

func (c *FmtCommand) Help() string {
	return strings.TrimSpace(`
Usage: marketsync fmt [-check] [PATH...]

  Rewrites HCL config files in the canonical style (hclwrite), in place, and
  lists the files it changed. A directory means its *.hcl files; no path
  means the current directory; "-" reads standard input and writes the
  result to standard output.

Options:

  -check
    Change nothing: list the files that are not formatted and exit 3 if
    there are any.`)
}

func (c *FmtCommand) Run(args []string) int {
	var check bool
	f := flag.NewFlagSet("fmt", flag.ContinueOnError)
	f.SetOutput(io.Discard)
	f.BoolVar(&check, "check", false, "")
	paths, err := c.parse(f, args, func([]string) error { return nil })
	if err != nil {
		return c.exit(err)
	}
	if len(paths) == 1 && paths[0] == "-" {
		src, err := io.ReadAll(c.Stdin)
		if err != nil {
			return c.exit(err)
		}
		out, diags := config.Format(src, "<stdin>")
		if diags.HasErrors() {
			return c.diagnostics(&config.Sources{Files: map[string]*hcl.File{"<stdin>": {Bytes: src}}}, diags)
		}
		fmt.Fprint(c.Stdout, string(out))
		return 0
	}
	if len(paths) == 0 {
		paths = []string{"."}
	}
	files, err := hclFiles(paths)
	if err != nil {
		return c.exit(err)
	}
	unformatted := 0
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			return c.exit(err)
		}
		out, diags := config.Format(src, file)
		if diags.HasErrors() {
			return c.diagnostics(&config.Sources{Files: map[string]*hcl.File{file: {Bytes: src}}}, diags)
		}
		if bytes.Equal(src, out) {
			continue
		}
		unformatted++
		c.Ui.Output(file)
		if !check {
			if err := os.WriteFile(file, out, 0o644); err != nil {
				return c.exit(err)
			}
		}
	}
	if check && unformatted > 0 {
		return 3
	}
	return 0
}

// hclFiles expands directories to their *.hcl files, sorted.
func hclFiles(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			out = append(out, p)
			continue
		}
		matches, err := filepath.Glob(filepath.Join(p, "*.hcl"))
		if err != nil {
			return nil, err
		}
		out = append(out, matches...)
	}
	return out, nil
}
