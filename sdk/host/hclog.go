package host

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/hashicorp/go-hclog"
)

// slogLogger lets go-plugin, which logs through hclog, write into the
// host's slog logger: its own messages and every line a plugin writes on
// standard error (hclog JSON lines keep their level and fields). Every
// line goes through the plugin's redactor first, and through its flood
// gate.
type slogLogger struct {
	l      *slog.Logger
	name   string
	args   []any
	level  hclog.Level
	flood  *floodGate
	redact *redactor
}

func newHCLogger(l *slog.Logger, red *redactor) hclog.Logger {
	return &slogLogger{l: l, level: hclog.Debug, flood: newFloodGate(), redact: red}
}

// floodGate keeps a plugin that logs in a loop from drowning the agent's
// log (and its disk): one plugin gets logLinesPerSecond lines, bursts of
// logBurst; the rest are counted, and the count is reported once per
// dropReportEvery at most, by the first line logged (or dropped) once
// that much time has passed since the first uncounted drop. A flooding
// plugin thus costs logLinesPerSecond lines and one warning per interval.
// It is shared by every logger derived from one plugin's.
type floodGate struct {
	mu      sync.Mutex
	limit   *rate.Limiter
	dropped int64
	since   time.Time // of the first drop not yet reported
	now     func() time.Time
}

const (
	logLinesPerSecond = 100
	logBurst          = 500
	dropReportEvery   = 10 * time.Second
)

func newFloodGate() *floodGate {
	return &floodGate{limit: rate.NewLimiter(logLinesPerSecond, logBurst), now: time.Now}
}

// admit says whether a line may be logged and, when a report is due, how
// many lines were dropped over how long.
func (g *floodGate) admit() (ok bool, dropped int64, over time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	ok = g.limit.AllowN(now, 1)
	if !ok {
		if g.dropped == 0 {
			g.since = now
		}
		g.dropped++
	}
	if g.dropped > 0 && now.Sub(g.since) >= dropReportEvery {
		dropped, over = g.dropped, now.Sub(g.since).Round(time.Second)
		g.dropped = 0
	}
	return ok, dropped, over
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
	ok, dropped, over := s.flood.admit()
	if dropped > 0 {
		s.l.Warn(fmt.Sprintf("plugin %s: %d log lines dropped in the last %s", s.name, dropped, over),
			"dropped", dropped, "limit_per_second", logLinesPerSecond)
	}
	if !ok {
		return
	}
	l := s.l
	if s.name != "" {
		l = l.With("module", s.name)
	}
	if len(s.args) > 0 {
		l = l.With(s.redactArgs(s.args)...)
	}
	l.Log(context.Background(), slogLevel(level), s.redact.text(msg), s.redactArgs(args)...)
}

// redactArgs returns args with sensitive values replaced in every string,
// error and composite value (as its text).
func (s *slogLogger) redactArgs(args []any) []any {
	if s.redact.r.Load() == nil {
		return args
	}
	out := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case string:
			out[i] = s.redact.text(v)
		case error:
			out[i] = s.redact.text(v.Error())
		case map[string]any, []any, fmt.Stringer:
			text := fmt.Sprint(v)
			if red := s.redact.text(text); red != text {
				out[i] = red
			} else {
				out[i] = a
			}
		default:
			out[i] = a
		}
	}
	return out
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
