package postgres

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/chatd/chat/migrations"
)

// migrationLockID is the key of the session-level advisory lock held while
// migrating. Every node runs the migrations on start; the lock makes the
// second node wait for the first and then find nothing to do.
const migrationLockID int64 = 0x63686174_6d696772 // "chatmigr"

// migrate applies the embedded migrations as the database owner.
func migrate(ctx context.Context, cfg *pgx.ConnConfig, logger *slog.Logger) error {
	sqlDB := openSQL(cfg)
	defer sqlDB.Close()
	// Retry the lock every second for up to five minutes: a node that
	// starts while another migrates waits that long at most.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(migrationLockID), lock.WithLockTimeout(1, 300))
	if err != nil {
		return fmt.Errorf("create migration lock: %w", err)
	}
	provider, err := goose.NewProvider(goose.DialectPostgres, sqlDB, migrations.FS,
		goose.WithSessionLocker(locker),
		goose.WithDisableGlobalRegistry(true),
	)
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	results, err := provider.Up(ctx)
	if err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	for _, r := range results {
		logger.InfoContext(ctx, "applied database migration",
			slog.Int64("version", r.Source.Version),
			slog.String("file", r.Source.Path),
			slog.Duration("took", r.Duration))
	}
	return nil
}
