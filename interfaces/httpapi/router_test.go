package httpapi

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/interfaces/origin"
)

type fakeIdentity struct{ users map[string]domain.User }

func (f *fakeIdentity) CreateUser(_ context.Context, id, name string) (domain.User, error) {
	if err := domain.ValidateUserName(name); err != nil {
		return domain.User{}, err
	}
	u := domain.User{ID: id, Name: name, CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 6_000_000, time.UTC)}
	f.users[id] = u
	return u, nil
}

func (f *fakeIdentity) User(_ context.Context, id string) (domain.User, error) {
	if u, ok := f.users[id]; ok {
		return u, nil
	}
	return domain.User{}, domain.ErrUserNotFound
}

func (f *fakeIdentity) IssueToken(ctx context.Context, id string, ttl time.Duration) (string, time.Time, error) {
	if _, err := f.User(ctx, id); err != nil {
		return "", time.Time{}, err
	}
	return "tok-" + id, time.Unix(0, 0).Add(ttl), nil
}

func (f *fakeIdentity) Authenticate(_ context.Context, token string) (domain.User, error) {
	if u, ok := f.users[strings.TrimPrefix(token, "tok-")]; ok && strings.HasPrefix(token, "tok-") {
		return u, nil
	}
	return domain.User{}, domain.ErrUnauthorized
}

type pinger struct{ err error }

func (p pinger) Ping(context.Context) error { return p.err }

const testAdminToken = "admin-token-0123456789"

func newTestRouter(dbErr error) http.Handler {
	return NewRouter(Deps{
		Identity:   &fakeIdentity{users: map[string]domain.User{}},
		Gateway:    http.NotFoundHandler(),
		Checks:     map[string]Pinger{"database": pinger{dbErr}},
		AdminToken: testAdminToken,
		NodeID:     "n1",
		Origins:    origin.NewPolicy([]string{"localhost:3000"}, ""),
		Metrics:    http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "up 1\n") }),
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
}

func call(h http.Handler, method, path, bearer, body string, header map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Host = "chat.local:8080"
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestAdminRequiresToken(t *testing.T) {
	h := newTestRouter(nil)
	for _, bearer := range []string{"", "x", testAdminToken[:len(testAdminToken)-1], testAdminToken + "0", strings.ToUpper(testAdminToken)} {
		rec := call(h, "POST", "/admin/v1/users", bearer, `{"name":"a"}`, nil)
		if rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), `"code":"unauthorized"`) {
			t.Errorf("bearer %q: %d %s", bearer, rec.Code, rec.Body)
		}
	}
	if rec := call(h, "POST", "/admin/v1/users", testAdminToken, `{"id":"u1","name":"Ann"}`, nil); rec.Code != http.StatusCreated ||
		!strings.Contains(rec.Body.String(), `"createdAt":"2026-01-02T03:04:05.006Z"`) {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
}

func TestAdminBadBodies(t *testing.T) {
	h := newTestRouter(nil)
	for body, want := range map[string]string{
		``:                            "bad_request",
		`{`:                           "bad_request",
		`{"name":5}`:                  "bad_request",
		`{"name":"a","role":"admin"}`: "bad_request",
		`{"name":"a"}{"name":"b"}`:    "bad_request",
		`{"name":"` + strings.Repeat("a", maxBodyBytes) + `"}`: "bad_request",
		`{"name":" "}`: "validation_failed",
	} {
		rec := call(h, "POST", "/admin/v1/users", testAdminToken, body, nil)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `"code":"`+want+`"`) {
			t.Errorf("body %.40q: %d %s, want 400 %s", body, rec.Code, rec.Body, want)
		}
	}
	if rec := call(h, "POST", "/admin/v1/users/u1/tokens", testAdminToken, `{"ttlSeconds":-1}`, nil); rec.Code != http.StatusBadRequest {
		t.Errorf("negative ttl: %d", rec.Code)
	}
	if rec := call(h, "POST", "/admin/v1/users/ghost/tokens", testAdminToken, "", nil); rec.Code != http.StatusNotFound {
		t.Errorf("token for ghost: %d", rec.Code)
	}
}

func TestCORS(t *testing.T) {
	h := newTestRouter(nil)
	pre := map[string]string{"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST"}
	rec := call(h, "OPTIONS", "/admin/v1/users", "", "", pre)
	if rec.Code != http.StatusNoContent || rec.Header().Get("Access-Control-Allow-Origin") != "http://localhost:3000" ||
		!strings.Contains(rec.Header().Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Fatalf("allowed preflight: %d %v", rec.Code, rec.Header())
	}
	pre["Origin"] = "https://evil.example"
	rec = call(h, "OPTIONS", "/admin/v1/users", "", "", pre)
	if rec.Code != http.StatusForbidden || rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("foreign preflight: %d %v", rec.Code, rec.Header())
	}
	rec = call(h, "GET", "/healthz", "", "", map[string]string{"Origin": "http://chat.local:8080"})
	if rec.Header().Get("Access-Control-Allow-Origin") != "http://chat.local:8080" {
		t.Fatalf("own origin gets no CORS header: %v", rec.Header())
	}
}

func TestReadyz(t *testing.T) {
	if rec := call(newTestRouter(nil), "GET", "/readyz", "", "", nil); rec.Code != http.StatusOK {
		t.Fatalf("healthy: %d", rec.Code)
	}
	rec := call(newTestRouter(errors.New("connection refused")), "GET", "/readyz", "", "", nil)
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), `"database":"unavailable"`) {
		t.Fatalf("database down: %d %s", rec.Code, rec.Body)
	}
}

func TestGatewayLookup(t *testing.T) {
	h := newTestRouter(nil)
	call(h, "POST", "/admin/v1/users", testAdminToken, `{"id":"u1","name":"Ann"}`, nil)
	rec := call(h, "GET", "/v1/gateway", "tok-u1", "", nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"url":"ws://chat.local:8080/ws"`) || !strings.Contains(rec.Body.String(), `"nodeId":"n1"`) {
		t.Fatalf("gateway: %d %s", rec.Code, rec.Body)
	}
	if rec := call(h, "GET", "/v1/gateway", "tok-ghost", "", nil); rec.Code != http.StatusUnauthorized {
		t.Fatalf("unknown user: %d", rec.Code)
	}
}
