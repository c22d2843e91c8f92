package identity

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/chatd/chat/domain"
)

type memUsers map[string]domain.User

func (m memUsers) CreateUser(_ context.Context, u domain.User) (domain.User, error) {
	if _, ok := m[u.ID]; ok {
		return domain.User{}, domain.Errorf(domain.KindConflict, "user %q already exists", u.ID)
	}
	m[u.ID] = u
	return u, nil
}

func (m memUsers) User(_ context.Context, id string) (domain.User, error) {
	u, ok := m[id]
	if !ok {
		return domain.User{}, domain.ErrUserNotFound
	}
	return u, nil
}

// fakeTokens treats "token:<id>" as a valid token for id.
type fakeTokens struct{ issued []time.Time }

func (f *fakeTokens) Issue(userID string, exp time.Time) (string, error) {
	f.issued = append(f.issued, exp)
	return "token:" + userID, nil
}

// fakeExpiry is when every fake token expires.
var fakeExpiry = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func (f *fakeTokens) Verify(token string) (string, time.Time, error) {
	if len(token) > 6 && token[:6] == "token:" {
		return token[6:], fakeExpiry, nil
	}
	return "", time.Time{}, domain.ErrUnauthorized
}

type fixedIDs struct{}

func (fixedIDs) NewID() string { return "generated-id" }

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

var now = time.Date(2026, 11, 22, 12, 0, 0, 123456789, time.UTC)

func newTestService() (*Service, memUsers, *fakeTokens) {
	users := memUsers{}
	tokens := &fakeTokens{}
	return NewService(users, tokens, fixedIDs{}, fixedClock{now}), users, tokens
}

func TestCreateUser(t *testing.T) {
	svc, _, _ := newTestService()
	ctx := context.Background()
	u, err := svc.CreateUser(ctx, "", "Ann")
	if err != nil || u.ID != "generated-id" || !u.CreatedAt.Equal(now.Truncate(time.Millisecond)) {
		t.Fatalf("u = %+v, %v", u, err)
	}
	if _, err := svc.CreateUser(ctx, "ext|42", "Bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateUser(ctx, "ext|42", "Bob"); domain.KindOf(err) != domain.KindConflict {
		t.Fatalf("duplicate: %v", err)
	}
	if _, err := svc.CreateUser(ctx, "bad id", "Bob"); domain.KindOf(err) != domain.KindValidation {
		t.Fatalf("bad id: %v", err)
	}
	if _, err := svc.CreateUser(ctx, "", " "); domain.KindOf(err) != domain.KindValidation {
		t.Fatalf("blank name: %v", err)
	}
}

func TestIssueToken(t *testing.T) {
	svc, _, tokens := newTestService()
	ctx := context.Background()
	if _, _, err := svc.IssueToken(ctx, "ghost", 0); !errors.Is(err, domain.ErrUserNotFound) {
		t.Fatalf("token for unknown user: %v", err)
	}
	_, _ = svc.CreateUser(ctx, "u1", "Ann")
	token, exp, err := svc.IssueToken(ctx, "u1", 0)
	if err != nil || token != "token:u1" {
		t.Fatalf("token = %q, %v", token, err)
	}
	if want := now.Add(DefaultTokenTTL).Truncate(time.Second); !exp.Equal(want) || !tokens.issued[0].Equal(want) {
		t.Fatalf("expiry = %v, want %v", exp, want)
	}
	for _, ttl := range []time.Duration{time.Millisecond, MaxTokenTTL + time.Hour, -time.Hour} {
		if _, _, err := svc.IssueToken(ctx, "u1", ttl); domain.KindOf(err) != domain.KindValidation {
			t.Errorf("ttl %v accepted: %v", ttl, err)
		}
	}
}

func TestAuthenticate(t *testing.T) {
	svc, _, _ := newTestService()
	ctx := context.Background()
	_, _ = svc.CreateUser(ctx, "u1", "Ann")
	if u, err := svc.Authenticate(ctx, "token:u1"); err != nil || u.ID != "u1" {
		t.Fatalf("valid token: %+v %v", u, err)
	}
	// A connection learns when its token expires, to end then.
	if u, exp, err := svc.AuthenticateSession(ctx, "token:u1"); err != nil || u.ID != "u1" || !exp.Equal(fakeExpiry) {
		t.Fatalf("session: %+v expiring %v, %v", u, exp, err)
	}
	for _, token := range []string{"", "garbage", "token:deleted-user"} {
		if _, err := svc.Authenticate(ctx, token); !errors.Is(err, domain.ErrUnauthorized) {
			t.Errorf("%q: err = %v, want unauthorized", token, err)
		}
	}
}
