package domain

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestKindSurvivesWrapping(t *testing.T) {
	err := fmt.Errorf("send message c1: %w", ErrNotMember)
	if KindOf(err) != KindForbidden || !errors.Is(err, ErrNotMember) {
		t.Fatalf("wrapped sentinel lost: kind %v", KindOf(err))
	}
	if MessageOf(err) != ErrNotMember.Message {
		t.Fatalf("message = %q", MessageOf(err))
	}
	if errors.Is(err, ErrChannelNotFound) {
		t.Fatal("different sentinels must not match")
	}
}

func TestUnclassifiedErrorsAreInternalAndOpaque(t *testing.T) {
	err := errors.New("pq: relation secret_table does not exist")
	if KindOf(err) != KindInternal {
		t.Fatalf("kind = %v", KindOf(err))
	}
	if strings.Contains(MessageOf(err), "secret_table") {
		t.Fatal("internal details leaked into the client message")
	}
}

func TestUserRules(t *testing.T) {
	for _, id := range []string{"", "a b", "a/b", strings.Repeat("x", 65), "tab\t"} {
		if ValidateUserID(id) == nil {
			t.Errorf("user id %q accepted", id)
		}
	}
	for _, id := range []string{"u1", "auth0|123", "8c1e0f8a-1a2b-4c3d-9e8f-001122334455", "ユーザー"} {
		if err := ValidateUserID(id); err != nil {
			t.Errorf("user id %q refused: %v", id, err)
		}
	}
	if ValidateUserName(" ") == nil || ValidateUserName(strings.Repeat("n", 101)) == nil || ValidateUserName("Ann") != nil {
		t.Fatal("user name rules wrong")
	}
}

func TestParsePresenceStatus(t *testing.T) {
	if _, err := ParsePresenceStatus("online"); err != nil {
		t.Fatal(err)
	}
	if _, err := ParsePresenceStatus("away"); KindOf(err) != KindValidation {
		t.Fatal("unknown status accepted")
	}
}
