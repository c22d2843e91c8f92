package protocol

import (
	"strings"
	"testing"
	"time"

	"github.com/chatd/chat/domain"
)

// The frame codec runs once per command read and once per event a
// connection receives (a message to a 50-member group is encoded once and
// written 49 times), so its cost per frame bounds deliveries per core.
// Run with: go test ./interfaces/protocol -run '^$' -bench . -benchmem

var benchSendMessage = []byte(`{"type":"send_message","requestId":"r-17","payload":{"channelId":"5b0c6f5e-8a61-4c1e-9a55-0f1c2d3e4f50","body":"` +
	strings.Repeat("x", 64) + `","clientMessageId":"9b1d0c2e-1111-2222-3333-444455556666"}}`)

var benchHeartbeat = []byte(`{"type":"heartbeat","requestId":"h-1","payload":{"status":"online"}}`)

func benchMessage() domain.Message {
	return domain.Message{
		ID:              "8c1e0f8a-1a2b-4c3d-9e8f-001122334455",
		ChannelID:       "5b0c6f5e-8a61-4c1e-9a55-0f1c2d3e4f50",
		SenderID:        "0e7a2b5c-7d8e-4f90-a1b2-c3d4e5f60718",
		ClientMessageID: "9b1d0c2e-1111-2222-3333-444455556666",
		Body:            strings.Repeat("x", 64),
		Seq:             123456,
		CreatedAt:       time.Date(2026, 11, 22, 12, 0, 0, 123_000_000, time.UTC),
	}
}

func BenchmarkDecodeSendMessage(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchSendMessage)))
	for b.Loop() {
		if _, err := Decode(benchSendMessage); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeHeartbeat(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchHeartbeat)))
	for b.Loop() {
		if _, err := Decode(benchHeartbeat); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeMessageReceived(b *testing.B) {
	payload := NewMessage(benchMessage())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Encode(TypeMessageReceived, "", payload); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeMessageSent(b *testing.B) {
	payload := NewMessageSent(benchMessage())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Encode(TypeMessageSent, "r-17", payload); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeHeartbeatAck(b *testing.B) {
	payload := HeartbeatAck{ServerTime: Time(time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC))}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Encode(TypeHeartbeatAck, "h-1", payload); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeHistoryPage(b *testing.B) {
	msgs := make([]domain.Message, 100)
	for i := range msgs {
		msgs[i] = benchMessage()
		msgs[i].Seq = int64(i + 1)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Encode(TypeMessages, "r-1", NewMessages(msgs[0].ChannelID, msgs, true)); err != nil {
			b.Fatal(err)
		}
	}
}
