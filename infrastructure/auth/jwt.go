// Package auth mints and verifies the HS256 JSON Web Tokens that clients
// present to open a WebSocket: `sub` is the user id, `exp` is required.
package auth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/chatd/chat/domain"
)

// leeway tolerates small clock skew between the backend that minted a
// token and this node; anything larger is a real expiry.
const leeway = 5 * time.Second

// futureSkew is how far in the future a token's iat or nbf may lie
// (protocol v1.1): a clock that far ahead is not skew but a forged or
// broken token.
const futureSkew = 60 * time.Second

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
	// The library's leeway covers iat and nbf (futureSkew); exp gets the
	// tighter leeway below.
	parsed, err := jwt.ParseWithClaims(token, &claims, func(*jwt.Token) (any, error) { return j.secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(futureSkew),
		jwt.WithTimeFunc(j.now),
	)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("parse token: %w: %w", err, domain.ErrUnauthorized)
	}
	if !parsed.Valid || claims.Subject == "" {
		return "", time.Time{}, fmt.Errorf("token has no subject: %w", domain.ErrUnauthorized)
	}
	if !claims.ExpiresAt.Time.Add(leeway).After(j.now()) {
		return "", time.Time{}, fmt.Errorf("parse token: %w: %w", jwt.ErrTokenExpired, domain.ErrUnauthorized)
	}
	if strings.ContainsRune(claims.Subject, 0) {
		return "", time.Time{}, fmt.Errorf("token subject contains U+0000: %w", domain.ErrUnauthorized)
	}
	if err := numericTimes(parsed); err != nil {
		return "", time.Time{}, fmt.Errorf("parse token: %w: %w", err, domain.ErrUnauthorized)
	}
	return claims.Subject, claims.ExpiresAt.Time, nil
}

// numericTimes refuses exp, iat and nbf written as JSON strings, which the
// library reads as numbers: RFC 7519 makes them NumericDates, and a token
// minted that way comes from a broken or hostile issuer.
func numericTimes(token *jwt.Token) error {
	parts := strings.Split(token.Raw, ".")
	if len(parts) != 3 {
		return errors.New("token is not three parts")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return fmt.Errorf("token payload: %w", err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(payload, &fields); err != nil {
		return fmt.Errorf("token payload: %w", err)
	}
	for _, name := range []string{"exp", "iat", "nbf"} {
		if raw, ok := fields[name]; ok && (len(raw) == 0 || raw[0] == '"') {
			return fmt.Errorf("claim %s must be a number", name)
		}
	}
	return nil
}

// ErrExpired reports whether err came from an expired token, for logs.
func ErrExpired(err error) bool { return errors.Is(err, jwt.ErrTokenExpired) }
