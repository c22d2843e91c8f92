package httpapi

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/interfaces/protocol"
)

// routableMethods are the methods a route of ours may be registered for;
// the Allow header of a 405 lists those of them the path answers.
var routableMethods = []string{
	http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
	http.MethodPatch, http.MethodDelete, http.MethodOptions,
}

// methodNotAllowed answers a method the path does not serve with 405 and
// the Allow header HTTP requires (RFC 9110 section 15.5.6), in the JSON
// error shape of every other error. chi's own 405 handler knows the
// allowed methods but writes no body; a custom one does not get them, so
// they are found by asking the router. The code stays bad_request: the
// protocol's code list has no entry of its own for a wrong method, only
// the status says which mistake it is. A path no method serves is a 404:
// chi also sends unknown methods (say FOO) here, before it looks at the path.
func methodNotAllowed(routes chi.Routes, logger *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		allowed := allowedMethods(routes, routePath(r))
		if len(allowed) == 0 {
			writeError(w, r, logger, domain.Errorf(domain.KindNotFound, "no endpoint %s %s", r.Method, r.URL.Path))
			return
		}
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		writeJSON(w, http.StatusMethodNotAllowed, ErrorBody{
			Code:    protocol.CodeBadRequest,
			Message: "method " + r.Method + " is not allowed on " + r.URL.Path + "; allowed: " + strings.Join(allowed, ", "),
		})
	}
}

// allowedMethods lists the methods routes serves on path.
func allowedMethods(routes chi.Routes, path string) []string {
	var allowed []string
	for _, m := range routableMethods {
		if routes.Match(chi.NewRouteContext(), m, path) {
			allowed = append(allowed, m)
		}
	}
	return allowed
}

// routePath is the path chi routes on: the escaped one when it differs.
func routePath(r *http.Request) string {
	if r.URL.RawPath != "" {
		return r.URL.RawPath
	}
	return r.URL.Path
}
