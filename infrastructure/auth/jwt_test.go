package auth

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/chatd/chat/domain"
)

const secret = "test-secret-0123456789abcdef"

func TestIssueVerifyRoundTrip(t *testing.T) {
	j := NewJWT(secret)
	exp := time.Now().Add(time.Hour).Truncate(time.Second)
	token, err := j.Issue("u-1", exp)
	if err != nil {
		t.Fatal(err)
	}
	sub, gotExp, err := j.Verify(token)
	if err != nil || sub != "u-1" || !gotExp.Equal(exp) {
		t.Fatalf("Verify = %q, %v, %v; want u-1 expiring at %v", sub, gotExp, err, exp)
	}
}

func sign(t *testing.T, method jwt.SigningMethod, key any, claims jwt.Claims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerifyRefuses(t *testing.T) {
	j := NewJWT(secret)
	future := jwt.NewNumericDate(time.Now().Add(time.Hour))
	valid := sign(t, jwt.SigningMethodHS256, []byte(secret), jwt.RegisteredClaims{Subject: "u", ExpiresAt: future})
	parts := strings.Split(valid, ".")
	tests := map[string]string{
		"empty":          "",
		"garbage":        "not-a-jwt",
		"expired":        sign(t, jwt.SigningMethodHS256, []byte(secret), jwt.RegisteredClaims{Subject: "u", ExpiresAt: jwt.NewNumericDate(time.Now().Add(-time.Minute))}),
		"wrong secret":   sign(t, jwt.SigningMethodHS256, []byte("another-secret-0123456789"), jwt.RegisteredClaims{Subject: "u", ExpiresAt: future}),
		"no exp":         sign(t, jwt.SigningMethodHS256, []byte(secret), jwt.RegisteredClaims{Subject: "u"}),
		"no subject":     sign(t, jwt.SigningMethodHS256, []byte(secret), jwt.RegisteredClaims{ExpiresAt: future}),
		"alg none":       sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, jwt.RegisteredClaims{Subject: "u", ExpiresAt: future}),
		"HS512":          sign(t, jwt.SigningMethodHS512, []byte(secret), jwt.RegisteredClaims{Subject: "u", ExpiresAt: future}),
		"tampered body":  parts[0] + "." + strings.TrimRight(parts[1], "=") + "x." + parts[2],
		"no signature":   parts[0] + "." + parts[1] + ".",
		"NUL in subject": sign(t, jwt.SigningMethodHS256, []byte(secret), jwt.RegisteredClaims{Subject: "u\x00v", ExpiresAt: future}),
		"string exp": sign(t, jwt.SigningMethodHS256, []byte(secret), jwt.MapClaims{"sub": "u",
			"exp": strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)}),
		"string iat": sign(t, jwt.SigningMethodHS256, []byte(secret), jwt.MapClaims{"sub": "u", "exp": future.Unix(),
			"iat": strconv.FormatInt(time.Now().Unix(), 10)}),
		"iat 2 minutes ahead": sign(t, jwt.SigningMethodHS256, []byte(secret), jwt.RegisteredClaims{Subject: "u", ExpiresAt: future,
			IssuedAt: jwt.NewNumericDate(time.Now().Add(2 * time.Minute))}),
		"nbf 2 minutes ahead": sign(t, jwt.SigningMethodHS256, []byte(secret), jwt.RegisteredClaims{Subject: "u", ExpiresAt: future,
			NotBefore: jwt.NewNumericDate(time.Now().Add(2 * time.Minute))}),
		"expired 10 s ago": sign(t, jwt.SigningMethodHS256, []byte(secret), jwt.RegisteredClaims{Subject: "u",
			ExpiresAt: jwt.NewNumericDate(time.Now().Add(-10 * time.Second))}),
	}
	for name, token := range tests {
		t.Run(name, func(t *testing.T) {
			sub, _, err := j.Verify(token)
			if err == nil {
				t.Fatalf("Verify accepted %q as %q", name, sub)
			}
			if domain.KindOf(err) != domain.KindUnauthorized {
				t.Fatalf("kind = %v, want unauthorized", domain.KindOf(err))
			}
		})
	}
}

// TestVerifyToleratesSmallSkew: an iat or nbf up to 60 s ahead is clock
// skew, not forgery (protocol v1.1).
func TestVerifyToleratesSmallSkew(t *testing.T) {
	j := NewJWT(secret)
	ahead := jwt.NewNumericDate(time.Now().Add(30 * time.Second))
	token := sign(t, jwt.SigningMethodHS256, []byte(secret), jwt.RegisteredClaims{Subject: "u",
		ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour)), IssuedAt: ahead, NotBefore: ahead})
	if sub, _, err := j.Verify(token); err != nil || sub != "u" {
		t.Fatalf("Verify = %q, %v; want u", sub, err)
	}
}
