package httpapi

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/chatd/chat/interfaces/protocol"
)

// refuseNUL answers 400 validation_failed to a request whose path or query
// holds U+0000 (%00), before any handler or database sees it (protocol
// v1.1); bodies are checked where they are decoded (decodeJSON).
func refuseNUL(logger *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.ContainsRune(r.URL.Path, 0) || strings.Contains(r.URL.RawQuery, "%00") || strings.ContainsRune(r.URL.RawQuery, 0) {
				writeError(w, r, logger, protocol.ErrNUL)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
