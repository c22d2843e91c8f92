package httpapi

import (
	"context"
	"time"

	"github.com/chatd/chat/domain"
)

// Identity is what the REST side needs of the identity use cases.
type Identity interface {
	CreateUser(ctx context.Context, id, name string) (domain.User, error)
	User(ctx context.Context, id string) (domain.User, error)
	IssueToken(ctx context.Context, userID string, ttl time.Duration) (string, time.Time, error)
	Authenticate(ctx context.Context, token string) (domain.User, error)
}

// Pinger is a dependency /readyz checks, such as the database.
type Pinger interface {
	Ping(ctx context.Context) error
}
