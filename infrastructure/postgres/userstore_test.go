package postgres

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/chatd/chat/domain"
)

func TestUserStore(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t)
	store := NewUserStore(db)
	ctx := testContext(t)
	u := domain.User{ID: randomID("ユーザー-"), Name: "Ada", CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC)}

	created, err := store.CreateUser(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(u, created); diff != "" {
		t.Fatalf("CreateUser (-want +got):\n%s", diff)
	}
	got, err := store.User(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(u, got); diff != "" {
		t.Fatalf("User (-want +got):\n%s", diff)
	}

	_, err = store.CreateUser(ctx, domain.User{ID: u.ID, Name: "again", CreatedAt: u.CreatedAt})
	if domain.KindOf(err) != domain.KindConflict {
		t.Fatalf("duplicate id: got %v (kind %v), want a conflict", err, domain.KindOf(err))
	}
	_, err = store.User(ctx, "missing-"+u.ID)
	wantErr(t, "missing user", err, domain.ErrUserNotFound)
	_, err = store.CreateUser(ctx, domain.User{ID: "has space", Name: "x", CreatedAt: u.CreatedAt})
	if domain.KindOf(err) != domain.KindValidation {
		t.Fatalf("id with a space: got %v, want a validation error", err)
	}
}
