package protocol

import (
	"bytes"

	"github.com/chatd/chat/domain"
)

// decodeHeartbeatFrame is Decode's fast path for the frame every
// connection sends every few seconds, in the one layout clients write it
// (encoding/json, JSON.stringify: no spaces, fields in the protocol's
// order):
//
//	{"type":"heartbeat","requestId":"h-1","payload":{"userId":"u1","status":"online"}}
//
// with requestId and userId optional and every string printable ASCII
// without escapes. ok is false for anything else, and Decode then decides
// as it always did; for what it accepts it returns what Decode's general
// path returns (FuzzHeartbeatFastPathMatchesDecode).
func decodeHeartbeatFrame(data []byte) (cmd Command, ok bool) {
	rest, ok := bytes.CutPrefix(data, []byte(`{"type":"heartbeat",`))
	if !ok {
		return Command{}, false
	}
	var requestID, userID, status []byte
	if rest, ok = bytes.CutPrefix(rest, []byte(`"requestId":"`)); ok {
		if requestID, rest, ok = cutPlainString(rest); !ok || len(requestID) > MaxRequestIDLength {
			return Command{}, false
		}
		if rest, ok = bytes.CutPrefix(rest, []byte(`,`)); !ok {
			return Command{}, false
		}
	}
	if rest, ok = bytes.CutPrefix(rest, []byte(`"payload":{`)); !ok {
		return Command{}, false
	}
	if rest, ok = bytes.CutPrefix(rest, []byte(`"userId":"`)); ok {
		if userID, rest, ok = cutPlainString(rest); !ok {
			return Command{}, false
		}
		if rest, ok = bytes.CutPrefix(rest, []byte(`,`)); !ok {
			return Command{}, false
		}
	}
	if rest, ok = bytes.CutPrefix(rest, []byte(`"status":"`)); !ok {
		return Command{}, false
	}
	if status, rest, ok = cutPlainString(rest); !ok || string(rest) != `}}` {
		return Command{}, false
	}
	return Command{
		Type:      TypeHeartbeat,
		RequestID: string(requestID),
		Payload:   Heartbeat{UserID: string(userID), Status: knownStatus(status)},
	}, true
}

// cutPlainString splits b after the string whose opening quote was just
// cut: it returns the string's text (printable ASCII, no backslash) and
// what follows the closing quote.
func cutPlainString(b []byte) (text, rest []byte, ok bool) {
	for i, c := range b {
		switch {
		case c == '"':
			return b[:i], b[i+1:], true
		case c < 0x20 || c > 0x7e || c == '\\':
			return nil, nil, false
		}
	}
	return nil, nil, false
}

// knownStatus returns the statuses clients send as constants, so a
// heartbeat allocates no string for them.
func knownStatus(b []byte) string {
	switch string(b) {
	case string(domain.PresenceOnline):
		return string(domain.PresenceOnline)
	case string(domain.PresenceOffline):
		return string(domain.PresenceOffline)
	}
	return string(b)
}
