package postgres

import (
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/chatd/chat/domain"
)

func TestMembersReadsEveryChannelsMembersAtOnce(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t)
	store := NewChatStore(db)
	users := newUsers(t, db, 4)
	group := newGroup(t, store, users[0], users[1], users[2])
	direct := newDirect(t, store, users[2], users[3])
	if err := store.Leave(testContext(t), domain.Actor{UserID: users[1], SessionID: ""}, group.ID); err != nil {
		t.Fatal(err)
	}

	got, err := NewMembers(openTestShards(t, db, 0)).ChannelMembers(testContext(t), []string{group.ID, direct.ID, uuid.NewString(), "not-a-uuid"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Errorf("got channels %v, want only the two that exist", got)
	}
	for id, want := range map[string][]string{group.ID: {users[0], users[2]}, direct.ID: {users[2], users[3]}} {
		members := slices.Clone(got[id].Users)
		slices.Sort(members)
		slices.Sort(want)
		if !slices.Equal(members, want) {
			t.Errorf("members of %s = %v, want %v (the leaver gone)", id, members, want)
		}
	}
	// One version step per membership added or removed (migration 00013).
	if v := got[group.ID].Version; v != 4 {
		t.Errorf("group's member version %d, want 4 (three joined, one left)", v)
	}
	if v := got[direct.ID].Version; v != 2 {
		t.Errorf("direct channel's member version %d, want 2", v)
	}

	if got, err := NewMembers(openTestShards(t, db, 0)).ChannelMembers(testContext(t), []string{"not-a-uuid"}); err != nil || len(got) != 0 {
		t.Errorf("only bad ids: %v, %v; want nothing and no error", got, err)
	}
}
