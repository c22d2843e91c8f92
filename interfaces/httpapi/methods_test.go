package httpapi

import (
	"net/http"
	"strings"
	"testing"
)

// TestUndeclaredMethods: a method a path does not serve is 405 with the
// Allow header listing exactly the methods it does serve, and the JSON
// error body; a path nothing serves stays 404 whatever the method.
func TestUndeclaredMethods(t *testing.T) {
	h := newTestRouter(nil)
	for _, tc := range []struct{ method, path, bearer, allow string }{
		{"TRACE", "/admin/v1/users", testAdminToken, "GET, POST"},
		{"PUT", "/admin/v1/users/u1", testAdminToken, "GET"},
		{"TRACE", "/admin/v1/channels/c1/members/u1", testAdminToken, "DELETE"},
		{"POST", "/admin/v1/channels/c1/messages", testAdminToken, "GET"},
		{"DELETE", "/healthz", "", "GET"},
		{"TRACE", "/openapi.json", "", "GET"},
		{"OPTIONS", "/v1/gateway", "", "GET"},
		{"PATCH", "/metrics", "", "GET"},
	} {
		rec := call(h, tc.method, tc.path, tc.bearer, "", nil)
		if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != tc.allow ||
			!strings.Contains(rec.Body.String(), `"code":"bad_request"`) || rec.Header().Get("Content-Type") != "application/json" {
			t.Errorf("%s %s: %d Allow=%q %s, want 405 Allow=%q", tc.method, tc.path, rec.Code, rec.Header().Get("Allow"), rec.Body, tc.allow)
		}
	}
	// The admin token is checked before the method, as for any admin call.
	if rec := call(h, "TRACE", "/admin/v1/users", "", "", nil); rec.Code != http.StatusUnauthorized {
		t.Errorf("TRACE without the admin token: %d", rec.Code)
	}
	for _, method := range []string{"TRACE", "FOO"} {
		if rec := call(h, method, "/no/such/path", "", "", nil); rec.Code != http.StatusNotFound || rec.Header().Get("Allow") != "" {
			t.Errorf("%s on an unknown path: %d Allow=%q", method, rec.Code, rec.Header().Get("Allow"))
		}
	}
	if rec := call(h, "FOO", "/healthz", "", "", nil); rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET" {
		t.Errorf("FOO /healthz: %d Allow=%q", rec.Code, rec.Header().Get("Allow"))
	}
}

// TestNULRefused: U+0000 anywhere in what a client sends is 400
// validation_failed, never a database error.
func TestNULRefused(t *testing.T) {
	h := newTestRouter(nil)
	for _, tc := range []struct{ method, path, body string }{
		{"GET", "/admin/v1/users/a%00b", ""},
		{"GET", "/admin/v1/users/a%00b/presence", ""},
		{"DELETE", "/admin/v1/channels/c1/members/a%00", ""},
		{"GET", "/admin/v1/channels?member=a%00b", ""},
		{"GET", "/admin/v1/users?cursor=%00", ""},
		{"POST", "/admin/v1/users", `{"name":"a\u0000b"}`},
		{"POST", "/admin/v1/users", `{"id":"\u0000","name":"Ann"}`},
	} {
		rec := call(h, tc.method, tc.path, testAdminToken, tc.body, nil)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `"code":"validation_failed"`) ||
			!strings.Contains(rec.Body.String(), "U+0000") {
			t.Errorf("%s %s %s: %d %s", tc.method, tc.path, tc.body, rec.Code, rec.Body)
		}
	}
	// An escaped backslash before "u0000" is text, not U+0000.
	if rec := call(h, "POST", "/admin/v1/users", testAdminToken, `{"id":"u9","name":"a\\u0000"}`, nil); rec.Code != http.StatusCreated {
		t.Errorf("literal backslash-u0000 in a name: %d %s", rec.Code, rec.Body)
	}
}

// TestNullsAndEmptyFiltersRefused: JSON null is not "absent", and a filter
// given empty is not "no filter": the document allows neither.
func TestNullsAndEmptyFiltersRefused(t *testing.T) {
	h := newTestRouter(nil)
	call(h, "POST", "/admin/v1/users", testAdminToken, `{"id":"u1","name":"Ann"}`, nil)
	for path, body := range map[string]string{
		"/admin/v1/users":            `{"id":null,"name":"Ann"}`,
		"/admin/v1/users/u1/tokens":  `null`,
		"/admin/v1/users/u1/tokens?": `{"ttlSeconds":null}`,
	} {
		if rec := call(h, "POST", path, testAdminToken, body, nil); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `"code":"bad_request"`) {
			t.Errorf("POST %s %s: %d %s", path, body, rec.Code, rec.Body)
		}
	}
	for _, q := range []string{"type=", "member="} {
		rec := call(h, "GET", "/admin/v1/channels?"+q, testAdminToken, "", nil)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `"code":"validation_failed"`) {
			t.Errorf("?%s: %d %s", q, rec.Code, rec.Body)
		}
	}
}
