package httpapi

import (
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/interfaces/origin"
)

func webRouter(t *testing.T, dir string) http.Handler {
	t.Helper()
	return NewRouter(Deps{
		Identity:   &fakeIdentity{users: map[string]domain.User{}},
		Gateway:    http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "gateway") }),
		Checks:     map[string]Pinger{"database": pinger{}},
		AdminToken: testAdminToken,
		NodeID:     "n1",
		Origins:    origin.NewPolicy(nil, ""),
		WebDir:     dir,
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestWebClientServedAtRootWithAPIUnaffected(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"index.html":               "<html>chat app</html>",
		"about.html":               "<html>about</html>",
		"_next/static/app-1a2b.js": "console.log(1)",
		"admin/v1/users":           "must never be served",
		"healthz":                  "must never be served",
	})
	h := webRouter(t, dir)
	for _, c := range []struct {
		method, path string
		status       int
		body, cache  string
	}{
		{"GET", "/", 200, "chat app", "no-cache"},
		{"HEAD", "/", 200, "", "no-cache"},
		{"GET", "/about", 200, "about", "no-cache"},
		{"GET", "/_next/static/app-1a2b.js", 200, "console.log(1)", "public, max-age=31536000, immutable"},
		{"GET", "/healthz", 200, `"status"`, ""},
		{"GET", "/ws", 200, "gateway", ""},
		{"GET", "/nothing-here", 404, `"not_found"`, ""},
		{"GET", "/admin/v1/nope", 401, `"unauthorized"`, ""},
		{"GET", "/v1/nope", 404, `"not_found"`, ""},
		{"GET", "/../../etc/passwd", 404, `"not_found"`, ""},
		{"POST", "/", 404, `"not_found"`, ""},
	} {
		rec := call(h, c.method, c.path, "", "", nil)
		if rec.Code != c.status || !strings.Contains(rec.Body.String(), c.body) {
			t.Errorf("%s %s: %d %q, want %d with %q", c.method, c.path, rec.Code, rec.Body.String(), c.status, c.body)
		}
		if c.cache != "" && rec.Header().Get("Cache-Control") != c.cache {
			t.Errorf("%s %s: Cache-Control %q, want %q", c.method, c.path, rec.Header().Get("Cache-Control"), c.cache)
		}
	}
	if rec := call(h, "GET", "/admin/v1/users", testAdminToken, "", nil); strings.Contains(rec.Body.String(), "must never") {
		t.Errorf("an API path was answered with a file: %s", rec.Body.String())
	}
}

func TestWebClientMissingSaysHowToBuildIt(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	h := webRouter(t, dir)
	rec := call(h, "GET", "/", "", "", nil)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "scripts/web.sh build") || !strings.Contains(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("GET / without a build: %d %q", rec.Code, rec.Body.String())
	}
	if rec := call(h, "GET", "/app.js", "", "", nil); rec.Code != 404 {
		t.Fatalf("GET /app.js without a build: %d", rec.Code)
	}
	// A build that appears later is served without a restart.
	writeFiles(t, dir, map[string]string{"index.html": "<html>built</html>"})
	if rec := call(h, "GET", "/", "", "", nil); !strings.Contains(rec.Body.String(), "built") {
		t.Fatalf("GET / after the build: %q", rec.Body.String())
	}
}
