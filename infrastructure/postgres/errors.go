package postgres

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/chatd/chat/domain"
)

// SQLSTATE codes the adapter reacts to.
const (
	codeUniqueViolation      = "23505"
	codeCheckViolation       = "23514"
	codeNoDataFound          = "P0002"
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
	codeTooManyConnections   = "53300"
)

// classify turns an error from the database into what the caller can act
// on: domain errors pass through; a database that cannot be reached (dial
// errors, a dropped connection, a server shutting down or read-only
// during a failover, a timeout, a
// transaction the server aborted to break a deadlock) becomes
// domain.ErrUnavailable, which tells the client nothing was stored and a
// retry with the same ids is safe; anything else stays unclassified and so
// is reported as internal. The original error stays in the chain for logs.
func classify(op string, err error) error {
	if err == nil {
		return nil
	}
	var de *domain.Error
	if errors.As(err, &de) {
		return fmt.Errorf("%s: %w", op, err)
	}
	if unavailable(err) {
		return fmt.Errorf("%s: %w: %w", op, domain.ErrUnavailable, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

func unavailable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case strings.HasPrefix(pgErr.Code, "08"), // connection exception
			strings.HasPrefix(pgErr.Code, "57P"),  // admin shutdown, crash shutdown, cannot connect now
			pgErr.Code == codeReadOnlyTransaction, // a standby or a demoted primary: the next dial finds the new one
			pgErr.Code == codeTooManyConnections,
			pgErr.Code == codeSerializationFailure,
			pgErr.Code == codeDeadlockDetected:
			return true
		}
		return false
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	switch {
	case errors.As(err, &connectErr),
		errors.Is(err, driver.ErrBadConn),
		errors.As(err, &netErr),
		errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, context.DeadlineExceeded),
		pgconn.Timeout(err),
		pgconn.SafeToRetry(err):
		return true
	}
	return false
}

// pgCode returns the SQLSTATE of err, or "" when err did not come from the
// server.
func pgCode(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

// fenceRetryAfter is the retry hint of a change refused by a fence.
const fenceRetryAfter = 200 * time.Millisecond

// errFenced refuses a change of a channel that is moving to another shard
// (ShardMover). ShardedStore waits and tries again on the channel's new
// shard; only a fence that outlasts its patience reaches the client, as
// `unavailable` with retryAfterMs.
var errFenced = &domain.Error{Kind: domain.KindUnavailable, RetryAfter: fenceRetryAfter,
	Message: "the channel is moving between database shards; retry shortly with the same ids"}
