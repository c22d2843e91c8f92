package ws

import (
	"testing"
	"time"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/interfaces/protocol"
)

// Both paths feed the hub: the live one right after each commit, in no
// guaranteed order, and the durable one later, in seq order. These tests
// play both against one hub.

func liveMsg(channelID string, seq int64, origin string, recipients ...string) domain.Event {
	ev := msg(channelID, seq, origin)
	ev.Recipients = recipients
	return ev
}

func TestHubHoldsALaterSeqUntilTheEarlierOnesArrive(t *testing.T) {
	h := quietHub()
	s := join(t, h, "u2", 16, c1)

	deliver(t, h, liveMsg("c1", 3, "", "u2"), liveMsg("c1", 2, "", "u2"))
	expectFrames(t, "before seq 1", s, nil)

	deliver(t, h, liveMsg("c1", 1, "", "u2"))
	expectFrames(t, "after seq 1", s, received("c1", 1, 2, 3))
}

func TestHubDropsWhatTheSecondPathBringsAgain(t *testing.T) {
	h := quietHub()
	s := join(t, h, "u2", 16, c1)

	deliver(t, h, liveMsg("c1", 1, "", "u2"), liveMsg("c1", 2, "", "u2"))
	deliver(t, h, msg("c1", 1, ""), msg("c1", 2, ""), msg("c1", 3, "")) // durable, later
	deliver(t, h, liveMsg("c1", 3, "", "u2"))                           // a live copy that was slower

	expectFrames(t, "subscriber", s, received("c1", 1, 2, 3))
}

func TestHubFillsALiveGapFromTheDurablePath(t *testing.T) {
	h := quietHub()
	s := join(t, h, "u2", 16, c1)

	// Seq 2's live delivery was lost (its node died after the commit).
	deliver(t, h, liveMsg("c1", 1, "", "u2"), liveMsg("c1", 3, "", "u2"), liveMsg("c1", 4, "", "u2"))
	expectFrames(t, "while seq 2 is missing", s, received("c1", 1))

	deliver(t, h, msg("c1", 1, ""), msg("c1", 2, ""), msg("c1", 3, ""), msg("c1", 4, ""))
	expectFrames(t, "after the durable path", s, received("c1", 2, 3, 4))

	h.mu.Lock()
	defer h.mu.Unlock()
	if n := s.subs["c1"].holding(); n != 0 {
		t.Errorf("cursor still holds %d messages", n)
	}
}

func TestHubSkipsTheSessionsOwnMessageArrivingOutOfOrder(t *testing.T) {
	h := quietHub()
	sender, other := join(t, h, "u1", 16, c1), join(t, h, "u2", 16, c1)

	deliver(t, h, liveMsg("c1", 2, "s-someone", "u1", "u2"))
	deliver(t, h, liveMsg("c1", 1, sender.id, "u1", "u2"))

	expectFrames(t, "sender", sender, received("c1", 2))
	expectFrames(t, "other", other, received("c1", 1, 2))
}

func TestHubReplyFillsItsPlaceInTheRunWhenItsEventComes(t *testing.T) {
	h := quietHub()
	s := join(t, h, "u1", 16, c1)

	h.recordSent(s, "c1", 2) // the session's own message, answered
	deliver(t, h, liveMsg("c1", 3, "s-other", "u1"))
	expectFrames(t, "before seq 1", s, nil)

	// Seq 1 closes the gap; 2 was answered directly, so 3 follows at once.
	deliver(t, h, liveMsg("c1", 1, "s-other", "u1"))
	expectFrames(t, "after seq 1", s, received("c1", 1, 3))
	deliver(t, h, msg("c1", 2, s.id), msg("c1", 3, "s-other"))
	expectFrames(t, "durable repeats", s, nil)
}

func TestHubLiveMessageReachesOnlyItsRecipients(t *testing.T) {
	h := quietHub()
	// u3 was removed from c1; its member_left is still on the durable path.
	member, removed := join(t, h, "u2", 16, c1), join(t, h, "u3", 16, c1)

	deliver(t, h, liveMsg("c1", 1, "", "u1", "u2"))

	expectFrames(t, "member", member, received("c1", 1))
	expectFrames(t, "removed user", removed, nil)
}

func TestHubClosesASessionWhoseGapHoldsTooMuch(t *testing.T) {
	h := quietHub()
	s := join(t, h, "u2", maxHeld+16, c1)

	events := make([]domain.Event, 0, maxHeld+1)
	for seq := int64(2); seq <= maxHeld+2; seq++ { // seq 1 never comes
		events = append(events, liveMsg("c1", seq, "", "u2"))
	}
	deliver(t, h, events...)

	if code, _ := s.closeStatus(); code != protocol.CloseSlowConsumer {
		t.Fatalf("close code = %d, want 4008 once %d messages wait for seq 1", code, maxHeld)
	}
	if n := h.sessionCount("u2"); n != 0 {
		t.Errorf("session still registered")
	}
}

