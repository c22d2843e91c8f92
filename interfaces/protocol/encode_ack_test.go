package protocol

import (
	"encoding/json"
	"testing"
	"time"
)

// FuzzHeartbeatAckMatchesEncodingJSON checks the hand-written heartbeat_ack
// encoder against encoding/json, byte for byte, for any requestId and
// instant: the wire must not change with the fast path.
func FuzzHeartbeatAckMatchesEncodingJSON(f *testing.F) {
	f.Add("h-1", int64(1_795_000_000_123_456_789))
	f.Add("", int64(0))
	f.Add(`a"b\c<d>&e`, int64(-1))
	f.Add("é\u2028\x00\x7f", int64(1<<62))
	f.Add("r-17 with spaces", int64(-62_135_596_800_000_000_0))
	f.Fuzz(func(t *testing.T, requestID string, unixNano int64) {
		ack := HeartbeatAck{ServerTime: Time(time.Unix(0, unixNano))}
		got, err := Encode(TypeHeartbeatAck, requestID, ack)
		if err != nil {
			t.Fatalf("Encode: %v", err)
		}
		want, err := json.Marshal(Frame{Type: TypeHeartbeatAck, RequestID: requestID, Payload: ack})
		if err != nil {
			t.Fatalf("json.Marshal: %v", err)
		}
		if string(got) != string(want) {
			t.Fatalf("Encode = %s\nencoding/json = %s", got, want)
		}
	})
}

func TestHeartbeatAckTakesTheFastPathOnlyForPlainRequestIDs(t *testing.T) {
	ack := HeartbeatAck{ServerTime: Time(time.Date(2026, 11, 22, 12, 0, 0, 7_000_000, time.UTC))}
	got, ok := appendHeartbeatAck(nil, "h-1", ack)
	if want := `{"type":"heartbeat_ack","requestId":"h-1","payload":{"serverTime":"2026-11-22T12:00:00.007Z"}}`; !ok || string(got) != want {
		t.Errorf("appendHeartbeatAck = %s, %v; want %s", got, ok, want)
	}
	for _, id := range []string{`"`, `\`, "<", ">", "&", "\n", "é", "\x7f"} {
		if _, ok := appendHeartbeatAck(nil, id, ack); ok {
			t.Errorf("requestId %q took the fast path; encoding/json escapes it", id)
		}
	}
}
