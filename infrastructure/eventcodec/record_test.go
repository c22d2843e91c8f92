package eventcodec

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/chatd/chat/domain"
)

func TestRecordsCarryTheirRoutingAndDecodeBack(t *testing.T) {
	at := time.Date(2026, 12, 6, 1, 2, 3, 0, time.UTC)
	events := []domain.Event{
		{Type: domain.EventMessageCreated, ChannelID: "c1", Message: &domain.Message{ID: "m", ChannelID: "c1", SenderID: "u1", Seq: 1, CreatedAt: at}},
		{Type: domain.EventPresenceChanged, UserID: "u2", ChannelIDs: []string{"c1"},
			Presence: &domain.UserPresence{UserID: "u2", Status: domain.PresenceOnline, LastEventAt: at}},
	}
	records, err := NewRecords(events)
	if err != nil {
		t.Fatal(err)
	}
	if r := records[0]; r.Type != domain.EventMessageCreated || r.ChannelID != "c1" {
		t.Fatalf("message record routes as %+v", r)
	}
	if r := records[1]; r.Type != domain.EventPresenceChanged || r.ChannelID != "" || r.UserID != "u2" {
		t.Fatalf("presence record routes as %+v", r)
	}
	back, err := DecodeRecords(records)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(events, back); diff != "" {
		t.Fatalf("records do not decode to their events (-want +got):\n%s", diff)
	}
	if _, err := DecodeRecords([]Record{{Type: "x", Data: []byte("{")}}); err == nil {
		t.Fatal("DecodeRecords accepted a record that is not JSON")
	}
}
