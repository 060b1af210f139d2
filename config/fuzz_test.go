package config

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/marketsync/marketsync/sdk"
)

// fuzzSpec is a plugin schema with a field of every type, one sensitive.
var fuzzSpec = sdk.ConfigSpec{
	{Name: "secret", Type: sdk.FieldString, Sensitive: true},
	{Name: "region", Type: sdk.FieldString, Default: "CN"},
	{Name: "count", Type: sdk.FieldInt},
	{Name: "ratio", Type: sdk.FieldFloat},
	{Name: "on", Type: sdk.FieldBool},
	{Name: "every", Type: sdk.FieldDuration},
	{Name: "tags", Type: sdk.FieldStringList},
}

// secretMark starts the sensitive values the seed corpus sets: when the
// fuzzer keeps it, the value must not show in any rendering of the config.
const secretMark = "S3CR3T-"

// FuzzDecode feeds arbitrary text to the decoder as a config file: it must
// never panic, whatever the file holds, and a file that decodes must
// validate, log and hand its plugins their config blocks without
// panicking, with sensitive values out of every rendering. Its seed corpus
// is in testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, src []byte) {
		file, diags := hclparse.NewParser().ParseHCL(src, "fuzz.hcl")
		if diags.HasErrors() {
			return
		}
		cfg := Default()
		cfg.PluginDirs = []string{dir}
		if mergeFile(cfg, file.Body, "fuzz.hcl").HasErrors() {
			return
		}
		_ = cfg.Validate()
		var log strings.Builder
		slog.New(slog.NewTextHandler(&log, nil)).Info("config", "config", cfg)
		for _, p := range cfg.Platforms {
			pc, diags := DecodePluginConfig(p.Config, fuzzSpec)
			if diags.HasErrors() {
				continue
			}
			var values map[string]any
			if err := json.Unmarshal(pc.JSON(), &values); err != nil {
				t.Fatalf("plugin config JSON %s: %v", pc.JSON(), err)
			}
			secret, _ := values["secret"].(string)
			if !strings.HasPrefix(secret, secretMark) || elsewhere(values, secret) {
				continue
			}
			var out strings.Builder
			slog.New(slog.NewJSONHandler(&out, nil)).Info("config", "config", pc)
			fmt.Fprint(&out, pc, fmt.Sprintf("%v %+v %#v", pc, pc, pc))
			if strings.Contains(out.String(), secret) {
				t.Fatalf("the sensitive value %q shows in %s", secret, out.String())
			}
		}
	})
}

// elsewhere reports whether a field other than secret holds s.
func elsewhere(values map[string]any, s string) bool {
	for k, v := range values {
		if k != "secret" && strings.Contains(fmt.Sprint(v), s) {
			return true
		}
	}
	return false
}
