package main

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
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
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("parseInFrame(%q) (-Unmarshal +parseInFrame):\n%s", data, diff)
		}
	})
}

func TestParseEnvelopeTakesTheServersLayout(t *testing.T) {
	var f inFrame
	if !parseEnvelope([]byte(`{"type":"heartbeat_ack","requestId":"h1","payload":{"serverTime":"x"}}`), &f) {
		t.Fatal("the server's layout was not read by the fast path")
	}
	want := inFrame{Type: "heartbeat_ack", RequestID: "h1", Payload: json.RawMessage(`{"serverTime":"x"}`)}
	if diff := cmp.Diff(want, f); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if parseEnvelope([]byte(`{"type":"x","payload":{"a":}}`), &f) {
		t.Error("an invalid payload took the fast path")
	}
}
