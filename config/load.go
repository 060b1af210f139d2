package config

import (
	_ "embed"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
)

// The file structs mirror the runtime structs field for field (by Go name)
// with every attribute an *attr[T], so that a file that leaves a setting
// out is told apart from one that sets it to its zero value. They exist
// only between decoding a file and merging it.
type (
	fileConfig struct {
		DataDir    *attr[string]     `hcl:"data_dir"`
		LogLevel   *attr[string]     `hcl:"log_level"`
		LogFormat  *attr[string]     `hcl:"log_format"`
		PluginDirs *attr[searchPath] `hcl:"plugin_dir"`
		API        *fileAPI          `hcl:"api,block"`
		Stats      *fileStats        `hcl:"stats,block"`
		Cache      *fileCache        `hcl:"cache,block"`
		Platforms  []*filePlatform   `hcl:"platform,block"`
		EventSinks []*fileEventSink  `hcl:"event_sink,block"`
		Cluster    *fileCluster      `hcl:"cluster,block"`
	}
	fileStats struct {
		Retention *attr[time.Duration] `hcl:"retention"`
	}
	fileAPI struct {
		Address           *attr[string]        `hcl:"address"`
		Token             *attr[Secret]        `hcl:"token"`
		ReadHeaderTimeout *attr[time.Duration] `hcl:"read_header_timeout"`
		ReadTimeout       *attr[time.Duration] `hcl:"read_timeout"`
		IdleTimeout       *attr[time.Duration] `hcl:"idle_timeout"`
		MaxConns          *attr[int]           `hcl:"max_conns"`
		InsecureBind      *attr[bool]          `hcl:"insecure_bind"`
		TLS               *fileAPITLS          `hcl:"tls,block"`
		Tokens            []*fileScopedToken   `hcl:"scoped_token,block"`
		UnixSocket        *attr[string]        `hcl:"unix_socket"`
		UnixSocketMode    *attr[string]        `hcl:"unix_socket_mode"`
	}
	fileScopedToken struct {
		Secret    *attr[Secret] `hcl:"secret"`
		Scope     *attr[string] `hcl:"scope"`
		DeclRange hcl.Range     `hcl:",def_range"`
	}
	fileAPITLS struct {
		CertFile     *attr[string] `hcl:"cert_file"`
		KeyFile      *attr[string] `hcl:"key_file"`
		ClientCAFile *attr[string] `hcl:"client_ca_file"`
	}
	filePlatform struct {
		Plugin         string               `hcl:"plugin,label"`
		Name           string               `hcl:"name,label"`
		PluginSHA256   *attr[sha256Pin]     `hcl:"plugin_sha256"`
		PluginPassEnv  *attr[[]string]      `hcl:"plugin_pass_env"`
		Timeout        *attr[time.Duration] `hcl:"timeout"`
		Concurrency    *attr[int]           `hcl:"concurrency"`
		RateLimit      *fileRateLimit       `hcl:"rate_limit,block"`
		AdaptiveRate   *attr[bool]          `hcl:"adaptive_rate"`
		Retry          *fileRetry           `hcl:"retry,block"`
		CircuitBreaker *fileCircuitBreaker  `hcl:"circuit_breaker,block"`
		Restart        *fileRestart         `hcl:"restart,block"`
		Config         hcl.Body             `hcl:"config,block"`
		DeclRange      hcl.Range            `hcl:",def_range"`
	}
	fileRateLimit struct {
		Rate  *attr[float64] `hcl:"rate,required"`
		Burst *attr[int]     `hcl:"burst,required"`
	}
	fileRetry struct {
		MaxAttempts     *attr[int]           `hcl:"max_attempts"`
		BaseDelay       *attr[time.Duration] `hcl:"base_delay"`
		MaxDelay        *attr[time.Duration] `hcl:"max_delay"`
		BudgetPercent   *attr[float64]       `hcl:"budget_percent"`
		BudgetMinPerSec *attr[float64]       `hcl:"budget_min_per_sec"`
	}
	fileCircuitBreaker struct {
		Window       *attr[time.Duration] `hcl:"window"`
		MinCalls     *attr[int]           `hcl:"min_calls"`
		FailureRatio *attr[float64]       `hcl:"failure_ratio"`
		Cooldown     *attr[time.Duration] `hcl:"cooldown"`
		Probes       *attr[int]           `hcl:"probes"`
	}
	fileRestart struct {
		Attempts *attr[int]           `hcl:"attempts"`
		Interval *attr[time.Duration] `hcl:"interval"`
		Delay    *attr[time.Duration] `hcl:"delay"`
		Mode     *attr[string]        `hcl:"mode"`
	}
)

