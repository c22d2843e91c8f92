package identity

import (
	"context"
	"fmt"
	"time"

	"github.com/chatd/chat/domain"
)

// DefaultTokenTTL is how long a minted token is valid when no TTL is asked.
const DefaultTokenTTL = 24 * time.Hour

// MaxTokenTTL caps minted tokens so a leaked one does not live forever.
const MaxTokenTTL = 30 * 24 * time.Hour

// Service is the identity use cases.
type Service struct {
	users  UserStore
	tokens Tokens
	ids    IDGenerator
	clock  Clock
}

// NewService builds the identity use cases.
func NewService(users UserStore, tokens Tokens, ids IDGenerator, clock Clock) *Service {
	return &Service{users: users, tokens: tokens, ids: ids, clock: clock}
}

// CreateUser creates a user with the given name and, if not empty, id.
func (s *Service) CreateUser(ctx context.Context, id, name string) (domain.User, error) {
	if id == "" {
		id = s.ids.NewID()
	}
	if err := domain.ValidateUserID(id); err != nil {
		return domain.User{}, err
	}
	if err := domain.ValidateUserName(name); err != nil {
		return domain.User{}, err
	}
	u, err := s.users.CreateUser(ctx, domain.User{ID: id, Name: name, CreatedAt: s.clock.Now().UTC().Truncate(time.Millisecond)})
	if err != nil {
		return domain.User{}, fmt.Errorf("create user %q: %w", id, err)
	}
	return u, nil
}

// User returns one user.
func (s *Service) User(ctx context.Context, id string) (domain.User, error) {
	u, err := s.users.User(ctx, id)
	if err != nil {
		return domain.User{}, fmt.Errorf("get user %q: %w", id, err)
	}
	return u, nil
}

// IssueToken mints a token for an existing user. A zero ttl means
// DefaultTokenTTL.
func (s *Service) IssueToken(ctx context.Context, userID string, ttl time.Duration) (string, time.Time, error) {
	if ttl == 0 {
		ttl = DefaultTokenTTL
	}
	if ttl < time.Second || ttl > MaxTokenTTL {
		return "", time.Time{}, domain.Errorf(domain.KindValidation, "ttl must be between 1s and %s", MaxTokenTTL)
	}
	if _, err := s.users.User(ctx, userID); err != nil {
		return "", time.Time{}, fmt.Errorf("mint token for %q: %w", userID, err)
	}
	expiresAt := s.clock.Now().UTC().Add(ttl).Truncate(time.Second)
	token, err := s.tokens.Issue(userID, expiresAt)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("mint token for %q: %w", userID, err)
	}
	return token, expiresAt, nil
}

// Authenticate turns a bearer token into the user it names. Any failure,
// including a valid token for a user that no longer exists, is
// domain.ErrUnauthorized so callers cannot probe which part was wrong.
func (s *Service) Authenticate(ctx context.Context, token string) (domain.User, error) {
	u, _, err := s.AuthenticateSession(ctx, token)
	return u, err
}

// AuthenticateSession is Authenticate for a connection that lives on: it
// also returns when the token expires, which is when the connection must
// end (close 4001) unless the client reconnects with a new token.
func (s *Service) AuthenticateSession(ctx context.Context, token string) (domain.User, time.Time, error) {
	if token == "" {
		return domain.User{}, time.Time{}, domain.ErrUnauthorized
	}
	userID, expiresAt, err := s.tokens.Verify(token)
	if err != nil {
		if domain.KindOf(err) != domain.KindUnauthorized {
			err = fmt.Errorf("%w: %w", err, domain.ErrUnauthorized)
		}
		return domain.User{}, time.Time{}, fmt.Errorf("verify token: %w", err)
	}
	u, err := s.users.User(ctx, userID)
	if err != nil {
		if domain.KindOf(err) == domain.KindNotFound {
			return domain.User{}, time.Time{}, fmt.Errorf("token names unknown user %q: %w", userID, domain.ErrUnauthorized)
		}
		return domain.User{}, time.Time{}, fmt.Errorf("authenticate %q: %w", userID, err)
	}
	return u, expiresAt, nil
}
