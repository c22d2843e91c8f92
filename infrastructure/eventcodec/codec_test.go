package eventcodec

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/chatd/chat/domain"
)

func TestEventEncodingRoundTrips(t *testing.T) {
	at := time.Date(2026, 5, 6, 7, 8, 9, 123e6, time.UTC)
	tests := []domain.Event{
		{Type: domain.EventChannelCreated, ChannelID: "c1", OriginSession: "s1", Channel: &domain.Channel{
			ID: "c1", Type: domain.ChannelGroup, Name: "チーム", MemberIDs: []string{"u1", "u2"}, CreatedAt: at}},
		{Type: domain.EventMessageCreated, ChannelID: "c1", Message: &domain.Message{
			ID: "m1", ChannelID: "c1", SenderID: "u1", ClientMessageID: "k", Body: "こんにちは \"<&>\"",
			Seq: 42, Status: domain.MessageSent, CreatedAt: at}},
		{Type: domain.EventMessageCreated, ChannelID: "c1", OriginSession: "s1", Recipients: []string{"u1", "u2"}, Message: &domain.Message{
			ID: "m2", ChannelID: "c1", SenderID: "u1", ClientMessageID: "k2", Body: "live", Seq: 43, Status: domain.MessageSent, CreatedAt: at,
			MemberVersion: 7}},
		{Type: domain.EventMemberJoined, ChannelID: "c1", UserID: "u3", OriginSession: "s3"},
		{Type: domain.EventPresenceChanged, UserID: "u3", ChannelIDs: []string{"c1", "c2"},
			Presence: &domain.UserPresence{UserID: "u3", Status: domain.PresenceOnline, LastEventAt: at}},
		{Type: domain.EventMemberLeft, ChannelID: "c1", UserID: "u3"},
		{Type: domain.EventReadUpdated, ChannelID: "c1", UserID: "u3", LastReadSeq: 17, OriginSession: "s3"},
		{Type: domain.EventTyping, ChannelID: "c1", UserID: "u3"},
	}
	for _, e := range tests {
		t.Run(string(e.Type), func(t *testing.T) {
			data, err := EncodeEvent(e)
			if err != nil {
				t.Fatal(err)
			}
			got, err := DecodeEvent(data)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(e, got); diff != "" {
				t.Fatalf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeEventRejectsGarbage(t *testing.T) {
	for _, data := range []string{"", "{", `{"channelId":"c"}`, `{"type":"message_created"}`, `[]`} {
		if _, err := DecodeEvent([]byte(data)); err == nil {
			t.Errorf("DecodeEvent(%q) succeeded", data)
		}
	}
}
