package postgres

import (
	"context"
	"database/sql/driver"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/infrastructure/postgres/pgtest"
)

func TestOpenUnreachableDatabaseIsUnavailable(t *testing.T) {
	// A port that was just free: nothing listens there.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = Open(ctx, Config{URL: "postgres://postgres@" + addr + "/postgres?sslmode=disable&connect_timeout=5", ActorKey: testActorKey}, testLogger())
	if !errors.Is(err, domain.ErrUnavailable) {
		t.Fatalf("Open of an unreachable database: got %v, want ErrUnavailable", err)
	}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	_, url := openTestDB(t)
	ctx := testContext(t)
	victim, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer victim.Close(ctx)
	killer, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer killer.Close(ctx)
	// A server that drops the connection, as on a restart or failover.
	if _, err := killer.Exec(ctx, "SELECT pg_terminate_backend($1)", victim.PgConn().PID()); err != nil {
		t.Fatal(err)
	}
	_, dropped := victim.Exec(ctx, "SELECT 1")
	_, syntax := killer.Exec(ctx, "SELEKT 1")

	tests := []struct {
		name string
		err  error
		want domain.Kind
	}{
		{"connection dropped by the server", dropped, domain.KindUnavailable},
		{"bad connection", driver.ErrBadConn, domain.KindUnavailable},
		{"deadline", context.DeadlineExceeded, domain.KindUnavailable},
		{"deadlock", &pgconn.PgError{Code: codeDeadlockDetected}, domain.KindUnavailable},
		{"server shutting down", &pgconn.PgError{Code: "57P01"}, domain.KindUnavailable},
		{"syntax error is a bug", syntax, domain.KindInternal},
		{"domain error passes", domain.ErrNotMember, domain.KindForbidden},
	}
	for _, tt := range tests {
		if tt.err == nil {
			t.Fatalf("%s: no error to classify", tt.name)
		}
		got := classify("op", tt.err)
		if domain.KindOf(got) != tt.want || !errors.Is(got, tt.err) {
			t.Errorf("%s: classify(%v) = %v (kind %v), want kind %v wrapping the original", tt.name, tt.err, got, domain.KindOf(got), tt.want)
		}
	}
}

func TestOpenConcurrentlyMigratesOnce(t *testing.T) {
	t.Parallel()
	// Nodes starting together on an empty database: one migrates under the
	// advisory lock, the others wait and then find nothing to do.
	url := pgtest.NewDatabase(t)
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Go(func() {
			db, err := Open(testContext(t), Config{URL: url, ActorKey: testActorKey}, testLogger())
			if err == nil {
				err = db.Ping(testContext(t))
				db.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
	}
}

func TestVerifyRolesRefusesUnsafeSchemas(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, breakIt string }{
		{"chat_app owns a table", "ALTER TABLE outbox OWNER TO chat_app"},
		{"row-level security not forced", "ALTER TABLE messages NO FORCE ROW LEVEL SECURITY"},
		{"row-level security off", "ALTER TABLE memberships DISABLE ROW LEVEL SECURITY"},
		{"another actor key", "UPDATE chat_actor_key SET inner_pad = outer_pad"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db, url := openTestDB(t)
			ctx := testContext(t)
			if err := db.verifyRoles(ctx); err != nil {
				t.Fatalf("verifyRoles on a sound database: %v", err)
			}
			owner, err := pgx.Connect(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			defer owner.Close(ctx)
			if _, err := owner.Exec(ctx, tt.breakIt); err != nil {
				t.Fatal(err)
			}
			if err := db.verifyRoles(ctx); err == nil {
				t.Fatalf("verifyRoles accepted a database after %q", tt.breakIt)
			}
		})
	}
}

// TestOpenAsTheRuntimeLoginAfterMigrate is the production set-up: `chatd
// migrate` as the owner, then chatd with chat_app's own URL, holding no
// owner credentials. A node whose actor key differs is refused at start.
func TestOpenAsTheRuntimeLoginAfterMigrate(t *testing.T) {
	t.Parallel()
	ownerURL := pgtest.NewDatabase(t)
	ctx := testContext(t)
	appURL := loginURL(t, ownerURL, roleApp)
	if _, err := Open(ctx, Config{URL: appURL, ActorKey: testActorKey}, testLogger()); err == nil {
		t.Fatal("Open as chat_app on an unmigrated database succeeded")
	}
	if err := Migrate(ctx, ownerURL, testActorKey, testLogger()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	db, err := Open(ctx, Config{URL: appURL, ActorKey: testActorKey}, testLogger())
	if err != nil {
		t.Fatalf("Open as chat_app after Migrate: %v", err)
	}
	db.Close()
	if _, err := Open(ctx, Config{URL: appURL, ActorKey: ActorKey("another deployment's secret")}, testLogger()); err == nil ||
		!strings.Contains(err.Error(), "actor key") {
		t.Fatalf("Open with another actor key: %v, want a refusal naming the actor key", err)
	}
}
