package domain

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on user identity fields.
const (
	MaxUserIDLength   = 64
	MaxUserNameLength = 100
)

// User is a person who can hold connections and be a channel member. Its ID
// comes from the admin API or an external identity provider.
type User struct {
	ID        string
	Name      string
	CreatedAt time.Time
}

// ValidateUserID checks an explicit user id: 1 to 64 printable characters
// without spaces, so ids survive URLs, logs and JWT claims unchanged.
func ValidateUserID(id string) error {
	if id == "" || utf8.RuneCountInString(id) > MaxUserIDLength {
		return Errorf(KindValidation, "user id must be 1 to %d characters", MaxUserIDLength)
	}
	for _, r := range id {
		if r <= ' ' || r == 0x7f || r == '/' {
			return Errorf(KindValidation, "user id must not contain spaces, control characters or '/'")
		}
	}
	return nil
}

// ValidateUserName checks a display name: 1 to 100 characters, not blank.
func ValidateUserName(name string) error {
	if strings.TrimSpace(name) == "" || utf8.RuneCountInString(name) > MaxUserNameLength {
		return Errorf(KindValidation, "name must be 1 to %d characters and not blank", MaxUserNameLength)
	}
	return nil
}
