package main

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// FuzzParseInFrameMatchesUnmarshal checks the envelope fast path against
// json.Unmarshal: the same frames accepted, read the same way.
func FuzzParseInFrameMatchesUnmarshal(f *testing.F) {
	for _, seed := range []string{
		`{"type":"heartbeat_ack","requestId":"h12","payload":{"serverTime":"2026-11-23T01:02:03.004Z"}}`,
		`{"type":"message_received","payload":{"channelId":"c","seq":3,"body":"1|xx"}}`,
		`{"type":"error","requestId":"b1","payload":{"code":"bad_request","message":"no"}}`,
		`{"type":"ready","payload":null}`,
		`{"type":"x","payload":{"a":}`,
		`{"type":"x","requestId":"a\"b","payload":1}`,
		`{"type":"x","payload":1} `,
		`{"payload":1,"type":"x"}`,
		`{"type":"message_received","payload":{"channelId":"5b0c","messageId":"8c1e","senderId":"u1","body":"1700000000123456789|xxxx","createdAt":"2026-11-23T01:02:03.004Z","seq":12}}`,
		`{"type":"message_sent","payload":{"channelId":"c","messageId":"m","clientMessageId":"m1","senderId":"u","body":"1|","createdAt":"t","seq":1}}`,
		`{"type":"message_received","payload":{"seq":-0,"channelId":"c","channelId":"d"}}`,
		`{"type":"message_received","payload":{"Seq":3,"seq":01}}`,
		`{"type":"message_received","payload":{"seq":1234567890123456789012}}`,
		`{"type":"message_received","payload":{"body":7,"seq":"1"}}`,
		`{"type":"heartbeat_ack","payload":{"n":-12,"s":"x","t":0}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var got, want inFrame
		gotErr := parseInFrame(data, &got)
		wantErr := json.Unmarshal(data, &want)
		if (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("parseInFrame(%q) error %v, json.Unmarshal error %v", data, gotErr, wantErr)
		}
		if gotErr != nil {
			return
		}
		// Unmarshal keeps the payload's spacing as is; so does the fast path.
		if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(inFrame{})); diff != "" {
			t.Fatalf("parseInFrame(%q) (-Unmarshal +parseInFrame):\n%s", data, diff)
		}
		if !got.hasMsg {
			return
		}
		var m messagePayload
		if err := json.Unmarshal(got.Payload, &m); err != nil {
			t.Fatalf("the fast path read the message in %q, which json.Unmarshal refuses: %v", data, err)
		}
		fast := messagePayload{ChannelID: string(got.msg.channelID), Body: string(got.msg.body), Seq: got.msg.seq}
		if diff := cmp.Diff(messagePayload{ChannelID: m.ChannelID, Body: m.Body, Seq: m.Seq}, fast); diff != "" {
			t.Fatalf("message of %q (-Unmarshal +fast path):\n%s", data, diff)
		}
	})
}

func TestServerMessageLayoutTakesTheFastPath(t *testing.T) {
	frame := []byte(`{"type":"message_received","payload":{"channelId":"5b0c6f5e-8a61-4c1e-9a55-0f1c2d3e4f50","messageId":"8c1e0f8a-1a2b-4c3d-9e8f-001122334455","senderId":"u-17","body":"1700000000123456789|xxxx","createdAt":"2026-11-22T12:00:00.123Z","seq":123456}}`)
	var f inFrame
	if err := parseInFrame(frame, &f); err != nil || !f.hasMsg {
		t.Fatalf("parseInFrame: %v, fast path %v", err, f.hasMsg)
	}
	if string(f.msg.channelID) != "5b0c6f5e-8a61-4c1e-9a55-0f1c2d3e4f50" || f.msg.seq != 123456 {
		t.Errorf("read channel %q seq %d", f.msg.channelID, f.msg.seq)
	}
	if at, ok := bodyStamp(f.msg.body); !ok || at.UnixNano() != 1700000000123456789 {
		t.Errorf("stamp %v, %v", at, ok)
	}
	if n := testing.AllocsPerRun(100, func() { _ = parseInFrame(frame, &f) }); n != 0 {
		t.Errorf("reading a message_received allocates %v times", n)
	}
}

func TestParseEnvelopeTakesTheServersLayout(t *testing.T) {
	var f inFrame
	if !parseEnvelope([]byte(`{"type":"heartbeat_ack","requestId":"h1","payload":{"serverTime":"x"}}`), &f) {
		t.Fatal("the server's layout was not read by the fast path")
	}
	want := inFrame{Type: "heartbeat_ack", RequestID: "h1", Payload: json.RawMessage(`{"serverTime":"x"}`)}
	if diff := cmp.Diff(want, f, cmpopts.IgnoreUnexported(inFrame{})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if parseEnvelope([]byte(`{"type":"x","payload":{"a":}}`), &f) {
		t.Error("an invalid payload took the fast path")
	}
}