// devFilename names the built-in dev overrides in diagnostics.
const devFilename = "<dev>"

//go:embed dev.hcl
var devSource []byte

// Sources holds the parsed files a configuration came from, by file name,
// so that diagnostics can be printed with the lines they point at.
type Sources struct {
	Files map[string]*hcl.File
}

// WriteDiagnostics prints diags as HCL does: each with its file, line and
// a snippet of the source, in color if asked. s may be nil; diagnostics
// are then printed without snippets.
func (s *Sources) WriteDiagnostics(w io.Writer, diags hcl.Diagnostics, color bool) error {
	var files map[string]*hcl.File
	if s != nil {
		files = s.Files
	}
	return hcl.NewDiagnosticTextWriter(w, files, 78, color).WriteDiagnostics(diags)
}

// Load reads the files at paths, in order, and merges each onto Default().
// A path may be a file or a directory, which stands for the *.hcl files in
// it sorted by name (not its subdirectories). Settings set again by a later
// file win; the api block merges setting by setting; platform blocks
// accumulate.
//
// Load reports what is wrong with each file on its own (syntax, unknown
// names, types, values) and keeps going, so one run shows every error.
// What needs the whole configuration, such as duplicate platform names or
// missing plugins, is left to Validate. When diags has errors the Config
// is incomplete: it may still be validated, to report more in the same
// run, but not run.
func Load(paths ...string) (*Config, *Sources, hcl.Diagnostics) {
	return load(paths, false)
}

// LoadDev is Load onto Dev() instead of Default(): the agent's -dev mode,
// where files may add platforms or change settings but state stays in
// memory. The returned Sources include the built-in overrides.
func LoadDev(paths ...string) (*Config, *Sources, hcl.Diagnostics) {
	return load(paths, true)
}

func load(paths []string, dev bool) (*Config, *Sources, hcl.Diagnostics) {
	cfg := Default()
	parser := hclparse.NewParser()
	var diags hcl.Diagnostics
	if dev {
		cfg.InMemory = true
		file, d := parser.ParseHCL(devSource, devFilename)
		diags = append(diags, d...)
		if !d.HasErrors() {
			diags = append(diags, mergeFile(cfg, file.Body, devFilename)...)
		}
	}
	files, d := configFiles(paths)
	diags = append(diags, d...)
	for _, name := range files {
		file, d := parser.ParseHCLFile(name)
		diags = append(diags, d...)
		if d.HasErrors() {
			cfg.unparsed = true
			continue // a file that does not parse would only add noise
		}
		if _, ok := cfg.ranges[""]; !ok {
			cfg.setRange("", file.Body.MissingItemRange())
		}
		diags = append(diags, mergeFile(cfg, file.Body, name)...)
	}
	cfg.resolveAlertRules()
	cfg.clusterDefaults()
	return cfg, &Sources{Files: parser.Files()}, diags
}

// mergeFile decodes one file and merges what it sets onto cfg. A file with
// errors is still merged as far as it decoded, so that Validate can report
// on the rest in the same run.
func mergeFile(cfg *Config, body hcl.Body, filename string) hcl.Diagnostics {
	var fc fileConfig
	body, diags := cfg.decodeSyncs(body, evalContext(filename))
	body, d := cfg.decodeAlerting(body, evalContext(filename))
	diags = append(diags, d...)
	diags = append(diags, decodeBody(body, evalContext(filename), reflect.ValueOf(&fc).Elem())...)
	sortDiagnostics(diags)
	merge(reflect.ValueOf(cfg).Elem(), reflect.ValueOf(fc), cfg, "")
	return diags
}

// configFiles expands directories in paths into the *.hcl files they hold,
// sorted by name; hidden files are skipped, as editors leave them behind.
func configFiles(paths []string) ([]string, hcl.Diagnostics) {
	var files []string
	var diags hcl.Diagnostics
	for _, path := range paths {
		info, err := os.Stat(path)
		if err != nil || !info.IsDir() {
			files = append(files, path) // the parser reports what is wrong
			continue
		}
		entries, err := os.ReadDir(path)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Failed to read directory",
				Detail:   "The configuration directory could not be read: " + err.Error() + ".",
			})
			continue
		}
		found := 0
		for _, e := range entries {
			name := e.Name()
			if e.IsDir() || strings.HasPrefix(name, ".") || filepath.Ext(name) != ".hcl" {
				continue
			}
			files = append(files, filepath.Join(path, name))
			found++
		}
		if found == 0 {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagWarning,
				Summary:  "Empty configuration directory",
				Detail:   "The directory " + path + " holds no *.hcl files, so it adds nothing to the configuration.",
			})
		}
	}
	return files, diags
}
