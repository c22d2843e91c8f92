// Package auth mints and verifies the HS256 JSON Web Tokens that clients
// present to open a WebSocket: `sub` is the user id, `exp` is required.
package auth

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/chatd/chat/domain"
)

// leeway tolerates small clock skew between the backend that minted a
// token and this node; anything larger is a real expiry.
const leeway = 5 * time.Second

// JWT signs and checks tokens with one shared secret.
type JWT struct {
	secret []byte
	now    func() time.Time
}

// NewJWT builds a token service over the shared secret (CHAT_JWT_SECRET).
func NewJWT(secret string) *JWT {
	return &JWT{secret: []byte(secret), now: time.Now}
}

// Issue returns a signed token for userID that expires at expiresAt.
func (j *JWT) Issue(userID string, expiresAt time.Time) (string, error) {
	claims := jwt.RegisteredClaims{
		Subject:   userID,
		IssuedAt:  jwt.NewNumericDate(j.now()),
		ExpiresAt: jwt.NewNumericDate(expiresAt),
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(j.secret)
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return signed, nil
}

// Verify returns the subject of a valid token and when it expires. Only HS256 is accepted, so a
// token with "alg": "none" or an asymmetric algorithm is refused rather
// than checked against the wrong key; a token without `exp` is refused so no
// credential lives forever.
func (j *JWT) Verify(token string) (string, time.Time, error) {
	var claims jwt.RegisteredClaims
	parsed, err := jwt.ParseWithClaims(token, &claims, func(*jwt.Token) (any, error) { return j.secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(leeway),
		jwt.WithTimeFunc(j.now),
	)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("parse token: %w: %w", err, domain.ErrUnauthorized)
	}
	if !parsed.Valid || claims.Subject == "" {
		return "", time.Time{}, fmt.Errorf("token has no subject: %w", domain.ErrUnauthorized)
	}
	return claims.Subject, claims.ExpiresAt.Time, nil
}

// ErrExpired reports whether err came from an expired token, for logs.
func ErrExpired(err error) bool { return errors.Is(err, jwt.ErrTokenExpired) }
