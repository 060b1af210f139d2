package logbridge

import (
	"bytes"
	"context"
	"io"
	"log"
	"log/slog"

	"github.com/hashicorp/go-hclog"
)

// Writer turns lines written as "... [LEVEL] text" into slog records at
// that level; a line without a level is logged at info.
type Writer struct{ Log *slog.Logger }

var levels = []struct {
	tag   []byte
	level slog.Level
}{
	{[]byte("[TRACE]"), slog.LevelDebug - 4},
	{[]byte("[DEBUG]"), slog.LevelDebug},
	{[]byte("[INFO]"), slog.LevelInfo},
	{[]byte("[WARN]"), slog.LevelWarn},
	{[]byte("[ERR]"), slog.LevelError},
	{[]byte("[ERROR]"), slog.LevelError},
}

func (w Writer) Write(p []byte) (int, error) {
	for line := range bytes.Lines(p) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		level, msg := slog.LevelInfo, line
		for _, l := range levels {
			if i := bytes.Index(line, l.tag); i >= 0 {
				level, msg = l.level, bytes.TrimSpace(line[i+len(l.tag):])
				break
			}
		}
		w.Log.Log(context.Background(), level, string(msg))
	}
	return len(p), nil
}

// Std is a standard logger that writes through Writer, for memberlist.
func Std(l *slog.Logger) *log.Logger { return log.New(Writer{l}, "", 0) }

// HCLog is an hclog logger that writes through Writer, for raft. Its
// level follows what l lets through.
func HCLog(name string, l *slog.Logger) hclog.Logger {
	level := hclog.Info
	if l.Enabled(context.Background(), slog.LevelDebug) {
		level = hclog.Debug
	}
	return hclog.New(&hclog.LoggerOptions{Name: name, Output: io.Writer(Writer{l}), Level: level, DisableTime: true})
}
