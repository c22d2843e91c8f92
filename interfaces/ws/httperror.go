package ws

import (
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/interfaces/protocol"
)

// httpError is the JSON body of a refused upgrade, the same shape as every
// REST error.
type httpError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// writeHTTPError refuses a request before the upgrade, with the status of
// err's code, and returns that status. Server-side failures are logged
// here, once, with the client's address.
func writeHTTPError(r *http.Request, w http.ResponseWriter, log *slog.Logger, err error) int {
	code := protocol.ErrorCode(err)
	status := protocol.HTTPStatus(code)
	message := domain.MessageOf(err)
	if code == protocol.CodeInternal {
		message = "internal error"
		log.ErrorContext(r.Context(), "websocket handshake failed", "remote", r.RemoteAddr, "err", err)
	} else if status >= 500 {
		log.WarnContext(r.Context(), "websocket handshake refused", "remote", r.RemoteAddr, "code", code, "err", err)
	}
	respondError(w, status, httpError{Code: code, Message: message})
	return status
}

// respondError writes the error body without logging, for refusals that
// are expected in bulk (clients reconnecting during shutdown).
func respondError(w http.ResponseWriter, status int, body httpError) {
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="chat"`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body) // the client went away; nothing to do
}
