package sdk

import (
	"io"
	"log/slog"
	"os"
	"strings"
)

// stderr is the process's real standard error, captured before Serve
// points os.Stderr at go-plugin's stdio stream. The host parses JSON lines
// written here as log entries with their level.
var stderr io.Writer = os.Stderr

// hclogTimeFormat is the @timestamp layout go-plugin parses (its
// log_entry.go).
const hclogTimeFormat = "2006-01-02T15:04:05.000000Z07:00"

// Logger returns a structured logger for plugin code. It writes hclog's JSON
// format (@level, @message, @timestamp) on standard error, which the host
// reads and re-logs under the platform's name at the right level. Plugins
// must never write to standard output: go-plugin uses it for the handshake.
func Logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) > 0 {
				return a
			}
			switch a.Key {
			case slog.TimeKey:
				// go-plugin's host only reads a log line as hclog's when
				// its timestamp has exactly hclog's layout.
				a.Key = "@timestamp"
				a.Value = slog.StringValue(a.Value.Time().Format(hclogTimeFormat))
			case slog.LevelKey:
				a.Key = "@level"
				a.Value = slog.StringValue(hclogLevel(a.Value.Any().(slog.Level)))
			case slog.MessageKey:
				a.Key = "@message"
			}
			return a
		},
	}))
}

func hclogLevel(l slog.Level) string {
	switch {
	case l < slog.LevelDebug:
		return "trace"
	case l < slog.LevelInfo:
		return "debug"
	case l < slog.LevelWarn:
		return "info"
	case l < slog.LevelError:
		return "warn"
	}
	return strings.ToLower(slog.LevelError.String())
}
