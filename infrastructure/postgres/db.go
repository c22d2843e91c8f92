package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	gormpostgres "gorm.io/driver/postgres"
	"gorm.io/gorm"
)

// The roles the two pools log in as; the migrations create them.
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

// Config says where the database is and how chatd proves itself to it.
type Config struct {
	// URL is the owner's URL (a role that may create roles and tables:
	// development, tests, a first start), with which Open migrates before
	// it logs in as the runtime roles; or chat_app's own URL (production,
	// after `chatd migrate`), with which Open migrates nothing.
	URL string
	// ActorKey proves the acting user to the database (see ActorKey).
	ActorKey []byte
	// AppPassword and SystemPassword are the login passwords of chat_app and
	// chat_system; empty where the server asks for none (trust, peer or
	// certificate authentication, as in the embedded cluster). A chat_app
	// URL's own password serves when AppPassword is empty.
	AppPassword, SystemPassword string
}

// DB is the service's handle on PostgreSQL: a pool of connections logged
// in as chat_app for user-scoped work and one logged in as chat_system for
// system work, both behind gorm.
type DB struct {
	app    *gorm.DB
	system *gorm.DB
	// appSQL is the chat_app pool under app, for the send path, which is
	// one statement and gains nothing from gorm but its overhead.
	appSQL *sql.DB
	// systemSQL is the chat_system pool under system, for work that needs
	// a connection of its own (a session-level advisory lock).
	systemSQL *sql.DB
	pools     []*sql.DB
	logger    *slog.Logger
	// actorKey signs the acting user of every user-scoped transaction.
	actorKey []byte

	// outboxWake is signalled (without blocking) after every commit that
	// wrote outbox rows, so the relay publishes at once instead of at its
	// next poll. Capacity 1: any number of commits collapse into one wake.
	outboxWake chan struct{}
}

// Open migrates the database when cfg.URL is the owner's (under an
// advisory lock, so that nodes starting together do not race), then opens
// the pools logged in as chat_app and chat_system, never as the owner, and
// checks that row-level security really binds chat_app. A database that
// cannot be reached yields an error wrapping domain.ErrUnavailable.
func Open(ctx context.Context, cfg Config, logger *slog.Logger) (*DB, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if len(cfg.ActorKey) == 0 {
		return nil, errors.New("open database: no actor key")
	}
	pgcfg, err := parseDSN(cfg.URL)
	if err != nil {
		return nil, err
	}
	if pgcfg.User != roleApp {
		if err := migrate(ctx, pgcfg, cfg.ActorKey, logger); err != nil {
			return nil, classify("migrate database", err)
		}
	}
	db := &DB{logger: logger, actorKey: cfg.ActorKey, outboxWake: make(chan struct{}, 1)}
	appCfg := loginConfig(pgcfg, roleApp, cfg.AppPassword)
	if db.app, db.appSQL, err = db.openPool(ctx, appCfg, roleApp, appPoolSize); err != nil {
		db.Close()
		return nil, err
	}
	systemCfg := loginConfig(pgcfg, roleSystem, cfg.SystemPassword)
	if db.system, db.systemSQL, err = db.openPool(ctx, systemCfg, roleSystem, systemPoolSize); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.verifyRoles(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// loginConfig is cfg logged in as role: same servers, database and
// options. The password is the given one, or cfg's own when cfg already
// names role; an owner's password is never sent for another role.
func loginConfig(cfg *pgx.ConnConfig, role, password string) *pgx.ConnConfig {
	login := cfg.Copy()
	if login.User != role {
		login.Password = ""
	}
	login.User = role
	if password != "" {
		login.Password = password
	}
	return login
}

// openPool opens a pool of connections logged in as role. The roles are
// members of no other role, so a session of the pool cannot SET ROLE to
// anything more powerful, whatever SQL it runs.
func (db *DB) openPool(ctx context.Context, cfg *pgx.ConnConfig, role string, size int) (*gorm.DB, *sql.DB, error) {
	sqlDB := openSQL(cfg)
	sqlDB.SetMaxOpenConns(size)
	// Every connection may stay idle: with fewer idle slots than open
	// connections, a busy pool closes connections as they come back and
	// opens new ones a moment later, and a new PostgreSQL backend (fork,
	// authentication, cold catalog caches) costs milliseconds of
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
