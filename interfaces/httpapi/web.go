package httpapi

import (
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"strings"
)

// webApp serves the web client's static export (web/out, built by
// scripts/web.sh) at /. The directory is looked at on every request, so a
// build that finishes after chatd started is served without a restart.
type webApp struct {
	dir string
}

// apiPrefixes are never answered with a file of the web client, so an
// unknown API path stays a JSON not_found.
var apiPrefixes = []string{"/v1/", "/admin/", "/internal/", "/ws", "/swagger", "/metrics", "/healthz", "/readyz", "/openapi.json"}

// serve answers a GET or HEAD for a file of the export; false when there
// is none, so the caller answers not_found.
func (a webApp) serve(w http.ResponseWriter, r *http.Request) bool {
	if a.dir == "" || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		return false
	}
	for _, p := range apiPrefixes {
		if strings.HasPrefix(r.URL.Path, p) {
			return false
		}
	}
	name := path.Clean("/" + r.URL.Path)
	if name == "/" {
		name = "/index.html"
	}
	root := os.DirFS(a.dir)
	// Next.js exports a page /x as x.html.
	for _, candidate := range []string{name, name + ".html"} {
		f, err := root.Open(strings.TrimPrefix(candidate, "/"))
		if err != nil {
			continue
		}
		st, err := f.Stat()
		if err != nil || st.IsDir() {
			_ = f.Close()
			continue
		}
		defer f.Close()
		content, ok := f.(io.ReadSeeker)
		if !ok {
			return false
		}
		if strings.HasPrefix(candidate, "/_next/static/") {
			// Content-hashed names: safe to keep for good.
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		w.Header().Set("X-Content-Type-Options", "nosniff")
		http.ServeContent(w, r, candidate, st.ModTime(), content)
		return true
	}
	if name == "/index.html" {
		a.missing(w)
		return true
	}
	return false
}

// missing is / while the web client is not built (yet).
func (a webApp) missing(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>chatd</title>
<meta http-equiv="refresh" content="5"></head><body style="font-family:sans-serif;max-width:40em;margin:3em auto">
<h1>chatd is running</h1>
<p>The web client is not built ` + a.dirNote() + `.
<code>make run</code> builds it in the background when Node.js 20+ and npm are installed
(this page reloads every 5 s), or build it yourself with <code>scripts/web.sh build</code>.</p>
<p>Meanwhile: <a href="/swagger/index.html">the admin API (Swagger UI)</a>, <a href="/healthz">/healthz</a>.</p>
</body></html>`))
}

func (a webApp) dirNote() string {
	if _, err := os.Stat(a.dir); errors.Is(err, fs.ErrNotExist) {
		return "(no " + htmlEscape(a.dir) + " yet)"
	}
	return "(" + htmlEscape(a.dir) + " has no index.html yet)"
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}
