package store

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/dgraph-io/badger/v4"
)

// badgerLogger routes Badger's log lines into slog at their own levels.
// Badger's Info lines are rare and matter to an operator: tables it
// deleted because the MANIFEST did not list them, a value log it
// truncated, a replayed memtable. min, when set, drops lines below it
// (a -dev agent logs Badger only from Warn).
type badgerLogger struct {
	log *slog.Logger
	min slog.Leveler
}

var _ badger.Logger = badgerLogger{}

func (l badgerLogger) Errorf(format string, args ...any) {
	l.write(slog.LevelError, format, args)
}

func (l badgerLogger) Warningf(format string, args ...any) {
	l.write(slog.LevelWarn, format, args)
}

func (l badgerLogger) Infof(format string, args ...any) {
	l.write(slog.LevelInfo, format, args)
}

func (l badgerLogger) Debugf(format string, args ...any) {
	l.write(slog.LevelDebug, format, args)
}

func (l badgerLogger) write(level slog.Level, format string, args []any) {
	ctx := context.Background()
	if l.min != nil && level < l.min.Level() || !l.log.Enabled(ctx, level) {
		return
	}
	l.log.Log(ctx, level, strings.TrimSpace(fmt.Sprintf(format, args...)))
}
