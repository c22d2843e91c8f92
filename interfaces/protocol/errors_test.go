package protocol

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/chatd/chat/domain"
)

func TestErrorCodeCoversEveryKind(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{domain.Errorf(domain.KindInternal, "bug"), CodeInternal},
		{domain.Errorf(domain.KindBadRequest, "bad"), CodeBadRequest},
		{domain.Errorf(domain.KindValidation, "body exceeds 1000 characters"), CodeValidationFailed},
		{domain.ErrUnauthorized, CodeUnauthorized},
		{domain.ErrNotMember, CodeForbidden},
		{domain.ErrChannelNotFound, CodeNotFound},
		{domain.ErrChannelFull, CodeChannelFull},
		{domain.ErrRateLimited, CodeRateLimited},
		{domain.ErrUnavailable, CodeUnavailable},
		{domain.Errorf(domain.KindConflict, "user exists"), CodeConflict},
		{fmt.Errorf("send message to c1: %w", domain.ErrNotMember), CodeForbidden},
		{errors.New("pq: connection refused"), CodeInternal},
		{domain.Errorf(domain.Kind(99), "a kind nobody mapped"), CodeInternal},
	}
	for _, tt := range tests {
		t.Run(tt.want+"/"+tt.err.Error(), func(t *testing.T) {
			if got := ErrorCode(tt.err); got != tt.want {
				t.Errorf("ErrorCode(%v) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
	for kind := domain.KindInternal; kind <= domain.KindConflict; kind++ {
		if _, ok := kindCodes[kind]; !ok {
			t.Errorf("kind %d has no code", kind)
		}
	}
}

func TestHTTPStatus(t *testing.T) {
	tests := map[string]int{
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
		"no_such_code":       http.StatusInternalServerError,
	}
	for code, want := range tests {
		if got := HTTPStatus(code); got != want {
			t.Errorf("HTTPStatus(%q) = %d, want %d", code, got, want)
		}
	}
	for _, code := range kindCodes {
		if _, ok := codeStatuses[code]; !ok {
			t.Errorf("code %q has no HTTP status", code)
		}
	}
}

func TestCloseCodeReconnect(t *testing.T) {
	tests := map[CloseCode]bool{
		CloseNormal:         false,
		CloseMessageTooBig:  false,
		CloseUnauthorized:   false,
		CloseInternalError:  true,
		CloseServiceRestart: true,
		CloseSlowConsumer:   true,
		CloseWrongNode:      true,
		1006:                true,
	}
	for code, want := range tests {
		if got := code.Reconnect(); got != want {
			t.Errorf("CloseCode(%d).Reconnect() = %v, want %v", code, got, want)
		}
	}
}
