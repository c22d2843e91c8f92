package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/interfaces/protocol"
)

// maxBodyBytes bounds admin request bodies; none needs more.
const maxBodyBytes = 64 << 10

// ErrorBody is the JSON shape of every REST error.
type ErrorBody struct {
	// Code is one of the protocol's error codes (docs/protocol.md, error codes).
	Code    string `json:"code" enums:"bad_request,validation_failed,unauthorized,forbidden,not_found,channel_full,rate_limited,unavailable,conflict,internal" example:"validation_failed"`
	Message string `json:"message" example:"name must be 1 to 100 characters and not blank"`
} // @name ErrorBody

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client went away; nothing to do
}

// writeError maps err to its protocol code and HTTP status in the one
// shared table, and logs it when it is the server's fault.
func writeError(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	code := protocol.ErrorCode(err)
	status := protocol.HTTPStatus(code)
	if status >= 500 {
		logger.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeJSON(w, status, ErrorBody{Code: code, Message: domain.MessageOf(err)})
}

// decodeJSON reads a request body strictly: one JSON object of known
// fields, at most maxBodyBytes. Anything else is a bad_request; a string
// holding U+0000 is validation_failed. The OpenAPI document says the same
// with additionalProperties: false on every request body (cmd/openapigen).
func decodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		return badRequest(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return badRequest(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		return domain.Errorf(domain.KindBadRequest, "request body must hold one JSON object")
	}
	// encoding/json reads a null as "leave the field alone", so a body
	// of null or {"id": null} would pass as an empty one; the document
	// allows neither.
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil || fields == nil {
		return domain.Errorf(domain.KindBadRequest, "request body must be a JSON object")
	}
	for name, v := range fields {
		if string(v) == "null" {
			return domain.Errorf(domain.KindBadRequest, "field %q must not be null; leave it out instead", name)
		}
	}
	return checkNoNUL(dst)
}

func badRequest(err error) error {
	var syntax *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	var tooBig *http.MaxBytesError
	switch {
	case errors.Is(err, io.EOF):
		return domain.Errorf(domain.KindBadRequest, "request body is empty")
	case errors.As(err, &syntax):
		return domain.Errorf(domain.KindBadRequest, "request body is not valid JSON at byte %d", syntax.Offset)
	case errors.As(err, &typeErr):
		return domain.Errorf(domain.KindBadRequest, "field %q must be %s", typeErr.Field, typeErr.Type)
	case errors.As(err, &tooBig):
		return domain.Errorf(domain.KindBadRequest, "request body exceeds %d bytes", maxBodyBytes)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return domain.Errorf(domain.KindBadRequest, "unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return domain.Errorf(domain.KindBadRequest, "%s", fmt.Sprint("malformed request body: ", err))
}
