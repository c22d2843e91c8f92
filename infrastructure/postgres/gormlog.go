package postgres

import (
	"context"
	"log/slog"
	"time"

	gormlogger "gorm.io/gorm/logger"
)

// slowQuery is how long a statement may take before it is logged as slow.
const slowQuery = 200 * time.Millisecond

// gormLogger sends gorm's statement traces to slog: every statement at
// debug level, slow ones as warnings. Errors are not logged here: they are
// returned to the caller, which logs them once with its own context.
type gormLogger struct {
	logger *slog.Logger
}

func newGormLogger(logger *slog.Logger) gormlogger.Interface {
	return gormLogger{logger: logger.With(slog.String("component", "gorm"))}
}

func (l gormLogger) LogMode(gormlogger.LogLevel) gormlogger.Interface { return l }

func (l gormLogger) Info(ctx context.Context, msg string, args ...any) {
	l.logger.InfoContext(ctx, msg, slog.Any("args", args))
}

func (l gormLogger) Warn(ctx context.Context, msg string, args ...any) {
	l.logger.WarnContext(ctx, msg, slog.Any("args", args))
}

func (l gormLogger) Error(ctx context.Context, msg string, args ...any) {
	l.logger.ErrorContext(ctx, msg, slog.Any("args", args))
}

func (l gormLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), _ error) {
	took := time.Since(begin)
	switch {
	case took >= slowQuery:
		sql, rows := fc()
		l.logger.WarnContext(ctx, "slow query", slog.Duration("took", took), slog.String("sql", sql), slog.Int64("rows", rows))
	case l.logger.Enabled(ctx, slog.LevelDebug):
		sql, rows := fc()
		l.logger.DebugContext(ctx, "query", slog.Duration("took", took), slog.String("sql", sql), slog.Int64("rows", rows))
	}
}

// ParamsFilter drops the bound values from logged statements: they hold
// message bodies and user ids, which do not belong in logs.
func (l gormLogger) ParamsFilter(_ context.Context, sql string, _ ...any) (string, []any) {
	return sql, nil
}
