package postgres

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// loginURL is the test database's URL logged in as role instead of the
// owner (the test cluster trusts local logins, as the embedded one does).
func loginURL(t *testing.T, ownerURL, role string) string {
	t.Helper()
	u, err := url.Parse(ownerURL)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(role)
	return u.String()
}

// appSession is a raw connection logged in as chat_app with userID as the
// proven acting user for the whole session: what a handler with a bug, or
// an injected statement, would hold.
func appSession(t *testing.T, ownerURL, userID string) *pgx.Conn {
	t.Helper()
	ctx := testContext(t)
	conn, err := pgx.Connect(ctx, loginURL(t, ownerURL, roleApp))
	if err != nil {
		t.Fatalf("log in as %s: %v", roleApp, err)
	}
	t.Cleanup(func() { conn.Close(ctx) })
	if _, err := conn.Exec(ctx, "SELECT set_config('app.user_id', $1, false), set_config('app.user_proof', $2, false)",
		userID, actorProof(testActorKey, userID)); err != nil {
		t.Fatalf("act as %s: %v", userID, err)
	}
	return conn
}

// sqlStrings runs a query of one text column on conn.
func sqlStrings(t *testing.T, conn *pgx.Conn, q string, args ...any) []string {
	t.Helper()
	rows, err := conn.Query(testContext(t), q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out
}

// sqlRefused runs a statement that must fail with SQLSTATE code and, if
// text is set, a message containing it.
func sqlRefused(t *testing.T, conn *pgx.Conn, code, text, q string, args ...any) {
	t.Helper()
	_, err := conn.Exec(testContext(t), q, args...)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		t.Fatalf("%s: got %v, want SQLSTATE %s", q, err, code)
	}
	if pgErr.Code != code || !strings.Contains(pgErr.Message, text) {
		t.Fatalf("%s: got %s %q, want %s containing %q", q, pgErr.Code, pgErr.Message, code, text)
	}
}
