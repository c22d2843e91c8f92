package protocol

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzDecode checks that no frame makes Decode panic, that every failure is
// a *DecodeError (so it maps to bad_request), and that every decoded command
// encodes to JSON that decodes to the same command.
func FuzzDecode(f *testing.F) {
	seeds := []string{
		`{"type":"send_message","requestId":"r-17","payload":{"channelId":"c1","body":"こんにちは","clientMessageId":"9b1d"}}`,
		`{"type":"create_channel","payload":{"channelType":"direct","memberIds":["u1","u2"]}}`,
		`{"type":"create_channel","payload":{"channelType":"group","name":"team","memberIds":[]}}`,
		`{"type":"get_messages","payload":{"channelId":"c1","afterSeq":40,"limit":50}}`,
		`{"type":"get_messages","payload":{"channelId":"c1","beforeSeq":-1,"limit":0}}`,
		`{"type":"get_channel","requestId":null,"payload":{"channelId":"c1"}}`,
		`{"type":"get_users","payload":{"userIds":["a","b"]}}`,
		`{"type":"join_channel","payload":{"channelId":"c1"}}`,
		`{"type":"leave_channel","payload":{"channelId":"c1"}}`,
		`{"type":"heartbeat","payload":{"userId":"u1","status":"online"}}`,
		`{"type":"get_presence","payload":{"userIds":["u1"]}}`,
		`{"type":"send_message","payload":{"channelId":"c1","body":5,"clientMessageId":"m"}}`,
		`{"type":"get_messages","payload":{"channelId":"c1","afterSeq":1.5}}`,
		`{"type":"get_channel","payload":{"channelId":"a","channelId":"b"}}`,
		`{"type":"fly","requestId":"r"}`,
		`{"type":7}`,
		`{"type":"send_message","payload":{"channelId":"\ud800","body":"\u0000","clientMessageId":"\xff"}}`,
		`[]`,
		`null`,
		`not json`,
		``,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cmd, err := Decode(data)
		if err != nil {
			if _, ok := err.(*DecodeError); !ok {
				t.Fatalf("Decode error %T %v is not a *DecodeError", err, err)
			}
			// A well-formed frame with U+0000 in a string breaks a domain
			// rule (validation_failed); anything else wrong is bad_request.
			want := CodeBadRequest
			if hasEscapedNUL(data) {
				if _, plainErr := decode(data); plainErr == nil {
					want = CodeValidationFailed
				}
			}
			if code := ErrorCode(err); code != want {
				t.Fatalf("ErrorCode = %q, want %s", code, want)
			}
			return
		}
		encoded, err := cmd.Encode()
		if err != nil {
			t.Fatalf("Encode(%#v): %v", cmd, err)
		}
		if !json.Valid(encoded) {
			t.Fatalf("Encode(%#v) = %q, not valid JSON", cmd, encoded)
		}
		again, err := Decode(encoded)
		if err != nil {
			t.Fatalf("Decode(Encode(cmd)) = %v for %q", err, encoded)
		}
		if diff := cmp.Diff(cmd, again); diff != "" {
			t.Fatalf("round trip changed the command (-first +second):\n%s", diff)
		}
	})
}
