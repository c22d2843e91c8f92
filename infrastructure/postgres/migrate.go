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

// Migrate applies the embedded migrations as the owner at ownerURL and
// stores the actor key, which the runtime roles cannot read; it is what
// `chatd migrate` runs, so that chatd itself never needs the owner's
// credentials in production.
func Migrate(ctx context.Context, ownerURL string, actorKey []byte, logger *slog.Logger) error {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cfg, err := parseDSN(ownerURL)
	if err != nil {
		return err
	}
	if err := migrate(ctx, cfg, actorKey, logger); err != nil {
		return classify("migrate database", err)
	}
	return nil
}

// migrate applies the embedded migrations as the database owner, then
// stores the actor key.
func migrate(ctx context.Context, cfg *pgx.ConnConfig, actorKey []byte, logger *slog.Logger) error {
	if len(actorKey) == 0 {
		return fmt.Errorf("migrate: no actor key")
	}
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
	inner, outer := hmacPads(actorKey)
	_, err = sqlDB.ExecContext(ctx, `INSERT INTO chat_actor_key (id, inner_pad, outer_pad) VALUES (true, $1, $2)
		ON CONFLICT (id) DO UPDATE SET inner_pad = EXCLUDED.inner_pad, outer_pad = EXCLUDED.outer_pad
		WHERE (chat_actor_key.inner_pad, chat_actor_key.outer_pad) IS DISTINCT FROM (EXCLUDED.inner_pad, EXCLUDED.outer_pad)`,
		inner, outer)
	if err != nil {
		return fmt.Errorf("store the actor key: %w", err)
	}
	return nil
}
