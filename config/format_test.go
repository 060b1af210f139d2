package config

import (
	"os"
	"testing"
)

func TestFormat(t *testing.T) {
	for name, tc := range map[string]struct {
		src  string
		want string
		diag []string
	}{
		"aligns and indents": {
			src:  "data_dir = \"/x\"\nlog_level=\"info\"\napi {\naddress = \"127.0.0.1:8787\"\n    token= env(\"T\")\n}\n",
			want: "data_dir  = \"/x\"\nlog_level = \"info\"\napi {\n  address = \"127.0.0.1:8787\"\n  token   = env(\"T\")\n}\n",
		},
		"already formatted": {
			src:  "platform \"taobao\" \"shop\" {\n  concurrency = 4\n}\n",
			want: "platform \"taobao\" \"shop\" {\n  concurrency = 4\n}\n",
		},
		"keeps comments": {
			src:  "# state\ndata_dir=\"/x\" # here\n",
			want: "# state\ndata_dir = \"/x\" # here\n",
		},
		"refuses what does not parse": {
			src:  "api {\n  address = \n}\n",
			diag: []string{`agent.hcl:2,13-3,1: Invalid expression: Expected the start of an expression, but found an invalid expression token.`},
		},
	} {
		t.Run(name, func(t *testing.T) {
			got, diags := Format([]byte(tc.src), "agent.hcl")
			checkDiags(t, diags, tc.diag)
			if string(got) != tc.want {
				t.Errorf("Format:\n got  %q\n want %q", got, tc.want)
			}
		})
	}
}

// TestExamplesAreFormatted keeps the files operators copy from in the
// canonical layout.
func TestExamplesAreFormatted(t *testing.T) {
	for _, name := range []string{"dev.hcl", "testdata/production.hcl", "testdata/local.hcl",
		"testdata/conf.d/10-agent.hcl", "testdata/conf.d/20-taobao.hcl", "testdata/conf.d/30-override.hcl"} {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		got, diags := Format(src, name)
		checkDiags(t, diags, nil)
		if string(got) != string(src) {
			t.Errorf("%s is not formatted; it should read:\n%s", name, got)
		}
	}
}
