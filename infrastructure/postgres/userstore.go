package postgres

import (
	"context"
	"fmt"

	"github.com/chatd/chat/application/identity"
	"github.com/chatd/chat/domain"
)

var _ identity.UserStore = (*UserStore)(nil)

// UserStore keeps users on the system pool: creating users is an admin act
// and looking one up happens during authentication, before any user acts.
type UserStore struct {
	db *DB
}

// NewUserStore returns a user store over db.
func NewUserStore(db *DB) *UserStore {
	return &UserStore{db: db}
}

// CreateUser stores u as given (the identity service has validated it and
// chosen its CreatedAt). An existing id is a KindConflict error.
func (s *UserStore) CreateUser(ctx context.Context, u domain.User) (domain.User, error) {
	var row userRow
	err := s.db.system.WithContext(ctx).Raw(
		"INSERT INTO users (id, name, created_at) VALUES (?, ?, ?) RETURNING id, name, created_at",
		u.ID, u.Name, u.CreatedAt).Scan(&row).Error
	switch pgCode(err) {
	case "":
	case codeUniqueViolation:
		return domain.User{}, domain.Errorf(domain.KindConflict, "user %q already exists", u.ID)
	case codeCheckViolation:
		return domain.User{}, domain.Errorf(domain.KindValidation, "user id must be 1 to %d characters without spaces, control characters or '/'", domain.MaxUserIDLength)
	}
	if err != nil {
		return domain.User{}, classify(fmt.Sprintf("create user %q", u.ID), err)
	}
	return row.domain(), nil
}

// User returns the user with id, or domain.ErrUserNotFound.
func (s *UserStore) User(ctx context.Context, id string) (domain.User, error) {
	var row userRow
	res := s.db.system.WithContext(ctx).Raw("SELECT id, name, created_at FROM users WHERE id = ?", id).Scan(&row)
	if res.Error != nil {
		return domain.User{}, classify(fmt.Sprintf("get user %q", id), res.Error)
	}
	if res.RowsAffected == 0 {
		return domain.User{}, domain.ErrUserNotFound
	}
	return row.domain(), nil
}
