package main

import (
	"bytes"
	"encoding/json"
)

// parseInFrame reads a server frame into f. The server writes its
// envelope in one layout (type, then requestId when there is one, then
// payload, no spaces), which this reads without reflection; anything else
// goes through json.Unmarshal, as does a payload that is not valid JSON,
// so both paths accept and refuse the same frames.
func parseInFrame(data []byte, f *inFrame) error {
	if parseEnvelope(data, f) {
		return nil
	}
	*f = inFrame{}
	return json.Unmarshal(data, f)
}

// parseEnvelope is parseInFrame's fast path; it reports false when the
// frame is not in the usual layout.
func parseEnvelope(data []byte, f *inFrame) bool {
	rest, ok := bytes.CutPrefix(data, []byte(`{"type":"`))
	if !ok {
		return false
	}
	typ, rest, ok := cutPlain(rest)
	if !ok {
		return false
	}
	var id []byte
	if after, ok := bytes.CutPrefix(rest, []byte(`,"requestId":"`)); ok {
		if id, rest, ok = cutPlain(after); !ok {
			return false
		}
	}
	rest, ok = bytes.CutPrefix(rest, []byte(`,"payload":`))
	if !ok || len(rest) < 2 || rest[len(rest)-1] != '}' {
		return false
	}
	payload := rest[:len(rest)-1]
	*f = inFrame{Type: frameType(typ), RequestID: string(id), Payload: payload}
	// A payload one of the scans accepts is valid JSON: only the others
	// need json.Valid's second pass.
	if f.Type == "message_received" || f.Type == "message_sent" {
		f.hasMsg = parseMessagePayload(payload, &f.msg)
	}
	if !f.hasMsg && !scanFlatObject(payload, anyMember) && !json.Valid(payload) {
		*f = inFrame{}
		return false
	}
	return true
}

func anyMember([]byte, []byte, bool) bool { return true }

// cutPlain splits b after a JSON string whose opening quote was cut: its
// text (printable ASCII, no escapes) and what follows the closing quote.
func cutPlain(b []byte) (text, rest []byte, ok bool) {
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

// frameType returns the frequent frame types as constants, so reading them
// allocates no string.
func frameType(b []byte) string {
	switch string(b) {
	case "heartbeat_ack":
		return "heartbeat_ack"
	case "message_received":
		return "message_received"
	case "message_sent":
		return "message_sent"
	case "presence_updated":
		return "presence_updated"
	}
	return string(b)
}
