package host

import (
	"context"
	"io"
	"log"
	"log/slog"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/hashicorp/go-hclog"
)

// slogLogger lets go-plugin, which logs through hclog, write into the
// host's slog logger: its own messages and every line a plugin writes on
// standard error (hclog JSON lines keep their level and fields).
type slogLogger struct {
	l     *slog.Logger
	name  string
	args  []any
	level hclog.Level
	flood *floodGate
}

func newHCLogger(l *slog.Logger) hclog.Logger {
	return &slogLogger{l: l, level: hclog.Debug, flood: newFloodGate()}
}

// floodGate keeps a plugin that logs in a loop from drowning the agent's
// log (and its disk): one plugin gets logLinesPerSecond lines, bursts of
// logBurst; the rest are counted and the count is logged once lines flow
// again. It is shared by every logger derived from one plugin's.
type floodGate struct {
	limit   *rate.Limiter
	dropped atomic.Int64
	now     func() time.Time
}

const (
	logLinesPerSecond = 100
	logBurst          = 500
)

func newFloodGate() *floodGate {
	return &floodGate{limit: rate.NewLimiter(logLinesPerSecond, logBurst), now: time.Now}
}

// admit says whether a line may be logged, and how many were dropped
// before it (to be reported first).
func (g *floodGate) admit() (ok bool, droppedBefore int64) {
	if !g.limit.AllowN(g.now(), 1) {
		g.dropped.Add(1)
		return false, 0
	}
	return true, g.dropped.Swap(0)
}

var _ hclog.Logger = (*slogLogger)(nil)

func slogLevel(level hclog.Level) slog.Level {
	switch level {
	case hclog.Trace:
		return slog.LevelDebug - 4
	case hclog.Debug:
		return slog.LevelDebug
	case hclog.Warn:
		return slog.LevelWarn
	case hclog.Error:
		return slog.LevelError
	}
	return slog.LevelInfo
}

func (s *slogLogger) Log(level hclog.Level, msg string, args ...any) {
	if level == hclog.Off || level < s.level {
		return
	}
	ok, dropped := s.flood.admit()
	if !ok {
		return
	}
	if dropped > 0 {
		s.l.Warn("plugin logs too fast; lines dropped", "dropped", dropped, "limit_per_second", logLinesPerSecond)
	}
	l := s.l
	if s.name != "" {
		l = l.With("module", s.name)
	}
	if len(s.args) > 0 {
		l = l.With(s.args...)
	}
	l.Log(context.Background(), slogLevel(level), msg, args...)
}

func (s *slogLogger) Trace(msg string, args ...any) { s.Log(hclog.Trace, msg, args...) }
func (s *slogLogger) Debug(msg string, args ...any) { s.Log(hclog.Debug, msg, args...) }
func (s *slogLogger) Info(msg string, args ...any)  { s.Log(hclog.Info, msg, args...) }
func (s *slogLogger) Warn(msg string, args ...any)  { s.Log(hclog.Warn, msg, args...) }
func (s *slogLogger) Error(msg string, args ...any) { s.Log(hclog.Error, msg, args...) }

func (s *slogLogger) enabled(level hclog.Level) bool {
	return level >= s.level && s.l.Enabled(context.Background(), slogLevel(level))
}

func (s *slogLogger) IsTrace() bool { return s.enabled(hclog.Trace) }
func (s *slogLogger) IsDebug() bool { return s.enabled(hclog.Debug) }
func (s *slogLogger) IsInfo() bool  { return s.enabled(hclog.Info) }
func (s *slogLogger) IsWarn() bool  { return s.enabled(hclog.Warn) }
func (s *slogLogger) IsError() bool { return s.enabled(hclog.Error) }

func (s *slogLogger) ImpliedArgs() []any { return s.args }

func (s *slogLogger) With(args ...any) hclog.Logger {
	c := *s
	c.args = append(append([]any(nil), s.args...), args...)
	return &c
}

func (s *slogLogger) Name() string { return s.name }

func (s *slogLogger) Named(name string) hclog.Logger {
	c := *s
	if c.name != "" {
		c.name += "." + name
	} else {
		c.name = name
	}
	return &c
}

func (s *slogLogger) ResetNamed(name string) hclog.Logger {
	c := *s
	c.name = name
	return &c
}

func (s *slogLogger) SetLevel(level hclog.Level) { s.level = level }
func (s *slogLogger) GetLevel() hclog.Level      { return s.level }

func (s *slogLogger) StandardLogger(opts *hclog.StandardLoggerOptions) *log.Logger {
	return slog.NewLogLogger(s.l.Handler(), slog.LevelInfo)
}

func (s *slogLogger) StandardWriter(opts *hclog.StandardLoggerOptions) io.Writer {
	return s.StandardLogger(opts).Writer()
}