// A gap filled late releases everything held behind it at once. Those
// frames were in memory already, and the client is not behind for them:
// the burst does not count against the queue's bound (a primary's
// failover, whose gap lasted seconds, closed readers that were fine with
// 4008).
func TestHubReleasesAFilledGapBeyondTheQueueBound(t *testing.T) {
	h := quietHub()
	const queue = 8
	s := join(t, h, "u2", queue, c1)
	var late []domain.Event
	var want []int64
	for seq := int64(1); seq <= 3*queue; seq++ {
		want = append(want, seq)
		if seq > 1 {
			late = append(late, liveMsg("c1", seq, "", "u2"))
		}
	}
	deliver(t, h, late...) // seq 1 is missing: all held
	expectFrames(t, "while seq 1 is missing", s, nil)
	deliver(t, h, liveMsg("c1", 1, "", "u2"))
	if code, _ := s.closeStatus(); code != -1 {
		t.Fatalf("closed with %d when the gap filled, want the held burst queued", code)
	}
	expectFrames(t, "after seq 1", s, received("c1", want...))
}

// The messages that come right after a released burst, before the client
// has read it, meet the queue's bound on their own: the burst does not
// count against it while it waits (the failover test's watchers were
// closed with 4008 by the first live message after the gap filled).
func TestHubMessagesAfterAReleasedBurstMeetTheBoundAlone(t *testing.T) {
	h := quietHub()
	const queue = 8
	s := join(t, h, "u2", queue, c1)
	var late []domain.Event
	for seq := int64(2); seq <= 3*queue; seq++ {
		late = append(late, liveMsg("c1", seq, "", "u2"))
	}
	deliver(t, h, late...)
	deliver(t, h, liveMsg("c1", 1, "", "u2")) // releases 3*queue frames
	var want []int64
	for seq := int64(1); seq <= 4*queue-1; seq++ {
		want = append(want, seq)
		if seq > 3*queue {
			deliver(t, h, liveMsg("c1", seq, "", "u2")) // queue-1 more, unread
		}
	}
	if code, _ := s.closeStatus(); code != -1 {
		t.Fatalf("closed with %d by %d messages after the burst, under the bound of %d", code, queue-1, queue)
	}
	expectFrames(t, "burst and what followed", s, received("c1", want...))

	// Past the bound, counting only what came after the burst, the session
	// is a slow consumer as before.
	next := int64(4 * queue)
	for range queue + 1 {
		deliver(t, h, liveMsg("c1", next, "", "u2"))
		next++
	}
	if code, _ := s.closeStatus(); code != protocol.CloseSlowConsumer {
		t.Fatalf("close code = %d after %d unread messages, want 4008", code, queue+1)
	}
}

func TestHubClosesASessionWhoseGapStaysUnfilled(t *testing.T) {
	h := quietHub()
	stuck, moving := join(t, h, "u2", 16, c1), join(t, h, "u3", 16, domain.Channel{ID: "c2"})

	deliver(t, h, liveMsg("c1", 2, "", "u2"), liveMsg("c2", 2, "", "u3"))
	start := time.Now()
	if n := h.closeStalled(start.Add(HoldLimit/2), HoldLimit); n != 0 {
		t.Fatalf("closed %d sessions before the hold limit", n)
	}
	deliver(t, h, liveMsg("c2", 1, "", "u3")) // c2's gap fills

	if n := h.closeStalled(start.Add(HoldLimit+time.Second), HoldLimit); n != 1 {
		t.Fatalf("closed %d sessions after the hold limit, want the one still waiting", n)
	}
	if code, _ := stuck.closeStatus(); code != protocol.CloseSlowConsumer {
		t.Errorf("stuck session close code = %d, want 4008", code)
	}
	expectFrames(t, "session whose gap filled", moving, received("c2", 1, 2))
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.gapped) != 0 {
		t.Errorf("%d sessions still tracked as waiting", len(h.gapped))
	}
}

func TestHubOwnMessagesAheadOfAGapAreNotHeld(t *testing.T) {
	h := quietHub()
	sender := join(t, h, "u1", 16, c1)
	last := int64(maxHeld + 10)

	// Seq 1 (another user's) is late; the sender's own messages pass it.
	for seq := int64(2); seq <= last; seq++ {
		deliver(t, h, liveMsg("c1", seq, sender.id, "u1"))
	}
	if h.sessionCount("u1") != 1 {
		t.Fatal("sender closed: its own messages need no holding")
	}
	deliver(t, h, liveMsg("c1", 1, "s-other", "u1"))
	// Past what the cursor could remember, the durable copies of the
	// sender's own messages move it on.
	for seq := int64(1); seq <= last; seq++ {
		deliver(t, h, msg("c1", seq, sender.id))
	}
	deliver(t, h, liveMsg("c1", last+1, "s-other", "u1"))

	expectFrames(t, "sender", sender, received("c1", 1, last+1))
}
