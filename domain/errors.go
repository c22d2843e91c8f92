package domain

import (
	"errors"
	"fmt"
	"time"
)

// Kind classifies an error by what the caller can do about it. Adapters map a
// Kind to a wire code and an HTTP status in exactly one place each, so a new
// domain error only needs the right Kind to be reported correctly everywhere.
type Kind int

// The kinds of failure the product distinguishes. KindInternal is the zero
// value on purpose: an error nobody classified is a bug, not a user mistake.
const (
	KindInternal     Kind = iota // a bug; nothing was half-written
	KindBadRequest               // the request itself is malformed
	KindValidation               // a domain rule is broken
	KindUnauthorized             // no valid identity
	KindForbidden                // the actor may not do this
	KindNotFound                 // missing or invisible to the actor
	KindChannelFull              // a group already has MaxGroupMembers
	KindRateLimited              // the actor exceeded a rate
	KindUnavailable              // a dependency is down; retry later
	KindConflict                 // the state changed under the request
)

// Error is a classified error with a message fit for the client.
type Error struct {
	Kind    Kind
	Message string
	// RetryAfter, when set, is how long the client should wait before it
	// retries (an overloaded service says so instead of queueing).
	RetryAfter time.Duration
}

// Overloaded is the error of work refused because the service is at its
// limit: nothing was stored, and the client may retry after retryAfter
// with the same ids.
func Overloaded(retryAfter time.Duration, format string, args ...any) error {
	return &Error{Kind: KindUnavailable, Message: fmt.Sprintf(format, args...), RetryAfter: retryAfter}
}

// RetryAfterOf reports the retry hint of the first domain error in err's
// chain; zero when there is none.
func RetryAfterOf(err error) time.Duration {
	var de *Error
	if errors.As(err, &de) {
		return de.RetryAfter
	}
	return 0
}

func (e *Error) Error() string { return e.Message }

// Is lets errors.Is match two domain errors of the same kind and message,
// so sentinels survive being re-created with the same text.
func (e *Error) Is(target error) bool {
	var other *Error
	if !errors.As(target, &other) {
		return false
	}
	return other.Kind == e.Kind && other.Message == e.Message
}

// Errorf builds a classified error with a formatted client-facing message.
func Errorf(kind Kind, format string, args ...any) error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// KindOf reports the kind of the first domain error in err's chain, and
// KindInternal when there is none.
func KindOf(err error) Kind {
	var de *Error
	if errors.As(err, &de) {
		return de.Kind
	}
	return KindInternal
}

// MessageOf reports the client-facing message of the first domain error in
// err's chain. Unclassified errors get a generic text so internals (SQL,
// hostnames) never leak to clients.
func MessageOf(err error) string {
	var de *Error
	if errors.As(err, &de) {
		return de.Message
	}
	return "internal error"
}

// Sentinels for the rules that callers test for by identity.
var (
	ErrNotMember       = &Error{Kind: KindForbidden, Message: "not a member of this channel"}
	ErrChannelNotFound = &Error{Kind: KindNotFound, Message: "channel not found"}
	ErrUserNotFound    = &Error{Kind: KindNotFound, Message: "user not found"}
	ErrChannelFull     = &Error{Kind: KindChannelFull, Message: "channel already has 50 members"}
	ErrRateLimited     = &Error{Kind: KindRateLimited, Message: "send rate exceeded"}
	ErrUnauthorized    = &Error{Kind: KindUnauthorized, Message: "invalid or missing credentials"}
	ErrUnavailable     = &Error{Kind: KindUnavailable, Message: "service temporarily unavailable; retry with the same ids"}
	ErrDirectJoin      = &Error{Kind: KindForbidden, Message: "a direct channel can be joined only by its own two users"}
)
