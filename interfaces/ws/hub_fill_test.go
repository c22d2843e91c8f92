package ws

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/chatd/chat/domain"
)

// fakeHistory serves a channel's messages 1..last and records the reads.
type fakeHistory struct {
	last  int64
	fail  bool
	reads []string // "user channel after limit"
}

func (f *fakeHistory) Messages(_ context.Context, actor domain.Actor, channelID string, page domain.Page) ([]domain.Message, bool, error) {
	f.reads = append(f.reads, fmt.Sprint(actor.UserID, " ", channelID, " ", page.AfterSeq, " ", page.Limit))
	if f.fail {
		return nil, false, errors.New("database away")
	}
	var msgs []domain.Message
	for seq := page.AfterSeq + 1; seq <= f.last && len(msgs) < page.Limit; seq++ {
		msgs = append(msgs, domain.Message{ID: fmt.Sprint("m", seq), ChannelID: channelID, SenderID: "u1", Body: "b", Seq: seq})
	}
	return msgs, page.AfterSeq+int64(len(msgs)) < f.last, nil
}

func TestGapFillerReadsWhatAStalledStreamMisses(t *testing.T) {
	h := quietHub()
	a, b := join(t, h, "u2", 16, c1), join(t, h, "u2", 16, c1) // two devices of one user
	other := join(t, h, "u3", 16, c1)
	history := &fakeHistory{last: 5}
	g := NewGapFiller(h, history, nil)

	// Seqs 2 and 3 were committed on a node that died before its live
	// send; 4 and 5 came live.
	deliver(t, h, liveMsg("c1", 1, "", "u2", "u3"), liveMsg("c1", 4, "", "u2", "u3"), liveMsg("c1", 5, "", "u2", "u3"))
	expectFrames(t, "device a before the fill", a, received("c1", 1))
	expectFrames(t, "device b before the fill", b, received("c1", 1))
	expectFrames(t, "other user before the fill", other, received("c1", 1))

	start := time.Now()
	g.fillOnce(context.Background(), start.Add(FillAfter/2))
	if len(history.reads) != 0 {
		t.Fatalf("read %v before the gap was stalled for %s", history.reads, FillAfter)
	}
	g.fillOnce(context.Background(), start.Add(FillAfter+time.Millisecond))

	if len(history.reads) != 2 {
		t.Fatalf("reads %v, want one per user of the channel", history.reads)
	}
	for _, r := range history.reads {
		if r != "u2 c1 1 2" && r != "u3 c1 1 2" {
			t.Errorf("read %q, want seqs after 1 up to the held 4 (limit 2) as a stalled user", r)
		}
	}
	expectFrames(t, "device a", a, received("c1", 2, 3, 4, 5))
	expectFrames(t, "device b", b, received("c1", 2, 3, 4, 5))
	expectFrames(t, "other user", other, received("c1", 2, 3, 4, 5))

	// The durable path's copies come later and are repeats.
	deliver(t, h, msg("c1", 1, ""), msg("c1", 2, ""), msg("c1", 3, ""), msg("c1", 4, ""), msg("c1", 5, ""))
	expectFrames(t, "device a after the durable path", a, nil)
	g.fillOnce(context.Background(), start.Add(2*FillAfter))
	if len(history.reads) != 2 {
		t.Errorf("read again with no gap left: %v", history.reads)
	}
}

func TestGapFillerSkipsTheSessionsOwnAnsweredMessage(t *testing.T) {
	h := quietHub()
	s := join(t, h, "u1", 16, c1)
	history := &fakeHistory{last: 3}
	g := NewGapFiller(h, history, nil)

	h.recordSent(s, "c1", 2) // its own, answered with message_sent
	deliver(t, h, liveMsg("c1", 3, "s-other", "u1"))
	g.fillOnce(context.Background(), time.Now().Add(FillAfter+time.Millisecond))

	expectFrames(t, "sender", s, received("c1", 1, 3))
}

func TestGapFillerLeavesTheGapWhenTheReadFails(t *testing.T) {
	h := quietHub()
	s := join(t, h, "u2", 16, c1)
	history := &fakeHistory{last: 2, fail: true}
	g := NewGapFiller(h, history, nil)

	deliver(t, h, liveMsg("c1", 2, "", "u2"))
	g.fillOnce(context.Background(), time.Now().Add(FillAfter+time.Millisecond))
	expectFrames(t, "while the database is away", s, nil)

	deliver(t, h, msg("c1", 1, ""), msg("c1", 2, "")) // the durable path
	expectFrames(t, "after the durable path", s, received("c1", 1, 2))
}
