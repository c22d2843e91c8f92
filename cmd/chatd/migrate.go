package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/chatd/chat/infrastructure/postgres"
)

// migrateUsage is printed for a `chatd migrate` that lacks its settings.
const migrateUsage = `usage: DATABASE_URL=<owner URL> CHAT_JWT_SECRET=<secret> chatd migrate

Applies the database migrations as the owner role of DATABASE_URL and stores
the actor key derived from CHAT_JWT_SECRET, then exits. In production run it
before starting chatd with DATABASE_URL naming the chat_app login role, so
that chatd never holds the owner's credentials (docs/operations.md).`

// runMigrate is `chatd migrate`.
func runMigrate(logger *slog.Logger) int {
	ownerURL, secret := os.Getenv("DATABASE_URL"), os.Getenv("CHAT_JWT_SECRET")
	if ownerURL == "" || len(secret) < 16 {
		fmt.Fprintln(os.Stderr, migrateUsage)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := postgres.Migrate(ctx, ownerURL, postgres.ActorKey(secret), logger); err != nil {
		fmt.Fprintln(os.Stderr, "chatd migrate:", err)
		return 1
	}
	logger.Info("database migrated; chatd may now log in as chat_app and chat_system")
	return 0
}
