package identity

import (
	"context"
	"time"

	"github.com/chatd/chat/domain"
)

// UserStore persists users. It runs on the system path: creating users is
// an admin act, and authentication happens before there is an acting user.
type UserStore interface {
	// CreateUser stores a user; an id that exists already fails with a
	// KindConflict error.
	CreateUser(ctx context.Context, u domain.User) (domain.User, error)
	// User returns a user or domain.ErrUserNotFound.
	User(ctx context.Context, id string) (domain.User, error)
}

// Tokens mints and checks bearer tokens for users.
type Tokens interface {
	// Issue returns a signed token for userID valid until expiresAt.
	Issue(userID string, expiresAt time.Time) (string, error)
	// Verify returns the user id a valid, unexpired token names and when
	// the token expires, or an error of kind KindUnauthorized.
	Verify(token string) (userID string, expiresAt time.Time, err error)
}

// IDGenerator makes new user ids when the admin gives none.
type IDGenerator interface {
	NewID() string
}

// Clock tells the time; tests give a fixed one.
type Clock interface {
	Now() time.Time
}
