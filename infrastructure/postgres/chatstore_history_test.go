package postgres

import (
	"fmt"
	"testing"

	"github.com/chatd/chat/domain"
)

func TestMessagesPagination(t *testing.T) {
	t.Parallel()
	db, _ := openTestDB(t)
	store := NewChatStore(db)
	users := newUsers(t, db, 2)
	ch := newDirect(t, store, users[0], users[1])
	const total = 25
	for i := 1; i <= total; i++ {
		send(t, store, users[i%2], ch.ID, fmt.Sprintf("message %d", i))
	}

	tests := []struct {
		name          string
		page          domain.Page
		first, last   int64
		wantMore      bool
		wantNoneFound bool
	}{
		{name: "from the start", page: domain.Page{Limit: 10}, first: 1, last: 10, wantMore: true},
		{name: "after, middle", page: domain.Page{AfterSeq: 10, Limit: 10}, first: 11, last: 20, wantMore: true},
		{name: "after, ends exactly at the newest", page: domain.Page{AfterSeq: 15, Limit: 10}, first: 16, last: 25},
		{name: "after, short last page", page: domain.Page{AfterSeq: 20, Limit: 10}, first: 21, last: 25},
		{name: "after the newest", page: domain.Page{AfterSeq: 25, Limit: 10}, wantNoneFound: true},
		{name: "before, newest page", page: domain.Page{BeforeSeq: 26, Limit: 10}, first: 16, last: 25, wantMore: true},
		{name: "before, middle", page: domain.Page{BeforeSeq: 16, Limit: 10}, first: 6, last: 15, wantMore: true},
		{name: "before, ends exactly at the oldest", page: domain.Page{BeforeSeq: 11, Limit: 10}, first: 1, last: 10},
		{name: "before, short oldest page", page: domain.Page{BeforeSeq: 6, Limit: 10}, first: 1, last: 5},
		{name: "before the oldest", page: domain.Page{BeforeSeq: 1, Limit: 10}, wantNoneFound: true},
		{name: "default limit", page: domain.Page{}, first: 1, last: 25},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs, more, err := store.Messages(testContext(t), domain.Actor{UserID: users[0]}, ch.ID, tt.page)
			if err != nil {
				t.Fatal(err)
			}
			if more != tt.wantMore {
				t.Errorf("hasMore = %v, want %v", more, tt.wantMore)
			}
			if tt.wantNoneFound {
				if len(msgs) != 0 {
					t.Fatalf("got %d messages, want none", len(msgs))
				}
				return
			}
			if n := int64(len(msgs)); n != tt.last-tt.first+1 {
				t.Fatalf("got %d messages, want seq %d..%d", n, tt.first, tt.last)
			}
			for i, m := range msgs {
				want := tt.first + int64(i)
				if m.Seq != want || m.Body != fmt.Sprintf("message %d", want) || m.ChannelID != ch.ID {
					t.Fatalf("message %d = seq %d %q, want seq %d", i, m.Seq, m.Body, want)
				}
			}
		})
	}
}
