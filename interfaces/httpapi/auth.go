package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"strings"

	"github.com/chatd/chat/domain"
)

// bearerToken returns the token of an `Authorization: Bearer` header.
func bearerToken(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// requireAdmin guards the admin API with CHAT_ADMIN_TOKEN. Both sides are
// hashed before the constant-time compare so neither the content nor the
// length of the token leaks through timing.
func requireAdmin(adminToken string, logger *slog.Logger) func(http.Handler) http.Handler {
	want := sha256.Sum256([]byte(adminToken))
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got := sha256.Sum256([]byte(bearerToken(r)))
			if subtle.ConstantTimeCompare(want[:], got[:]) != 1 {
				writeError(w, r, logger, domain.ErrUnauthorized)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
