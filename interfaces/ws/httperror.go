package ws

import (
	"context"
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
// here, once.
func writeHTTPError(ctx context.Context, w http.ResponseWriter, log *slog.Logger, err error) int {
	code := protocol.ErrorCode(err)
	status := protocol.HTTPStatus(code)
	message := domain.MessageOf(err)
	if code == protocol.CodeInternal {
		message = "internal error"
		log.ErrorContext(ctx, "websocket handshake failed", "err", err)
	} else if status >= 500 {
		log.WarnContext(ctx, "websocket handshake refused", "code", code, "err", err)
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
