package protocol

import (
	"net/http"

	"github.com/chatd/chat/domain"
)

// The error codes of the protocol (docs/protocol.md, error codes), shared
// by the WebSocket error frame and the REST error body.
const (
	CodeBadRequest       = "bad_request"
	CodeValidationFailed = "validation_failed"
	CodeUnauthorized     = "unauthorized"
	CodeForbidden        = "forbidden"
	CodeNotFound         = "not_found"
	CodeChannelFull      = "channel_full"
	CodeRateLimited      = "rate_limited"
	CodeUnavailable      = "unavailable"
	CodeConflict         = "conflict"
	CodeInternal         = "internal"
)

// kindCodes is the one table from domain error kind to wire code. An error
// that carries no kind is KindInternal, so it reports as internal.
var kindCodes = map[domain.Kind]string{
	domain.KindInternal:     CodeInternal,
	domain.KindBadRequest:   CodeBadRequest,
	domain.KindValidation:   CodeValidationFailed,
	domain.KindUnauthorized: CodeUnauthorized,
	domain.KindForbidden:    CodeForbidden,
	domain.KindNotFound:     CodeNotFound,
	domain.KindChannelFull:  CodeChannelFull,
	domain.KindRateLimited:  CodeRateLimited,
	domain.KindUnavailable:  CodeUnavailable,
	domain.KindConflict:     CodeConflict,
}

// codeStatuses is the one table from wire code to HTTP status.
var codeStatuses = map[string]int{
	CodeBadRequest:       http.StatusBadRequest,
	CodeValidationFailed: http.StatusBadRequest,
	CodeUnauthorized:     http.StatusUnauthorized,
	CodeForbidden:        http.StatusForbidden,
	CodeNotFound:         http.StatusNotFound,
	CodeChannelFull:      http.StatusConflict,
	CodeConflict:         http.StatusConflict,
	CodeRateLimited:      http.StatusTooManyRequests,
	CodeUnavailable:      http.StatusServiceUnavailable,
	CodeInternal:         http.StatusInternalServerError,
}

// ErrorCode is the wire code of err, from the kind of the first domain
// error in its chain. Handlers call it instead of inspecting errors, so a
// new domain error is reported correctly everywhere once it has a kind.
func ErrorCode(err error) string {
	if code, ok := kindCodes[domain.KindOf(err)]; ok {
		return code
	}
	return CodeInternal
}

// HTTPStatus is the HTTP status of a wire code; unknown codes are 500.
func HTTPStatus(code string) int {
	if status, ok := codeStatuses[code]; ok {
		return status
	}
	return http.StatusInternalServerError
}
