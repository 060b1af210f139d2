package store

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/dgraph-io/badger/v4"
)

// badgerLogger routes Badger's log lines into slog. Badger reports routine
// events (tables opened, memtables flushed, compactions) at Info; they are
// logged at Debug so that a daemon at Info level stays quiet.
type badgerLogger struct {
	log *slog.Logger
}

var _ badger.Logger = badgerLogger{}

func (l badgerLogger) Errorf(format string, args ...any) {
	l.write(slog.LevelError, format, args)
}

func (l badgerLogger) Warningf(format string, args ...any) {
	l.write(slog.LevelWarn, format, args)
}

func (l badgerLogger) Infof(format string, args ...any) {
	l.write(slog.LevelDebug, format, args)
}

func (l badgerLogger) Debugf(format string, args ...any) {
	l.write(slog.LevelDebug, format, args)
}

func (l badgerLogger) write(level slog.Level, format string, args []any) {
	ctx := context.Background()
	if !l.log.Enabled(ctx, level) {
		return
	}
	l.log.Log(ctx, level, strings.TrimSpace(fmt.Sprintf(format, args...)))
}
