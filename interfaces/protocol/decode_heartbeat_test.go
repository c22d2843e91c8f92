package protocol

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzHeartbeatFastPathMatchesDecode checks that whatever the heartbeat
// fast path accepts, Decode's general path accepts too and reads the same
// command from, so the fast path changes no answer.
func FuzzHeartbeatFastPathMatchesDecode(f *testing.F) {
	for _, seed := range []string{
		`{"type":"heartbeat","requestId":"h-1","payload":{"status":"online"}}`,
		`{"type":"heartbeat","payload":{"status":"offline"}}`,
		`{"type":"heartbeat","requestId":"r","payload":{"userId":"u1","status":"away"}}`,
		`{"type":"heartbeat","requestId":"","payload":{"userId":"","status":""}}`,
		`{"type":"heartbeat","requestId":"a\"b","payload":{"status":"online"}}`,
		`{"type":"heartbeat","payload":{"status":"online"}} `,
		`{"type":"heartbeat","payload":{"status":"online","status":"offline"}}`,
		`{"type":"heartbeat","payload":{"status":"online"},"x":1}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fast, ok := decodeHeartbeatFrame(data)
		if !ok {
			return
		}
		general, err := decode(data)
		if err != nil {
			t.Fatalf("fast path accepted %q, the general path refused it: %v", data, err)
		}
		if diff := cmp.Diff(general, fast); diff != "" {
			t.Fatalf("fast path read %q differently (-general +fast):\n%s", data, diff)
		}
	})
}

func TestHeartbeatFastPath(t *testing.T) {
	tests := []struct {
		frame string
		want  *Command // nil: left to the general path
	}{
		{`{"type":"heartbeat","requestId":"h-1","payload":{"status":"online"}}`,
			&Command{Type: TypeHeartbeat, RequestID: "h-1", Payload: Heartbeat{Status: "online"}}},
		{`{"type":"heartbeat","payload":{"userId":"u1","status":"offline"}}`,
			&Command{Type: TypeHeartbeat, Payload: Heartbeat{UserID: "u1", Status: "offline"}}},
		{`{"type":"heartbeat","requestId":"h-1","payload":{"status":"online"}}x`, nil},
		{`{"type":"heartbeat","requestId":"h\u00e9","payload":{"status":"online"}}`, nil},
		{`{"type":"heartbeat","requestId":"h-1","payload":{"status":"online","x":1}}`, nil},
		{`{"type":"heartbeat","requestId":"12345678901234567890123456789012345678901234567890123456789012345","payload":{"status":"online"}}`, nil},
		{`{"type": "heartbeat","payload":{"status":"online"}}`, nil},
		{`{"type":"heartbeat","payload":{"status":"on` + "\n" + `line"}}`, nil},
	}
	for _, tt := range tests {
		got, ok := decodeHeartbeatFrame([]byte(tt.frame))
		switch {
		case tt.want == nil && ok:
			t.Errorf("fast path took %s", tt.frame)
		case tt.want != nil && !ok:
			t.Errorf("fast path refused %s", tt.frame)
		case tt.want != nil && !cmp.Equal(got, *tt.want):
			t.Errorf("fast path read %s as %+v", tt.frame, got)
		}
	}
}
