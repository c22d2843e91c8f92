package protocol

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/chatd/chat/domain"
)

func TestDecodeRefusesNULAsValidationFailed(t *testing.T) {
	for name, frame := range map[string]string{
		"group name":      `{"type":"create_channel","requestId":"r1","payload":{"channelType":"group","name":"a\u0000b","memberIds":[]}}`,
		"member id":       `{"type":"create_channel","requestId":"r1","payload":{"channelType":"direct","memberIds":["\u0000"]}}`,
		"get_users id":    `{"type":"get_users","requestId":"r1","payload":{"userIds":["x\u0000"]}}`,
		"get_presence id": `{"type":"get_presence","requestId":"r1","payload":{"userIds":["\u0000"]}}`,
		"body":            `{"type":"send_message","requestId":"r1","payload":{"channelId":"c","body":"hi\u0000","clientMessageId":"k"}}`,
		"heartbeat user":  `{"type":"heartbeat","requestId":"r1","payload":{"userId":"u\u0000","status":"online"}}`,
		"after a \\\\":    `{"type":"get_users","requestId":"r1","payload":{"userIds":["\\\u0000"]}}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Decode([]byte(frame))
			var de *DecodeError
			if !errors.As(err, &de) || domain.KindOf(err) != domain.KindValidation {
				t.Fatalf("Decode(%s) = %v, want a validation_failed DecodeError", frame, err)
			}
			if de.RequestID != "r1" || de.Type == "" {
				t.Fatalf("the error echoes requestId %q type %q, want r1 and the type", de.RequestID, de.Type)
			}
		})
	}
	if _, err := Decode([]byte(`{"type":"requestId\u0000"}`)); domain.KindOf(err) != domain.KindBadRequest {
		t.Fatalf("a malformed frame with U+0000 got %v, want bad_request as any malformed frame", err)
	}
	// Six characters, not U+0000: an escaped backslash, then "u0000".
	cmd, err := Decode([]byte(`{"type":"get_users","payload":{"userIds":["\\u0000"]}}`))
	if err != nil || cmd.Payload.(GetUsers).UserIDs[0] != `\u0000` {
		t.Fatalf("Decode of an escaped backslash = %+v, %v", cmd, err)
	}
}

func FuzzHasEscapedNULMatchesDecodedStrings(f *testing.F) {
	for _, seed := range []string{`"\u0000"`, `"\\u0000"`, `"\\\u0000"`, `"a"`, `"u0000"`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var decoded string
		if err := json.Unmarshal([]byte(s), &decoded); err != nil {
			return
		}
		want := false
		for _, r := range decoded {
			if r == 0 {
				want = true
			}
		}
		if got := hasEscapedNUL([]byte(s)); got != want {
			t.Fatalf("hasEscapedNUL(%s) = %v, decoded %q", s, got, decoded)
		}
	})
}
