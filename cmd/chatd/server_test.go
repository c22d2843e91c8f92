package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chatd/chat/infrastructure/config"
	"github.com/chatd/chat/infrastructure/postgres/pgtest"
	"github.com/chatd/chat/interfaces/ws"
	"github.com/chatd/chat/interfaces/wsconn/wsconntest"
)

const (
	testAdminToken = "test-admin-token-0123456789"
	testJWTSecret  = "test-jwt-secret-0123456789"
)

// testServer is a real chatd (real PostgreSQL, real listener) in this
// process, so tests can stop and restart it on the same database.
type testServer struct {
	t    testing.TB
	cfg  config.Config
	addr string
	stop func()
	// logs holds what the server logged (at Warn and above), also
	// written to stderr.
	logs *wsconntest.LogBuffer
	// app is the server, for tests that reach into it (endGrace); nil
	// for a chatd process.
	app *App
}

// endGrace ends the migration grace of the node's ring changes so far
// (ws.Migrator.EndGrace): its connections of users owned elsewhere are
// closed at once with 4010.
func (s *testServer) endGrace() {
	s.t.Helper()
	for _, w := range s.app.workers {
		if m, ok := w.worker.(*ws.Migrator); ok {
			m.EndGrace()
			return
		}
	}
	s.t.Fatalf("%s runs no migration sweep (not clustered?)", s.cfg.NodeID)
}

// logged counts the server's log lines that contain text.
func (s *testServer) logged(text string) int { return strings.Count(s.logs.String(), text) }

func testConfig(dbURL string) config.Config {
	return config.Config{
		HTTPAddr:       "127.0.0.1:0",
		AdminToken:     testAdminToken,
		JWTSecret:      testJWTSecret,
		DatabaseURL:    dbURL,
		NodeID:         "test-node",
		SendRate:       1000,
		SendBurst:      1000,
		AllowedOrigins: []string{"app.example.com"},
		// The test clients send no heartbeats unless a test says so, and
		// a test may wait out a broker or a node for a while: a minute's
		// interval (3 minutes of silence before 4009) keeps liveness out
		// of tests that are not about it.
		HeartbeatInterval: time.Minute,
		PresenceTimeout:   30 * time.Second,
		ShutdownTimeout:   5 * time.Second,
		Kafka:             testKafka(),
	}
}

// startServer runs chatd on a fresh database; edit adjusts the config.
func startServer(t testing.TB, edit func(*config.Config)) *testServer {
	t.Helper()
	cfg := testConfig(pgtest.NewDatabase(t))
	if edit != nil {
		edit(&cfg)
	}
	return startWithConfig(t, cfg)
}

func startWithConfig(t testing.TB, cfg config.Config) *testServer {
	t.Helper()
	requireKafka(t, cfg)
	withTestShards(t, &cfg)
	logs := &wsconntest.LogBuffer{}
	logger := slog.New(slog.NewTextHandler(io.MultiWriter(os.Stderr, logs), &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, cancel := context.WithCancel(context.Background())
	app, cleanup, err := initApp(ctx, cfg, logger)
	if err != nil {
		cancel()
		t.Fatalf("initApp: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	var addr string
	select {
	case addr = <-app.ready:
	case err := <-done:
		cancel()
		cleanup()
		t.Fatalf("app stopped before listening: %v", err)
	}
	s := &testServer{t: t, cfg: cfg, addr: addr, logs: logs, app: app}
	var stopped bool
	s.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("app.Run: %v", err)
		}
		cleanup()
	}
	t.Cleanup(s.stop)
	return s
}

func (s *testServer) wsURL() string   { return "ws://" + s.addr + "/ws" }
func (s *testServer) httpURL() string { return "http://" + s.addr }

// do sends an HTTP request and decodes a JSON answer into out (if not nil).
func (s *testServer) do(method, path, bearer string, body any, out any) int {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.httpURL()+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			s.t.Fatalf("%s %s: decode: %v", method, path, err)
		}
	}
	return resp.StatusCode
}

// newUser creates a user with a random id and returns it with a token.
func (s *testServer) newUser(name string) (id, token string) {
	s.t.Helper()
	id = name + "-" + uuid.NewString()[:8]
	if code := s.do("POST", "/admin/v1/users", testAdminToken, map[string]string{"id": id, "name": name}, nil); code != http.StatusCreated {
		s.t.Fatalf("create user: HTTP %d", code)
	}
	var tok struct{ Token, ExpiresAt string }
	if code := s.do("POST", "/admin/v1/users/"+id+"/tokens", testAdminToken, nil, &tok); code != http.StatusCreated || tok.Token == "" {
		s.t.Fatalf("mint token: HTTP %d %+v", code, tok)
	}
	return id, tok.Token
}

// login creates a user and connects it.
func (s *testServer) login(name string) (*client, string) {
	s.t.Helper()
	id, token := s.newUser(name)
	return s.connect(s.t, token), id
}
