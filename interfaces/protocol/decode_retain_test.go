package protocol

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzDecodeKeepsNothingOfTheFrame checks that a decoded command, or the
// error, holds no view into the frame's bytes: the gateway reads every
// message into a buffer it reuses for the next one.
func FuzzDecodeKeepsNothingOfTheFrame(f *testing.F) {
	for _, seed := range []string{
		`{"type":"send_message","requestId":"r-17","payload":{"channelId":"c1","body":"こんにちは","clientMessageId":"9b1d"}}`,
		`{"type":"heartbeat","requestId":"h-1","payload":{"userId":"u1","status":"online"}}`,
		`{"type":"heartbeat","payload":{"status":"away"}}`,
		`{"type":"create_channel","requestId":"c","payload":{"channelType":"group","name":"t\u00e9am","memberIds":["a","b"]}}`,
		`{"type":"get_users","requestId":"x","payload":{"userIds":["a"],"bogus":1}}`,
		`{"type":"fly","requestId":"r"}`,
		`{"type":"get_channel","payload":{"channelId":"a","channelId":"b"}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		frame := bytes.Clone(data)
		cmd, err := Decode(frame)
		for i := range frame {
			frame[i] = 'Z'
		}
		want, wantErr := Decode(data)
		if diff := cmp.Diff(want, cmd); diff != "" {
			t.Fatalf("command changed with the frame's bytes (-fresh +kept):\n%s", diff)
		}
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("error %v, fresh decode's %v", err, wantErr)
		}
		if err != nil {
			de, fresh := err.(*DecodeError), wantErr.(*DecodeError)
			if de.Error() != fresh.Error() || de.RequestID != fresh.RequestID || de.Type != fresh.Type {
				t.Fatalf("error changed with the frame's bytes: %+v, fresh %+v", de, fresh)
			}
		}
	})
}
