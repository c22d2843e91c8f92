package fanout

import (
	"context"
	"slices"
	"strconv"
	"testing"

	"github.com/chatd/chat/domain"
)

func versioned(ch string, seq, version int64) domain.Event {
	ev := message(ch, seq)
	ev.Message.MemberVersion = version
	return ev
}

func lookupOrFail(t *testing.T, c *memberCache, events ...domain.Event) map[string][]string {
	t.Helper()
	got, err := c.lookup(context.Background(), events)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestMemberCacheServesMessagesOfTheVersionItRead(t *testing.T) {
	f := &fakeMembers{channels: map[string][]string{}}
	f.set("c1", 3, "u1", "u2")
	f.set("c2", 1, "u3")
	c := newMemberCache(f)

	lookupOrFail(t, c, versioned("c1", 1, 3), versioned("c2", 1, 1))
	got := lookupOrFail(t, c, versioned("c1", 2, 3), versioned("c2", 2, 1), versioned("c1", 3, 3))
	if n := f.lookups(); n != 1 {
		t.Fatalf("%d lookups for two batches of unchanged channels, want 1", n)
	}
	if !slices.Equal(got["c1"], []string{"u1", "u2"}) || !slices.Equal(got["c2"], []string{"u3"}) {
		t.Fatalf("cached members %v", got)
	}

	// u2 leaves c1: the next message carries version 4, which the cached
	// roster is not, so it is read again and u2 gets nothing more.
	f.set("c1", 4, "u1")
	got = lookupOrFail(t, c, versioned("c1", 4, 4), versioned("c2", 3, 1))
	if n := f.lookups(); n != 2 || !slices.Equal(f.calls[1], []string{"c1"}) {
		t.Fatalf("lookups %v, want a second one of c1 alone", f.calls)
	}
	if !slices.Equal(got["c1"], []string{"u1"}) || !slices.Equal(got["c2"], []string{"u3"}) {
		t.Fatalf("members after the leave %v", got)
	}
}

func TestMemberCacheReadsWhatItCannotProve(t *testing.T) {
	f := &fakeMembers{channels: map[string][]string{}}
	f.set("c1", 5, "u1", "u2")
	c := newMemberCache(f)
	lookupOrFail(t, c, versioned("c1", 1, 5))

	cases := map[string][]domain.Event{
		"a message without a version":          {versioned("c1", 2, 0)},
		"a message of an older version":        {versioned("c1", 2, 4)},
		"a member left, which has no version":  {{Type: domain.EventMemberLeft, ChannelID: "c1", UserID: "u3"}},
		"a read update":                        {{Type: domain.EventReadUpdated, ChannelID: "c1", UserID: "u1", LastReadSeq: 1}},
		"a cached message behind one it can't": {versioned("c1", 2, 5), versioned("c1", 3, 6)},
	}
	for name, events := range cases {
		before := f.lookups()
		got := lookupOrFail(t, c, events...)
		if f.lookups() != before+1 {
			t.Errorf("%s: served from the cache, want a lookup", name)
		}
		if !slices.Equal(got["c1"], []string{"u1", "u2"}) {
			t.Errorf("%s: members %v", name, got["c1"])
		}
	}
}

func TestMemberCacheKeepsTheNewerOfTwoReads(t *testing.T) {
	c := newMemberCache(&fakeMembers{})
	c.keep("c1", Roster{Version: 7, Users: []string{"u1"}})
	c.keep("c1", Roster{Version: 6, Users: []string{"u1", "u2"}})
	if r := c.rosters["c1"]; r.Version != 7 {
		t.Fatalf("cache went back to version %d", r.Version)
	}
}

func TestMemberCacheStaysBounded(t *testing.T) {
	c := newMemberCache(&fakeMembers{})
	for i := range memberCacheSize + 10 {
		c.keep(strconv.Itoa(i), Roster{Version: 1, Users: []string{"u"}})
	}
	if n := len(c.rosters); n > memberCacheSize {
		t.Fatalf("cache holds %d rosters, bound %d", n, memberCacheSize)
	}
}

func TestMemberCacheHandsOutRostersSorted(t *testing.T) {
	f := &fakeMembers{channels: map[string][]string{}}
	f.set("c1", 1, "u9", "u1", "u5")
	c := newMemberCache(f)
	for range 2 { // read, then cached
		got := lookupOrFail(t, c, versioned("c1", 1, 1))
		if !slices.Equal(got["c1"], []string{"u1", "u5", "u9"}) {
			t.Fatalf("members %v, want them sorted", got["c1"])
		}
	}
}
