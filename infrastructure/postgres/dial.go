package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/chatd/chat/domain"
)

// The dial policy. A replicated store (Patroni: one primary, standbys that
// take over) is reached through a multi-host URL, `host=a,b,c` or
// `postgres://a:5432,b:5432,c:5432/db`; every pool of chatd, whatever
// database or shard it serves, is opened through openSQL so the same
// policy applies to all of them:
//
//   - a multi-host URL without target_session_attrs gets read-write: chatd
//     writes, so a new connection must land on the primary (pgx tries the
//     hosts in order and skips standbys);
//   - a connection that reports the server shutting down or read-only is
//     closed on the spot, so the pool never hands it out again and the
//     next dial resolves the primary afresh;
//   - dialing a host that does not answer gives up after dialTimeout and
//     tries the next, and an idle connection to a host that vanished is
//     noticed by TCP keepalive within tens of seconds, not hours.
const (
	dialTimeout       = 5 * time.Second
	keepAliveIdle     = 10 * time.Second
	keepAliveInterval = 5 * time.Second
	keepAliveCount    = 3
)

// SQLSTATE codes after which a connection is not worth keeping: the server
// is read-only (a standby, or a demoted primary) or going away.
const (
	codeReadOnlyTransaction = "25006"
	codeAdminShutdown       = "57P01"
	codeCrashShutdown       = "57P02"
	codeCannotConnectNow    = "57P03"
)

// parseDSN parses a PostgreSQL URL and applies the dial policy.
func parseDSN(databaseURL string) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("parse database URL: %w", err)
	}
	// Fallbacks (the other hosts) carry only host, port and TLS: the
	// dialer, the validation and the error hook below serve them all.
	applyDialPolicy(&cfg.Config, choosesSessionAttrs(databaseURL))
	return cfg, nil
}

// choosesSessionAttrs reports whether the URL (or PGTARGETSESSIONATTRS,
// which pgx reads too) sets target_session_attrs, which then stands.
func choosesSessionAttrs(databaseURL string) bool {
	if os.Getenv("PGTARGETSESSIONATTRS") != "" {
		return true
	}
	if u, err := url.Parse(databaseURL); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		return u.Query().Has("target_session_attrs")
	}
	for _, field := range strings.Fields(databaseURL) {
		if strings.HasPrefix(strings.TrimSpace(field), "target_session_attrs") {
			return true
		}
	}
	return false
}

// applyDialPolicy sets what the policy above needs on a parsed config.
// explicitAttrs reports that the URL chose target_session_attrs itself.
func applyDialPolicy(cfg *pgconn.Config, explicitAttrs bool) {
	if multiHost(cfg) && !explicitAttrs && cfg.ValidateConnect == nil {
		cfg.ValidateConnect = pgconn.ValidateConnectTargetSessionAttrsReadWrite
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = dialTimeout
	}
	dialer := &net.Dialer{
		Timeout: cfg.ConnectTimeout,
		KeepAliveConfig: net.KeepAliveConfig{
			Enable:   true,
			Idle:     keepAliveIdle,
			Interval: keepAliveInterval,
			Count:    keepAliveCount,
		},
	}
	cfg.DialFunc = dialer.DialContext
	next := cfg.OnPgError
	cfg.OnPgError = func(conn *pgconn.PgConn, pgErr *pgconn.PgError) bool {
		switch pgErr.Code {
		case codeReadOnlyTransaction, codeAdminShutdown, codeCrashShutdown, codeCannotConnectNow:
			return false // close: the server is no primary any more
		}
		if next != nil {
			return next(conn, pgErr)
		}
		return pgErr.Severity != "FATAL" && pgErr.Severity != "PANIC"
	}
}

// multiHost reports whether cfg names more than one server. Fallbacks
// alone do not tell: sslmode=prefer adds one for the same host without TLS.
func multiHost(cfg *pgconn.Config) bool {
	for _, fb := range cfg.Fallbacks {
		if fb.Host != cfg.Host || fb.Port != cfg.Port {
			return true
		}
	}
	return false
}

// openSQL opens a database/sql pool on cfg (from parseDSN). It is the only
// way this package opens a pool, so every pool follows the primary.
func openSQL(cfg *pgx.ConnConfig, opts ...stdlib.OptionOpenDB) *sql.DB {
	return stdlib.OpenDB(*cfg.Copy(), opts...)
}

// checkPrimary fails with domain.ErrUnavailable unless db reaches a server
// that accepts writes, so /readyz says not ready while there is no primary
// even if some connection still reaches a standby.
func checkPrimary(ctx context.Context, db *sql.DB) error {
	var standby bool
	if err := db.QueryRowContext(ctx, "SELECT pg_is_in_recovery()").Scan(&standby); err != nil {
		return classify("ask the server for its role", err)
	}
	if standby {
		return fmt.Errorf("the server is a standby: %w", domain.ErrUnavailable)
	}
	return nil
}
