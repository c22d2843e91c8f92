package ws

import (
	"net/http"
	"strings"

	"github.com/chatd/chat/domain"
)

// bearerToken reads the token from the Authorization header or, for
// browsers (which cannot set headers on a WebSocket), the access_token
// query parameter. A missing token is "", which authentication refuses; a
// header that is not "Bearer <token>" is refused here.
func bearerToken(r *http.Request) (string, error) {
	header := r.Header.Get("Authorization")
	if header == "" {
		return r.URL.Query().Get("access_token"), nil
	}
	scheme, token, ok := strings.Cut(header, " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", domain.ErrUnauthorized
	}
	return token, nil
}
