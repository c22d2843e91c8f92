package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

const openAPIPath = "../../api/openapi.yaml"

// loadOpenAPI parses the committed OpenAPI document into plain JSON values
// (objects, arrays, float64 numbers), as /openapi.json decodes.
func loadOpenAPI(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile(openAPIPath)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("parse %s: %v", openAPIPath, err)
	}
	return doc
}

// object returns node[key] as an object, failing the test when it is not one.
func object(t *testing.T, node map[string]any, key string) map[string]any {
	t.Helper()
	m, ok := node[key].(map[string]any)
	if !ok {
		t.Fatalf("%q is not an object in the OpenAPI document", key)
	}
	return m
}

// TestServedOpenAPIIsTheCommittedOne: /openapi.json serves the document
// committed as api/openapi.yaml (both are written by cmd/openapigen; `make
// check-generated` proves they are fresh).
func TestServedOpenAPIIsTheCommittedOne(t *testing.T) {
	rec := call(newTestRouter(nil), "GET", "/openapi.json", "", "", nil)
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("/openapi.json: %d %v", rec.Code, rec.Header())
	}
	var served map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &served); err != nil {
		t.Fatal(err)
	}
	committed := loadOpenAPI(t)
	if diff := cmp.Diff(committed, served); diff != "" {
		t.Fatalf("api/openapi.yaml (-) and /openapi.json (+) differ; run make generate:\n%s", diff)
	}
	if served["openapi"] != "3.0.3" {
		t.Fatalf("openapi = %v", served["openapi"])
	}
}

// TestOpenAPIDocumentsEveryRoute: every route the router serves (but the
// WebSocket upgrade and the documents' own UI) is in the document, and the
// document names no route that does not exist.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	doc := loadOpenAPI(t)
	var documented []string
	paths := object(t, doc, "paths")
	for path := range paths {
		for method := range object(t, paths, path) {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	routed := routesOf(t, newTestRouter(nil))
	if diff := cmp.Diff(sortedCopy(routed), sortedCopy(documented)); diff != "" {
		t.Fatalf("routes (-) and documented operations (+):\n%s", diff)
	}
	for _, op := range documented {
		if strings.HasPrefix(op, "GET /admin/") || strings.HasPrefix(op, "POST /admin/") || strings.HasPrefix(op, "DELETE /admin/") {
			method, path, _ := strings.Cut(op, " ")
			sec := object(t, object(t, paths, path), strings.ToLower(method))["security"]
			if !strings.Contains(toJSON(sec), "AdminToken") {
				t.Errorf("%s is not marked with the AdminToken security scheme", op)
			}
		}
	}
}

func TestSwaggerUI(t *testing.T) {
	h := newTestRouter(nil)
	rec := call(h, "GET", "/swagger/index.html", "", "", nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "/openapi.json") {
		t.Fatalf("/swagger/index.html: %d %.200s", rec.Code, rec.Body)
	}
	for _, asset := range []string{"/swagger/swagger-ui-bundle.js", "/swagger/swagger-ui.css"} {
		if rec := call(h, "GET", asset, "", "", nil); rec.Code != http.StatusOK || rec.Body.Len() == 0 {
			t.Errorf("%s: %d", asset, rec.Code)
		}
	}
	for _, path := range []string{"/swagger", "/swagger/"} {
		if rec := call(h, "GET", path, "", "", nil); rec.Code != http.StatusMovedPermanently || rec.Header().Get("Location") != "/swagger/index.html" {
			t.Errorf("%s: %d %v", path, rec.Code, rec.Header())
		}
	}
	// The UI bundle's default document URL serves the OpenAPI document too.
	if rec := call(h, "GET", "/swagger/doc.json", "", "", nil); rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), openAPIJSON) {
		t.Errorf("/swagger/doc.json: %d %.100s", rec.Code, rec.Body)
	}
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// routesOf lists "METHOD /pattern" for every route of the router but the
// WebSocket upgrade and Swagger UI, which are not REST operations.
func routesOf(t *testing.T, h http.Handler) []string {
	t.Helper()
	var out []string
	err := chi.Walk(h.(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		route = strings.ReplaceAll(route, "/*/", "/")
		if route == "/ws" || strings.HasPrefix(route, "/swagger") {
			return nil
		}
		out = append(out, method+" "+route)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
