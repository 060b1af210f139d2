package config

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestFileFunction(t *testing.T) {
	dir := inDir(t, map[string]string{
		// A decoy: were paths read from the working directory, this is
		// what the tokens would be.
		"token":                       "from-working-directory\n",
		"etc/marketsync/token":        "from-etc\n\n",
		"etc/marketsync/secrets/crlf": "with-crlf\r\n",
		"etc/marketsync/agent.hcl":    "api {\n  token = file(\"token\")\n}\n",
		"etc/marketsync/nested.hcl":   "api {\n  token = file(\"secrets/crlf\")\n}\n",
		"etc/marketsync/conf.d/a.hcl": "api {\n  token = file(\"../token\")\n}\n",
		"etc/marketsync/conf.d/b.hcl": "data_dir = \"/x\"\n",
		"elsewhere/token":             "elsewhere\n",
	})
	absolute := "api {\n  token = file(\"" + filepath.Join(dir, "elsewhere/token") + "\")\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "etc/marketsync/absolute.hcl"), []byte(absolute), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		path string
		want string
	}{
		// Paths are relative to the config file, not the working directory.
		"relative to the file's directory": {"etc/marketsync/agent.hcl", "from-etc"},
		"in a subdirectory, CRLF trimmed":  {"etc/marketsync/nested.hcl", "with-crlf"},
		"in a file of a directory":         {"etc/marketsync/conf.d", "from-etc"},
		"absolute":                         {"etc/marketsync/absolute.hcl", "elsewhere"},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := mustLoad(t, tc.path)
			if got := cfg.API.Token.Reveal(); got != tc.want {
				t.Errorf("token = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestWriteDiagnostics(t *testing.T) {
	inDir(t, map[string]string{"bad.hcl": "platform \"taobao\" \"shop\" {\n  timeout = \"10 parsecs\"\n}\n"})
	_, sources, diags := Load("bad.hcl")
	var out bytes.Buffer
	if err := sources.WriteDiagnostics(&out, diags, false); err != nil {
		t.Fatal(err)
	}
	want := `Error: Invalid duration

  on bad.hcl line 2, in platform "taobao" "shop":
   2:   timeout = "10 parsecs"

Inappropriate value for attribute "timeout": "10 parsecs" is not a duration.
Write a number followed by a unit, such as "250ms", "10s" or "1m30s" (units:
ns, us, ms, s, m, h).

`
	if out.String() != want {
		t.Errorf("WriteDiagnostics wrote:\n%s\nwant:\n%s", out.String(), want)
	}

	// Without sources there is no snippet, but the place is still named.
	out.Reset()
	if err := (*Sources)(nil).WriteDiagnostics(&out, diags, false); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out.Bytes(), []byte("on bad.hcl line 2:")) || bytes.Contains(out.Bytes(), []byte("   2:")) {
		t.Errorf("WriteDiagnostics without sources wrote:\n%s", out.String())
	}
}
