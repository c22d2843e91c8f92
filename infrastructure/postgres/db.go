package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	gormpostgres "gorm.io/driver/postgres"
	"gorm.io/gorm"
)

// The roles the two pools act as; the migrations create them.
const (
	roleApp    = "chat_app"
	roleSystem = "chat_system"
)

// Pool sizes. The app pool serves every user command; the system pool
// serves the relay, fan-out lookups and admin paths, which are fewer.
// Together they stay well below a default max_connections of 100 per node.
const (
	appPoolSize    = 20
	systemPoolSize = 10
)

// DB is the service's handle on PostgreSQL: a pool of connections acting as
// chat_app for user-scoped work and one acting as chat_system for system
// work, both behind gorm.
type DB struct {
	app    *gorm.DB
	system *gorm.DB
	// appSQL is the chat_app pool under app, for the send path, which is
	// one statement and gains nothing from gorm but its overhead.
	appSQL *sql.DB
	pools  []*sql.DB
	logger *slog.Logger

	// outboxWake is signalled (without blocking) after every commit that
	// wrote outbox rows, so the relay publishes at once instead of at its
	// next poll. Capacity 1: any number of commits collapse into one wake.
	outboxWake chan struct{}
}

// Open connects to the database at databaseURL as its owner (in dev and
// tests a superuser), applies the migrations under an advisory lock so that
// nodes starting together do not race, then opens the chat_app and
// chat_system pools and checks that row-level security really binds
// chat_app. A database that cannot be reached yields an error wrapping
// domain.ErrUnavailable.
func Open(ctx context.Context, databaseURL string, logger *slog.Logger) (*DB, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cfg, err := parseDSN(databaseURL)
	if err != nil {
		return nil, err
	}
	if err := migrate(ctx, cfg, logger); err != nil {
		return nil, classify("migrate database", err)
	}
	db := &DB{logger: logger, outboxWake: make(chan struct{}, 1)}
	if db.app, db.appSQL, err = db.openPool(ctx, cfg, roleApp, appPoolSize); err != nil {
		db.Close()
		return nil, err
	}
	if db.system, _, err = db.openPool(ctx, cfg, roleSystem, systemPoolSize); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.verifyRoles(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// openPool opens a pool whose every new connection first runs SET ROLE, so
// no statement of the pool ever runs as the owner.
func (db *DB) openPool(ctx context.Context, cfg *pgx.ConnConfig, role string, size int) (*gorm.DB, *sql.DB, error) {
	setRole := stdlib.OptionAfterConnect(func(ctx context.Context, conn *pgx.Conn) error {
		if _, err := conn.Exec(ctx, "SET ROLE "+role); err != nil {
			return fmt.Errorf("set role %s: %w", role, err)
		}
		return nil
	})
	sqlDB := openSQL(cfg, setRole)
	sqlDB.SetMaxOpenConns(size)
	// Every connection may stay idle: with fewer idle slots than open
	// connections, a busy pool closes connections as they come back and
	// opens new ones a moment later, and a new PostgreSQL backend (fork,
	// authentication, SET ROLE, cold catalog caches) costs milliseconds of
	// CPU. Measured: at 800 sends/s, 36 new backends a second took about
	// half of this 2-core machine.
	sqlDB.SetMaxIdleConns(size)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	sqlDB.SetConnMaxLifetime(30 * time.Minute)
	db.pools = append(db.pools, sqlDB)
	if err := sqlDB.PingContext(ctx); err != nil {
		return nil, nil, classify("connect as "+role, err)
	}
	gdb, err := gorm.Open(gormpostgres.New(gormpostgres.Config{Conn: sqlDB}), &gorm.Config{
		Logger:                 newGormLogger(db.logger),
		SkipDefaultTransaction: true,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("open gorm on the %s pool: %w", role, err)
	}
	return gdb, sqlDB, nil
}

// Close releases both pools. Running transactions fail.
func (db *DB) Close() error {
	var errs []error
	for _, p := range db.pools {
		errs = append(errs, p.Close())
	}
	return errors.Join(errs...)
}

// Ping reports whether both pools reach a primary, for /readyz: during a
// failover there is none for a while.
func (db *DB) Ping(ctx context.Context) error {
	for _, p := range db.pools {
		if err := checkPrimary(ctx, p); err != nil {
			return fmt.Errorf("ping database: %w", err)
		}
	}
	return nil
}
