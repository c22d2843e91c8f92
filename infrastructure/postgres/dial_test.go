package postgres

import (
	"errors"
	"net"
	"net/url"
	"testing"

	"github.com/jackc/pgx/v5/stdlib"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/infrastructure/postgres/pgtest"
)

func TestMultiHostURLAsksForThePrimary(t *testing.T) {
	tests := []struct {
		url         string
		wantPrimary bool
	}{
		{"postgres://u@a:5432,b:5433,c:5434/chat", true},
		{"host=a,b,c port=5432,5433,5434 user=u dbname=chat", true},
		{"postgres://u@a:5432,b:5433/chat?target_session_attrs=any", false},
		{"host=a,b user=u target_session_attrs=any", false},
		{"postgres://u@a:5432/chat", false},
	}
	for _, tt := range tests {
		cfg, err := parseDSN(tt.url)
		if err != nil {
			t.Fatalf("parseDSN(%q): %v", tt.url, err)
		}
		if got := cfg.ValidateConnect != nil; got != tt.wantPrimary {
			t.Errorf("parseDSN(%q) checks for a writable server: %v, want %v", tt.url, got, tt.wantPrimary)
		}
		if cfg.ConnectTimeout == 0 {
			t.Errorf("parseDSN(%q): no connect timeout", tt.url)
		}
	}
}

// TestMultiHostURLSkipsADeadHost opens chatd's pools through a URL whose
// first host refuses connections, as a dead primary's address does.
func TestMultiHostURLSkipsADeadHost(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close()
	u, err := url.Parse(pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	u.Host = dead + "," + u.Host
	db, err := Open(testContext(t), Config{URL: u.String(), ActorKey: testActorKey}, testLogger())
	if err != nil {
		t.Fatalf("Open(%s): %v", u, err)
	}
	defer db.Close()
	if err := db.Ping(testContext(t)); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

// TestReadOnlyServerDropsTheConnection: a connection whose server turned
// read-only (as a demoted primary does) is closed on its first refused
// write, so the pool dials again instead of handing it out.
func TestReadOnlyServerDropsTheConnection(t *testing.T) {
	t.Parallel()
	cfg, err := parseDSN(pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	pool := openSQL(cfg)
	defer pool.Close()
	pool.SetMaxOpenConns(1)
	ctx := testContext(t)
	conn, err := pool.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "SET default_transaction_read_only = on"); err != nil {
		t.Fatal(err)
	}
	_, err = conn.ExecContext(ctx, "CREATE TABLE read_only_probe (i int)")
	if code := pgCode(err); code != codeReadOnlyTransaction {
		t.Fatalf("write on a read-only session: %v (SQLSTATE %q), want %s", err, code, codeReadOnlyTransaction)
	}
	if !errors.Is(classify("write", err), domain.ErrUnavailable) {
		t.Fatalf("read-only error classified as %v, want unavailable", classify("write", err))
	}
	closed := false
	if err := conn.Raw(func(c any) error {
		closed = c.(*stdlib.Conn).Conn().IsClosed()
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !closed {
		t.Fatal("the connection to a read-only server stayed open")
	}
	conn.Close()
	var readOnly string
	if err := pool.QueryRowContext(ctx, "SHOW default_transaction_read_only").Scan(&readOnly); err != nil {
		t.Fatalf("query after the drop: %v", err)
	}
	if readOnly != "off" {
		t.Fatalf("the pool reused the read-only session (default_transaction_read_only = %s)", readOnly)
	}
}
